/* render_vtk_load: the functions of render_vtk.h in faceless itself. VTK
 * lives in a separate module (faceless_vtk.so, render_vtk.cpp; the boundary
 * is render_vtk_module.h), loaded with dlopen on the first call of one of
 * these functions, so that commands which do not draw with VTK or write a
 * mesh (faceless deface without --mesh-out, --version, ...) never load VTK's
 * libraries, and faceless starts where they are missing.
 *
 * Where the module is looked for ($FACELESS_VTK_MODULE, beside the executable,
 * ../lib/faceless/, the path CMake built it at: FACELESS_VTK_MODULE_BUILT),
 * and how it is checked, is core/module_load.h's.
 * Without VTK at build time (FACELESS_HAVE_VTK undefined) nothing is looked
 * for and every function fails with "built without VTK".
 *
 * When the module cannot be loaded, render_vtk_available() is 0,
 * render_vtk_load_error() says why in one line (the missing file or library,
 * from dlerror), and every other function fails with
 * FACELESS_ERR_UNSUPPORTED and that reason, as a build without VTK does.
 *
 * Thread safety: the first load runs once (pthread_once); the state it
 * leaves is never changed afterwards, and the module is never unloaded
 * (VTK registers factories and atexit handlers that must stay mapped). */
#include "core/module_load.h"
#include "render/render_skin.h"
#include "render/render_vtk_module.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NO_VTK "built without VTK (install Debian's libvtk9-dev and rebuild)"

/* Set once by load() under `once`, read-only afterwards. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const render_vtk_module *module;   /* NULL when not loaded */
static char load_error[MODULE_ERROR_MAX]; /* why not, one line */

#ifdef FACELESS_HAVE_VTK
static const render_vtk_host host = {
    .ctx_fail = ctx_fail,
    .ctx_log = ctx_log,
    .ctx_omp_threads = ctx_omp_threads,
    .ctx_error = faceless_ctx_error,
    .skin_values = render_skin_values,
    .write_atomic = io_write_atomic,
    .image_alloc = render_image_alloc,
    .image_free = render_image_free,
    .view_axes = render_view_axes,
};

/* The handshake (module_load.h): the table, initialised with the host
 * table, if abi and sizes match. */
static const void *handshake(module_entry entry, uint32_t *abi_seen)
{
    const render_vtk_module *m = ((render_vtk_entry_fn)entry)();
    *abi_seen = m ? m->abi : 0;
    if (!m || m->abi != RENDER_VTK_ABI || m->size_scene != sizeof(render_scene) ||
        m->size_image != sizeof(render_image) || m->size_info != sizeof(render_mesh_info) ||
        m->size_volume != sizeof(faceless_volume))
        return NULL;
    m->init(&host);
    return m;
}

static void load(void)
{
    static const module_spec spec = {
        .what = "VTK",
        .file = RENDER_VTK_MODULE_FILE,
        .env = "FACELESS_VTK_MODULE",
#ifdef FACELESS_VTK_MODULE_BUILT
        .built = FACELESS_VTK_MODULE_BUILT,
#endif
        .entry = RENDER_VTK_ENTRY,
        .abi = RENDER_VTK_ABI,
        .handshake = handshake,
    };
    module = module_load(&spec, load_error, sizeof load_error);
}
#else
static void load(void) { snprintf(load_error, sizeof load_error, "%s", NO_VTK); }
#endif

/* The loaded module, or NULL (see load_error). */
static const render_vtk_module *vtk_module(void)
{
    pthread_once(&once, load);
    return module;
}

int render_vtk_available(void) { return vtk_module() != NULL; }

const char *render_vtk_load_error(void) { return vtk_module() ? NULL : load_error; }

faceless_status render_mesh_write(faceless_ctx *ctx, const render_scene *scene, int64_t target_triangles,
                                  const char *path, render_mesh_info *info)
{
    const render_vtk_module *m = vtk_module();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: %s", path, load_error);
    return m->mesh_write(ctx, scene, target_triangles, path, info);
}

faceless_status render_vtk_display_check(faceless_ctx *ctx)
{
    const render_vtk_module *m = vtk_module();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: %s", load_error);
    return m->display_check(ctx);
}

faceless_status render_vtk_stage_new(faceless_ctx *ctx, const render_scene *scene, int size, render_vtk_stage **out)
{
    const render_vtk_module *m = vtk_module();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: %s", load_error);
    return m->stage_new(ctx, scene, size, out);
}

faceless_status render_vtk_stage_view(faceless_ctx *ctx, render_vtk_stage *stage, render_view view, render_image *out)
{
    const render_vtk_module *m = vtk_module();
    if (!m)
        return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: %s", load_error);
    return m->stage_view(ctx, stage, view, out);
}

void render_vtk_stage_free(render_vtk_stage *stage)
{
    /* A stage exists only if the module loaded; NULL needs no module. */
    if (stage)
        vtk_module()->stage_free(stage);
}

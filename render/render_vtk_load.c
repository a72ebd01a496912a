/* render_vtk_load: the functions of render_vtk.h in faceless itself. VTK
 * lives in a separate module (faceless_vtk.so, render_vtk.cpp; the boundary
 * is render_vtk_module.h), loaded with dlopen on the first call of one of
 * these functions, so that commands which do not draw with VTK or write a
 * mesh (faceless deface without --mesh-out, --version, ...) never load VTK's
 * libraries, and faceless starts where they are missing.
 *
 * Where the module is looked for, in order (the first that loads wins):
 *  1. $FACELESS_VTK_MODULE, a file path; when set, nothing else is tried;
 *  2. the directory of the running executable (/proc/self/exe): a build tree;
 *  3. that directory's ../lib/faceless/: an installed faceless;
 *  4. the path CMake built it at (FACELESS_VTK_MODULE_BUILT): the test tools
 *     in build/tests/.
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
#include "render/render_skin.h"
#include "render/render_vtk_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_VTK "built without VTK (install Debian's libvtk9-dev and rebuild)"

/* Set once by load() under `once`, read-only afterwards. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const render_vtk_module *module; /* NULL when not loaded */
static char load_error[1024];           /* why not, one line */

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

/* dlerror()'s text on one line, without a leading "PATH: " (we name the path). */
static void set_dl_error(const char *path, const char *what)
{
    const char *e = dlerror();
    if (!e)
        e = "unknown error";
    size_t n = strlen(path);
    if (!strncmp(e, path, n) && !strncmp(e + n, ": ", 2))
        e += n + 2;
    snprintf(load_error, sizeof load_error, "%s %s: %s", what, path, e);
    for (char *c = load_error; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
}

/* dlopens path and checks the handshake; 1 when `module` is set, else 0 with
 * the reason in load_error. */
static int try_module(const char *path)
{
    /* RTLD_NOW: a missing VTK symbol fails here, not in the middle of a
     * render. RTLD_LOCAL: VTK's symbols stay out of the global namespace. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        set_dl_error(path, "cannot load the VTK module");
        return 0;
    }
    render_vtk_entry_fn entry;
    /* POSIX allows this conversion of dlsym's result (XSH dlsym, RATIONALE). */
    *(void **)&entry = dlsym(h, RENDER_VTK_ENTRY);
    if (!entry) {
        set_dl_error(path, "not a faceless VTK module:");
        dlclose(h);
        return 0;
    }
    const render_vtk_module *m = entry();
    if (!m || m->abi != RENDER_VTK_ABI || m->size_scene != sizeof(render_scene) ||
        m->size_image != sizeof(render_image) || m->size_info != sizeof(render_mesh_info) ||
        m->size_volume != sizeof(faceless_volume)) {
        snprintf(load_error, sizeof load_error,
                 "the VTK module %s is from another build of faceless (module ABI %u, this faceless %u; rebuild "
                 "and reinstall both)",
                 path, m ? (unsigned)m->abi : 0u, (unsigned)RENDER_VTK_ABI);
        dlclose(h);
        return 0;
    }
    m->init(&host);
    module = m;
    return 1;
}

/* dir + "/" + rel + RENDER_VTK_MODULE_FILE into out; 0 when it does not fit. */
static int module_path(char *out, size_t cap, const char *dir, const char *rel)
{
    int n = snprintf(out, cap, "%s/%s" RENDER_VTK_MODULE_FILE, dir, rel);
    return n > 0 && (size_t)n < cap;
}

static void load(void)
{
    const char *env = getenv("FACELESS_VTK_MODULE");
    if (env && *env) {
        try_module(env);
        return;
    }
    char cand[3][PATH_MAX + 32];
    int ncand = 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            ncand += module_path(cand[ncand], sizeof cand[0], exe, "");
            ncand += module_path(cand[ncand], sizeof cand[0], exe, "../lib/faceless/");
        }
    }
#ifdef FACELESS_VTK_MODULE_BUILT
    snprintf(cand[ncand++], sizeof cand[0], "%s", FACELESS_VTK_MODULE_BUILT);
#endif
    /* A file that exists but does not load (VTK's runtime libraries missing,
     * another build's module) is reported; one that does not exist is not. */
    int tried = 0;
    char first_error[sizeof load_error] = "";
    for (int i = 0; i < ncand; i++) {
        if (access(cand[i], F_OK) != 0)
            continue;
        if (try_module(cand[i]))
            return;
        if (!tried++)
            memcpy(first_error, load_error, sizeof first_error);
    }
    if (tried) {
        memcpy(load_error, first_error, sizeof load_error);
        return;
    }
    int len =
        snprintf(load_error, sizeof load_error, "the VTK module " RENDER_VTK_MODULE_FILE " is missing (looked in");
    for (int i = 0; i < ncand && len > 0 && (size_t)len < sizeof load_error; i++) {
        char *slash = strrchr(cand[i], '/');
        len += snprintf(load_error + len, sizeof load_error - (size_t)len, "%s %.*s", i ? "," : "",
                        slash ? (int)(slash - cand[i]) : 0, cand[i]);
    }
    if (len > 0 && (size_t)len < sizeof load_error)
        snprintf(load_error + len, sizeof load_error - (size_t)len, "; FACELESS_VTK_MODULE names another)");
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

/* render_vtk_none: the functions of render_vtk.h in a build without VTK
 * (CMake did not find libvtk9-dev). Each fails with FACELESS_ERR_UNSUPPORTED
 * and says so, so callers need no #ifdef; the CLI checks
 * render_vtk_available() first to refuse before doing any work. */
#include "render/render_vtk.h"

#ifndef FACELESS_HAVE_VTK
#include "core/context.h"

#define NO_VTK "built without VTK (install Debian's libvtk9-dev and rebuild)"

int render_vtk_available(void) { return 0; }

faceless_status render_mesh_write(faceless_ctx *ctx, const render_scene *scene, int64_t target_triangles,
                                  const char *path, render_mesh_info *info)
{
    (void)scene;
    (void)target_triangles;
    (void)info;
    return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "%s: " NO_VTK, path);
}

faceless_status render_vtk_display_check(faceless_ctx *ctx)
{
    return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: " NO_VTK);
}

faceless_status render_vtk_stage_new(faceless_ctx *ctx, const render_scene *scene, int size, render_vtk_stage **out)
{
    (void)scene;
    (void)size;
    (void)out;
    return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: " NO_VTK);
}

faceless_status render_vtk_stage_view(faceless_ctx *ctx, render_vtk_stage *stage, render_view view, render_image *out)
{
    (void)stage;
    (void)view;
    (void)out;
    return ctx_fail(ctx, FACELESS_ERR_UNSUPPORTED, "render: " NO_VTK);
}

void render_vtk_stage_free(render_vtk_stage *stage) { (void)stage; }
#endif

/* render_vtk: the optional VTK part of render/ (issue 5).
 *
 *  - The skin isosurface as a mesh file (.vtp, .ply, .stl) in world RAS mm,
 *    for an operator to open in ParaView or 3D Slicer (`--mesh-out`).
 *  - The five surface views drawn by VTK instead of the built-in ray caster
 *    (`--engine vtk`), with the built-in cameras, framing and montage layout.
 *
 * Both work on a render_scene (render.h): its smoothed values, its threshold
 * (automatic as for the built-in renderer, or the one given) and its
 * voxel-to-world matrix, so the mesh is the surface the built-in views show.
 *
 * Every VTK call lives in render_vtk.cpp, which CMake builds only when it
 * finds VTK (Debian's libvtk9-dev), and then as a separate module
 * (faceless_vtk.so) that faceless loads on the first call of a function
 * below (render_vtk_load.c, render_vtk_module.h): faceless itself does not
 * link VTK, so commands that never call these functions do not pay for
 * loading it, and faceless runs where VTK is not installed. When the module
 * cannot be loaded (a build without VTK, the module or one of VTK's
 * libraries missing) every function fails with FACELESS_ERR_UNSUPPORTED and
 * render_vtk_load_error() as the reason. render_vtk.cpp catches every C++ exception (std::bad_alloc ->
 * FACELESS_ERR_MEMORY, anything else -> FACELESS_ERR_INTERNAL) and turns VTK
 * error and warning events into the context's error; nothing is printed.
 *
 * Debian's VTK draws through GLX: rendering needs an X display (xvfb-run
 * gives one). render_vtk_display_check() tells, without creating a window,
 * whether one can be opened; render_vtk_stage_new() checks it again, so a
 * missing display is an error, never an abort inside VTK.
 *
 * Thread safety: as faceless.h; the module is loaded once, whichever thread
 * asks first (pthread_once), and never unloaded. VTK's isosurface filter uses VTK's own thread
 * pool (vtkSMPTools); its output does not depend on the thread count. A stage
 * (one offscreen window) belongs to one thread.
 *
 * Ownership: the scene must outlive every stage made from it; pictures are
 * allocated by the functions that fill them (render_image_free). */
#ifndef FACELESS_RENDER_VTK_H
#define FACELESS_RENDER_VTK_H

#include "render/render.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the VTK module is loaded (it is, on the first call of this or any
 * function below, if it can be), else 0. */
int render_vtk_available(void);

/* NULL when the VTK module is loaded, else why not, on one line: "built
 * without VTK (...)", "cannot load the VTK module PATH: REASON" (dlerror's
 * text: the module or a VTK library missing), "the VTK module
 * faceless_vtk.so is missing (looked in ...)". Static storage; loads the
 * module first if that was not tried yet. */
const char *render_vtk_load_error(void);

/* ------------------------------------------------------------------------ */
/* Meshes                                                                     */

typedef enum render_mesh_format {
    RENDER_MESH_VTP = 0, /* VTK XML PolyData, binary appended, zlib (ParaView, Slicer) */
    RENDER_MESH_PLY = 1, /* binary little-endian PLY, with point normals */
    RENDER_MESH_STL = 2  /* binary STL (no shared vertices: the biggest file) */
} render_mesh_format;

/* The format named by the file's extension (.vtp, .ply, .stl, any case).
 * Returns 1 and sets *fmt, or 0 for any other name. */
static inline int render_mesh_format_from_path(const char *path, render_mesh_format *fmt)
{
    static const char *const ext[3] = {".vtp", ".ply", ".stl"};
    size_t n = strlen(path);
    for (int f = 0; f < 3; f++)
        if (n > 4 && !strcasecmp(path + n - 4, ext[f])) {
            *fmt = (render_mesh_format)f;
            return 1;
        }
    return 0;
}

/* Triangles a decimated mesh aims at: enough for the nose, lips and ears of a
 * 1 mm head to keep their shape (about 1 mm edges over the skin), small
 * enough (a few MB) for a viewer to open at once. */
#define RENDER_MESH_TARGET_TRIANGLES 150000

typedef struct render_mesh_info {
    double threshold;            /* scaled units */
    int64_t triangles_extracted; /* isosurface before decimation */
    int64_t points, triangles;   /* as written */
    double bounds[6];            /* world RAS mm: xmin, xmax, ymin, ymax, zmin, zmax */
    double seconds_extract, seconds_decimate, seconds_write;
} render_mesh_info;

/* Extracts the skin isosurface of the scene (flying edges on its smoothed
 * values at its threshold), decimates it to about target_triangles (0: the
 * default; a smaller surface is kept as it is), maps it to world RAS mm
 * through the scene's vox2ras (triangles wound so their normals point out of
 * the head whatever the handedness of the storage order), and writes it to
 * path in the format of its extension: a temporary file in the target folder,
 * flushed, then renamed; an existing path is replaced (the caller checks).
 * info may be NULL. FACELESS_ERR_INPUT when the surface is empty,
 * FACELESS_ERR_USAGE for an unknown extension. */
faceless_status render_mesh_write(faceless_ctx *ctx, const render_scene *scene, int64_t target_triangles,
                                  const char *path, render_mesh_info *info);

/* ------------------------------------------------------------------------ */
/* Views drawn by VTK                                                         */

/* FACELESS_OK when an X display with the GLX extension opens ($DISPLAY);
 * else FACELESS_ERR_UNSUPPORTED with the reason ("DISPLAY is not set",
 * "cannot open DISPLAY ':5'", "DISPLAY ':5' has no GLX") as the context's
 * error. Opens and closes one X connection; creates no window. */
faceless_status render_vtk_display_check(faceless_ctx *ctx);

typedef struct render_vtk_stage render_vtk_stage;

/* The scene's full-resolution isosurface in an offscreen VTK window of
 * size x size pixels, lit and coloured like the built-in views (headlight,
 * skin tone, the cut face of the field of view grey-blue). */
faceless_status render_vtk_stage_new(faceless_ctx *ctx, const render_scene *scene, int size, render_vtk_stage **out);

/* One view, with the camera, framing and depth cue of render_scene_view();
 * out->depth holds the depth map (mm from the camera plane, INFINITY where
 * nothing was hit) read back from VTK's z-buffer. */
faceless_status render_vtk_stage_view(faceless_ctx *ctx, render_vtk_stage *stage, render_view view, render_image *out);

/* NULL is fine. */
void render_vtk_stage_free(render_vtk_stage *stage);

#ifdef __cplusplus
}
#endif
#endif

/* render_vtk_module: private to render/. The boundary between faceless and
 * its VTK module (faceless_vtk.so, built from render_vtk.cpp), which
 * render_vtk_load.c dlopens on the first call of a render_vtk.h function.
 *
 * Why a module: linking VTK into faceless made every command load and
 * relocate about 40 more shared libraries (9 -> 28 MB peak RSS for
 * faceless --version) and kept faceless from starting at all where VTK's
 * runtime libraries are missing, though only --mesh-out and --engine vtk use
 * VTK.
 *
 * The handshake: the module exports one symbol, RENDER_VTK_ENTRY, a function
 * returning its render_vtk_module table. The loader checks abi and the struct
 * sizes before it touches anything else, then calls init() once with the
 * host table, then forwards through the function pointers.
 *
 * Why a host table instead of linking faceless_lib into the module: the
 * module needs eight small functions of faceless (error and log context,
 * skin values, atomic write, picture allocation, camera axes). Taking them
 * from the running faceless keeps one copy of that code (so a change to,
 * say, io_write_atomic cannot differ between the module and the binary that
 * loaded it), keeps faceless_lib a non-PIC static library (under -fPIC every
 * non-static function may be interposed, and GCC stops inlining them in the
 * registration and masking kernels), and the module depends
 * on nothing but VTK, X11 and the C/C++ runtimes (it links with
 * -Wl,--no-undefined, so a forgotten host function is a link error).
 *
 * Bump RENDER_VTK_ABI whenever a table below, or a struct they pass
 * (render_scene, render_image, render_mesh_info, faceless_volume), changes. */
#ifndef FACELESS_RENDER_VTK_MODULE_H
#define FACELESS_RENDER_VTK_MODULE_H

#include "core/context.h"
#include "io/io.h"
#include "render/render_internal.h"
#include "render/render_vtk.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RENDER_VTK_ABI 1

/* The module's file name, next to the faceless binary in a build tree and in
 * PREFIX/lib/faceless/ when installed. */
#define RENDER_VTK_MODULE_FILE "faceless_vtk.so"

/* The one exported symbol: const render_vtk_module *faceless_vtk_module(void). */
#define RENDER_VTK_ENTRY "faceless_vtk_module"

/* faceless -> module: what the module calls back. Each member is the
 * faceless function of the same name (render_vtk_load.c fills it). */
typedef struct render_vtk_host {
    faceless_status (*ctx_fail)(faceless_ctx *ctx, faceless_status status, const char *fmt, ...);
    void (*ctx_log)(faceless_ctx *ctx, faceless_log_level level, const char *fmt, ...);
    int (*ctx_omp_threads)(const faceless_ctx *ctx);
    const char *(*ctx_error)(const faceless_ctx *ctx); /* faceless_ctx_error */
    float *(*skin_values)(const render_scene *scene, int threads, float pad);
    faceless_status (*write_atomic)(faceless_ctx *ctx, const char *path, const io_bytes *parts, size_t n);
    int (*image_alloc)(render_image *img, int width, int height, const uint8_t bg[3]);
    void (*image_free)(render_image *img);
    void (*view_axes)(render_view view, double u[3], double v[3], double d[3]);
} render_vtk_host;

/* module -> faceless. The functions are those of render_vtk.h, with the
 * same contracts. */
typedef struct render_vtk_module {
    uint32_t abi;                                            /* RENDER_VTK_ABI of the module's build */
    uint32_t size_scene, size_image, size_info, size_volume; /* sizeof, as the module saw them */
    /* Called once, before any function below; host outlives the process. */
    void (*init)(const render_vtk_host *host);
    faceless_status (*mesh_write)(faceless_ctx *ctx, const render_scene *scene, int64_t target_triangles,
                                  const char *path, render_mesh_info *info);
    faceless_status (*display_check)(faceless_ctx *ctx);
    faceless_status (*stage_new)(faceless_ctx *ctx, const render_scene *scene, int size, render_vtk_stage **out);
    faceless_status (*stage_view)(faceless_ctx *ctx, render_vtk_stage *stage, render_view view, render_image *out);
    void (*stage_free)(render_vtk_stage *stage);
} render_vtk_module;

typedef const render_vtk_module *(*render_vtk_entry_fn)(void);

#ifdef __cplusplus
}
#endif
#endif

/* render_skin: private to render/. The values of a scene with the air that a
 * viewer outside cannot see (bone, CSF, sinuses: as dark as air in a T1w)
 * raised to the threshold, so that an isosurface extractor finds the skin
 * alone (render_skin.c says how and why). Used by render_vtk.cpp for meshes
 * and VTK views. */
#ifndef FACELESS_RENDER_SKIN_H
#define FACELESS_RENDER_SKIN_H

#include "render/render_internal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new array of the scene's nx*ny*nz smoothed values (x fastest), with the
 * air that cannot be seen from outside raised to the threshold; caller frees.
 * When pad is not NaN, the array is (nx+2)*(ny+2)*(nz+2) values: the same,
 * surrounded by one layer of `pad` (voxel i of the grid at i+1). NULL when
 * out of memory. OpenMP with `threads`; the result is the same for any
 * thread count. */
float *render_skin_values(const render_scene *scene, int threads, float pad);

#ifdef __cplusplus
}
#endif
#endif

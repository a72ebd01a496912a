/* Private definition of faceless_volume, shared by io, register, mask and render.
 *
 * One volume type for the whole core: the grid, the voxels as stored (in
 * native byte order), the voxel-to-world (RAS mm) matrix, and an opaque handle
 * back to the source so the writer can put everything else back untouched.
 * Registration and masking never see files. */
#ifndef FACELESS_CORE_VOLUME_H
#define FACELESS_CORE_VOLUME_H

#include "faceless.h"

/* Which reader made the volume; tells faceless_volume_write how to write it. */
typedef enum volume_source_kind {
    VOLUME_SOURCE_NONE,  /* made in memory (tests, phantoms) */
    VOLUME_SOURCE_NIFTI, /* source is an io_nifti_source (src/io/nifti.h) */
    VOLUME_SOURCE_DICOM  /* source is a DICOM series handle (src/io/dicom.h) */
} volume_source_kind;

struct faceless_volume {
    int64_t nx, ny, nz, nt;   /* nt >= 1; voxel (i,j,k,t) at ((t*nz+k)*ny+j)*nx+i */
    double voxel_mm[3];       /* spacing along i, j, k */
    double vox2ras[4][4];     /* (i,j,k,1) -> (x,y,z,1) in RAS mm */
    faceless_matrix_source matrix_source;
    faceless_dtype dtype;     /* as stored in the file */
    double scl_slope;         /* as stored; 0 or 1 with inter 0 means identity */
    double scl_inter;
    void *data;               /* nx*ny*nz*nt voxels of dtype, native byte order */
    void *data_block;         /* what to free for data when data points inside a larger
                                 block (the reader keeps the file's header bytes in front
                                 of the voxels so the writer needs no copy); else NULL */
    char *path;               /* the file or folder it was read from; owned, may be NULL */
    volume_source_kind source_kind;
    void *source;             /* owned; freed by the reader's free function */
    void (*source_free)(void *source);
};

/* Number of voxels in one 3D volume, and in all of them. */
static inline int64_t volume_voxels3(const faceless_volume *v) { return v->nx * v->ny * v->nz; }
static inline int64_t volume_voxels(const faceless_volume *v) { return volume_voxels3(v) * v->nt; }

/* Whole voxels of voxel_mm per block of about target_mm (never coarser than
 * 1.2 target_mm; 1 when the voxel is not finer than about 0.6 target_mm):
 * the blocks the renders reduce a fine image by (render_reduce), shared with
 * the memory estimate that must predict them (io_memory_check). */
#define VOLUME_RENDER_MM 1.0 /* the renders' block size (render.h RENDER_REDUCE_MM) */
static inline int volume_block_factor(double voxel_mm, double target_mm)
{
    double k = voxel_mm > 0 ? target_mm / voxel_mm + 0.25 : 1.0;
    return k < 1.0 ? 1 : k > 64.0 ? 64 : (int)k;
}

/* A zero-filled volume with an identity-scaled grid; NULL when out of memory.
 * vox2ras is set from voxel_mm (a plain scaling). */
faceless_volume *volume_new(int64_t nx, int64_t ny, int64_t nz, int64_t nt, faceless_dtype dtype,
                            const double voxel_mm[3]);

/* A copy of frame t alone (grid, matrix, type, scaling; no source handle),
 * e.g. the "before" picture of an image about to be changed in place. */
faceless_volume *volume_copy_frame(const faceless_volume *v, int64_t t);

/* Stored value of voxel idx as a double (no scaling). */
double volume_get_stored(const faceless_volume *v, int64_t idx);

/* Stored values of voxels idx .. idx + n - 1 as doubles (no scaling): the
 * same as n calls of volume_get_stored, with the type switch taken once. */
void volume_get_stored_run(const faceless_volume *v, int64_t idx, int64_t n, double *out);

/* Sets voxel idx to the stored value `value`, rounded and clamped to dtype. */
void volume_set_stored(faceless_volume *v, int64_t idx, double value);

/* Frame t as float32 in scaled (physical) units, nx*ny*nz values; caller frees.
 * NaN and Inf in float inputs become 0. NULL when out of memory. */
float *volume_frame_to_float(const faceless_volume *v, int64_t t);

/* Smallest and largest stored value over all frames (finite values only). */
void volume_stored_range(const faceless_volume *v, double *lo, double *hi);

/* Three letters naming the world direction of the +i, +j, +k storage axes. */
void volume_orientation_code(const double vox2ras[4][4], char code[4]);

#endif

/* src/mask: pull the template's face/ear mask and brain guard back onto the
 * subject's own grid, and scramble the voxels under the mask (issue 4).
 *
 * Masking works on memory only (no files, no printing). The subject is never
 * resampled: for every subject voxel its world position is mapped into the
 * template with the inverse of the registration affine and the template masks
 * are looked up there.
 *
 * Thread safety: every function uses only its arguments; OpenMP loops use a
 * fixed partition, so results are bit-identical for any thread count. */
#ifndef FACELESS_MASK_H
#define FACELESS_MASK_H

#include "core/volume.h"
#include "templates/template_set.h"

#include <stdint.h>

#define MASK_DEFAULT_BRAIN_MARGIN_MM 5.0

typedef struct mask_params {
    double brain_margin_mm; /* guard dilation on the subject grid, mm (>= 0) */
    const faceless_volume *brain_mask; /* --brain-mask: a user's brain mask on any grid, a
                                          hard guard like the template's (NULL: none);
                                          checked first with mask_user_guard_check */
    const struct mask_depth *surface; /* this head's surface when already built (the
                                         check above builds it), else NULL: built here */
} mask_params;

void mask_params_default(mask_params *p);

/* Bits of mask_result.flags. */
#define MASK_FACE 1u   /* inside the pulled-back face/ear mask */
#define MASK_GUARD 2u  /* brain guard with its margin: must never change */
#define MASK_REMOVE 4u /* final mask: face/ear and not guard; scrambled */
#define MASK_GUARD_RAW 8u   /* the template's brain guard before its margin */
#define MASK_GUARD_USER 16u /* the user's --brain-mask before the margin */

/* The masks on the subject grid: one byte of MASK_* bits per voxel
 * (nx*ny*nz, x fastest), so the masks cost one byte per voxel in all; or,
 * once packed (mask_result_pack), the final mask alone at one bit per voxel.
 * Owned by the struct; release with mask_result_free. */
typedef struct mask_result {
    int64_t nx, ny, nz;
    uint8_t *flags;         /* NULL once packed */
    int64_t n_face;         /* voxels of the pulled-back face/ear mask */
    int64_t n_guard;        /* guard voxels, margin included, counted where the
                               guard can reach the face/ear mask (the guard is
                               only computed there) */
    int64_t n_remove;       /* voxels of the final mask */
    int64_t n_face_guarded; /* face/ear voxels kept because the guard covers them */
    uint64_t *removed;      /* packed: bit i % 64 of word i / 64 = MASK_REMOVE of voxel i; else NULL */
    /* the refinement on this head's own surface (issue 16) */
    int depth_limited;       /* 1: the template's depth limit was applied (surface.c) */
    int64_t n_depth_dropped; /* face/ear voxels left out as deeper below the skin than the limit */
    double skin_threshold;   /* the head surface's threshold (physical units); NAN when not used */
    int64_t n_user_guard;    /* voxels under --brain-mask (before the margin); 0 without it */
    double min_mm_to_guard;  /* safety: smallest distance from a masked voxel to the template's
                                guard before its margin (MASK_SAFETY_CAP_MM: none nearer) */
    double min_mm_to_user;   /* the same to --brain-mask; NAN without it */
} mask_result;

void mask_result_free(mask_result *m);

/* Packing (packed.c). After scrambling and its check, what follows (the
 * --mask-out image, the montage, --apply-to on the same grid) needs only
 * MASK_REMOVE: packing replaces the byte per voxel by a bit per voxel while
 * the output is compressed and written (peak memory is a target, issue 4).
 * mask_result_pack: 0 = out of memory (m unchanged). mask_result_unpack: a
 * new unpacked result (MASK_REMOVE bits only, the counts copied) from a
 * packed or unpacked one, for scrambling another image; 0 = out of memory. */
int mask_result_pack(mask_result *m, int threads);
int mask_result_unpack(const mask_result *m, mask_result *out, int threads);

/* Whether voxel i is in the final mask, packed or not. */
static inline int mask_result_removes(const mask_result *m, int64_t i)
{
    return m->flags ? (m->flags[i] & MASK_REMOVE) != 0 : (int)((m->removed[i >> 6] >> (i & 63)) & 1u);
}

/* Inverts a 4x4 affine (last row 0 0 0 1). Returns 0 when singular. */
int mask_affine_invert(const double m[4][4], double out[4][4]);
/* out = a b (out may be a or b). */
void mask_affine_mul(const double a[4][4], const double b[4][4], double out[4][4]);

/* ---- the subject's own head surface (depth.c, surface.c; issue 16) ---- */

/* Ball radius of the opening that finds protrusions (pinnae, nose): thinner
 * than its diameter (a pinna seen at 2 mm, with its folds partial-volumed
 * together, is up to about 15 mm thick). */
#define MASK_PROTRUSION_RADIUS_MM 9.0
/* Nothing deeper than this below the skin counts as a protrusion: the brain
 * lies deeper everywhere (scalp, muscle, skull and CSF: 10 mm and more in
 * adults), and the brain guard keeps its own margin on top. */
#define MASK_PROTRUSION_DEPTH_MM 8.0
/* Ball radius of the closing that seals channels into the head (ear canals,
 * nostrils) before the exterior air is found (depth.c). */
#define MASK_CLOSING_RADIUS_MM 6.0

/* The head surface on a work grid of about 2 mm: blocks of f[0] x f[1] x f[2]
 * subject voxels. Owned by the struct; release with mask_depth_free. */
#define MASK_DEPTH_UNITS_PER_MM 256.0
#define MASK_DEPTH_MAX 65535u
typedef struct mask_depth {
    int64_t dim[3];      /* work grid */
    int f[3];            /* subject voxels per block along each axis */
    double step_mm[3];   /* block spacing */
    uint16_t *depth;     /* per block: distance from the block's centre to the nearest exterior air block, in
                          * 1/MASK_DEPTH_UNITS_PER_MM (0 in air; MASK_DEPTH_MAX = that far or farther).
                          * Two bytes, not a float: the array is alive beside the flags at the mask's
                          * peak memory (issue 4), and 1/256 mm is finer than any limit needs */
    uint8_t *protrusion; /* per block: 1 = head outside the opening by MASK_PROTRUSION_RADIUS_MM */
    double threshold;    /* the skin threshold (physical units) of the block means; NAN: no surface */
} mask_depth;

/* Builds the surface of frame 0 of subj (depth.c). FACELESS_ERR_MEMORY. */
faceless_status mask_depth_build(faceless_ctx *ctx, const faceless_volume *subj, mask_depth *out);
void mask_depth_free(mask_depth *d);
/* The block holding subject voxel (i, j, k). */
int64_t mask_depth_block(const mask_depth *d, int64_t i, int64_t j, int64_t k);
/* Depth (mm) at subject voxel (i, j, k): trilinear between block centres. */
double mask_depth_at(const mask_depth *d, int64_t i, int64_t j, int64_t k);
/* The same for the whole row (j, k) of nx voxels into out, interpolated
 * across the row's block columns once (col: d->dim[0] doubles of work). */
void mask_depth_row(const mask_depth *d, int64_t j, int64_t k, int64_t nx, double *col, float *out);

/* Keeps of the MASK_FACE voxels those the template's depth limit allows
 * (surface.c): where tpl->face_depth gives L mm (255 = no limit), a voxel
 * stays in the face/ear mask when its depth below the skin is at most L or
 * it belongs to a protrusion; the others lose MASK_FACE. Returns the number
 * of voxels dropped, -1 for a singular affine, -2 out of memory. */
int64_t mask_limit_by_depth(const faceless_volume *subj, const template_image *face_depth,
                            const double tpl2subj[4][4], const mask_depth *d, uint8_t *flags, int threads);

/* --brain-mask (user_guard.c). mask_user_guard_check refuses, naming name,
 * a mask that cannot serve as a guard: no geometry (and not on subj's
 * grid), empty, all ones, or not lying on the head (FACELESS_ERR_INPUT).
 * The head surface it builds for that is handed to *surface when the mask
 * passes (the caller frees it with mask_depth_free and passes it on in
 * mask_params, so it is not built twice); freed otherwise.
 * mask_user_guard_apply sets MASK_GUARD on every subject voxel whose centre
 * falls within one mask voxel of a set one (placed by world coordinates);
 * returns the number set, -1 for a singular matrix. */
faceless_status mask_user_guard_check(faceless_ctx *ctx, const faceless_volume *subj, const faceless_volume *m,
                                      const char *name, mask_depth *surface);
int64_t mask_user_guard_apply(const faceless_volume *subj, const faceless_volume *m, uint8_t *flags, int threads);

/* The smallest distance (mm, between voxel centres in world space) from a
 * voxel with a `from` bit to one with a `to` bit (safety.c), capped at
 * MASK_SAFETY_CAP_MM (also when there is none); NAN when out of memory. */
#define MASK_SAFETY_CAP_MM 40.0
double mask_min_distance_mm(const faceless_volume *subj, const uint8_t *flags, uint8_t from, uint8_t to);

/* One line of the 1D squared distance transform (edt.c): f (n values,
 * FLT_MAX = no seed) -> d, with spacing^2 w. v, z: workspaces of n and n+1. */
void mask_edt_line(const float *f, float *d, int64_t n, double w, int64_t *v, double *z);
/* The 3D squared distance transform of g (dim[0] fastest; 0 at seeds,
 * FLT_MAX elsewhere) in place, spacing s (mm) per axis. 0: out of memory. */
int mask_edt_grid(float *g, const int64_t dim[3], const double s[3], int threads);

/* Pulls a template image back onto the subject grid: sets `bit` in out[v]
 * where the template value at the subject voxel's world position (mapped
 * through tpl2subj^-1) passes the test, clears it elsewhere. mode 0:
 * trilinear value >= 0.5 (a binary mask's boundary, half-way between
 * voxels); mode 1: any of the 8 surrounding template voxels > 0
 * (conservative, used for the guard). Points outside the template grid read
 * as 0. Returns the number of voxels set, -1 for a singular affine, -2 when
 * out of memory. */
int64_t mask_pullback(const faceless_volume *subj, const template_image *img,
                      const double tpl2subj[4][4], int mode, uint8_t bit, uint8_t *out,
                      int threads);

/* Per-axis spacing (mm, column norms of vox2ras) in s, and returns a factor
 * f <= 1 (1 for orthogonal grids) with: true distance >= f * the distance
 * computed axis by axis from s. */
double mask_grid_spacing(const faceless_volume *v, double s[3]);

/* Dilates the MASK_GUARD bit by margin_mm (Euclidean, in the subject's
 * millimetres; exact for orthogonal grids, conservative for sheared ones)
 * wherever a MASK_FACE voxel lies within the margin: elsewhere the dilation
 * could not change the final mask. Returns 0, or -1 when out of memory. */
int mask_dilate_guard(const faceless_volume *subj, uint8_t *flags, double margin_mm, int threads);

/* Builds the subject mask: face/ear minus brain guard (guard dilated by the
 * margin). Errors: FACELESS_ERR_MEMORY, FACELESS_ERR_INTERNAL (singular
 * affine), FACELESS_ERR_USAGE (negative margin). *out is set only on success. */
faceless_status mask_build(faceless_ctx *ctx, const faceless_volume *subj, const template_set *tpl,
                           const double tpl2subj[4][4], const mask_params *p, mask_result *out);

/* ---- scrambling (scramble.c, noise.c) ---------------------------------- */

typedef enum mask_mode { MASK_MODE_ZERO = 0, MASK_MODE_NOISE = 1 } mask_mode;

/* "zero" or "noise" -> mode; returns 0 for an unknown name. */
int mask_mode_parse(const char *name, mask_mode *mode);
const char *mask_mode_name(mask_mode mode);

typedef struct mask_scramble_stats {
    int64_t voxels_changed;  /* voxels (over all frames) whose stored value changed */
    double background_stored; /* zero mode: the stored value written */
    double tissue_threshold;  /* noise mode: air/tissue threshold (physical units), frame 0 */
    int64_t tissue_samples;   /* noise mode: facial tissue voxels sampled, frame 0 */
    double texture_sigma_vox[3]; /* noise mode: Gaussian texture width per axis, frame 0 */
} mask_scramble_stats;

/* The background value zero mode writes, in stored units (background.c):
 * the stored value of physical 0, unless 0 is tissue (CT in HU), then the
 * median of the air around the head (about -1000 HU). Padding (the signed
 * datatype minimum, or one lowest value standing apart, e.g. -3024 outside a
 * CT's circular FOV) and MR noise just below 0 do not make 0 tissue.
 * *out is set only on success; FACELESS_ERR_MEMORY otherwise. */
faceless_status mask_background_stored(faceless_ctx *ctx, const faceless_volume *v, double *out);

/* Scrambling and the invariant need an unpacked mask (flags). */

/* Scrambles the MASK_REMOVE voxels in every frame of v, in place.
 * Zero mode writes the background; noise mode refills the whole masked region
 * with noise drawn from the frame's own facial tissue intensities, with a
 * texture matched to the image (FFTW), reproducible from seed. */
faceless_status mask_scramble_in_place(faceless_ctx *ctx, faceless_volume *v, const mask_result *m,
                                       mask_mode mode, uint64_t seed, mask_scramble_stats *stats);

/* Noise refill of one frame (noise.c); used by mask_scramble_in_place. */
faceless_status mask_noise_frame(faceless_ctx *ctx, faceless_volume *v, int64_t t,
                                 const mask_result *m, uint64_t seed, mask_scramble_stats *stats);

/* The invariant: every voxel outside MASK_REMOVE, and every MASK_GUARD voxel,
 * is byte-identical before and after scrambling (all frames). Checked without
 * a copy of the image: a 64-bit hash of the protected voxels (values and
 * positions) is taken before and compared after. */
uint64_t mask_protected_hash(const faceless_volume *v, const mask_result *m, int threads);

/* FACELESS_ERR_INTERNAL (nothing may be written) when the protected voxels of
 * `after` do not hash to before_hash. */
faceless_status mask_check_invariant(faceless_ctx *ctx, const faceless_volume *after,
                                     const mask_result *m, uint64_t before_hash);

#endif

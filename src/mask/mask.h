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
} mask_params;

void mask_params_default(mask_params *p);

/* Bits of mask_result.flags. */
#define MASK_FACE 1u   /* inside the pulled-back face/ear mask */
#define MASK_GUARD 2u  /* brain guard with its margin: must never change */
#define MASK_REMOVE 4u /* final mask: face/ear and not guard; scrambled */

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

/* Private header of src/register: working images, the cost, the optimizer
 * and the global search. Nothing here is public; see register.h for the
 * contract. All functions are deterministic for any OpenMP thread count:
 * parallel loops run over fixed chunks (REG_CHUNK samples or one slab of a
 * grid) and partial sums are reduced in chunk order. */
#ifndef FACELESS_REG_INTERNAL_H
#define FACELESS_REG_INTERNAL_H

#include "core/context.h"
#include "register/register.h"

#include <math.h>
#include <stdint.h>

#define REG_CHUNK 4096 /* samples per chunk of the fixed partition */
#define REG_BINS 32    /* subject intensity classes of the correlation ratio */
#define REG_NPARAM 12
#define REG_PI 3.14159265358979323846
#define REG_LIN_SCALE 80.0 /* mm: a unit change of a linear parameter moves a point this far away by 1 mm */

/* A float image on a grid with its voxel <-> world (RAS mm) matrices. */
typedef struct reg_image {
    int64_t nx, ny, nz;
    double vox2ras[4][4];
    double ras2vox[4][4];
    float *v; /* owned */
} reg_image;

void reg_image_free(reg_image *im);
/* Sets ras2vox from vox2ras; 0 when the matrix is singular. */
int reg_image_set_matrix(reg_image *im, const double vox2ras[4][4]);
/* Block average by an integer factor per axis (1 keeps the axis). 0 = out of memory. */
int reg_image_downsample(const reg_image *in, const int f[3], reg_image *out, faceless_ctx *ctx);
/* The same from frame 0 of a volume on grid's geometry, without a float copy
 * of the whole frame. */
int reg_image_downsample_volume(const faceless_volume *v, const reg_image *grid, const int f[3], reg_image *out,
                                faceless_ctx *ctx);
/* Trilinear value at voxel coordinates u; 0 outside. */
float reg_image_sample(const reg_image *im, const double u[3]);

/* Values at quantiles q[0..nq-1] (0..1) of v, from a fine histogram
 * (resolution 1/65536 of the range). */
void reg_quantiles(const float *v, int64_t n, const double *q, int nq, double *out);

/* Median of the grid's border voxels: the background level, as
 * reg_head_mask takes it. tmp holds at least the border's voxel count. */
double reg_border_median(const reg_image *im, float *tmp);

/* Head (foreground) mask of a working image: 1 head, 0 background. The
 * background level is the median of the grid's border voxels, so a dark or a
 * bright (inverted) background both work; holes are filled by flooding the
 * background from the border. Caller frees. NULL = out of memory. */
uint8_t *reg_head_mask(const reg_image *im);

/* Cost samples: voxel centres of the sampled grid with their intensity
 * class. A sample is held as its voxel indices, 6 bytes instead of 12 for
 * its world coordinates (the 2 mm set is the registration's largest buffer
 * and peak memory is a target, issue 4); ijk2x gives the coordinates the
 * transform works on, world mm minus the centre c, and is folded into each
 * evaluation's matrix (reg_samples_matrix). NIfTI-1 grids, the template's
 * included, have at most 32767 voxels along an axis, so indices fit int16. */
typedef struct reg_samples {
    int64_t n;
    int16_t *ijk;           /* 3n voxel indices: n i, then n j, then n k */
    uint8_t *bin;           /* n classes in 0..REG_BINS-1 */
    double c[3];            /* centre of the parameterisation (subject world mm) */
    double ijk2x[4][4];     /* (i, j, k, 1) -> world mm minus c */
} reg_samples;

/* G * ijk2x: a matrix that takes world mm minus c (G) made to take the
 * samples' voxel indices instead. */
void reg_samples_matrix(const reg_samples *s, const double G[4][4], double out[4][4]);

/* The 12 gradient sums over samples, taken with the voxel indices as lever
 * arms (sum[4a + l] = sum_q coef_q g_qa (i, j, k, 1)_l), rewritten in place
 * as the sums over world mm minus c that the chain rule needs: linear, so
 * it is exact up to rounding. */
void reg_samples_sums_to_world(const reg_samples *s, double sum[12]);

/* m dilated by r voxels (6-neighbour steps). Caller frees; NULL = memory. */
uint8_t *reg_mask_dilate(const reg_image *im, const uint8_t *m, int r);

/* Samples from a subject level: the voxels whose nearest voxel of kim is set
 * in keepm (the dilated head mask: the scalp edge is the strongest feature
 * in every contrast, far air only adds work), thinned to at most max_n by a
 * fixed stride. Classes by histogram equalisation. 0 = out of memory. */
int reg_samples_make(const reg_image *im, const reg_image *kim, const uint8_t *keepm, int64_t max_n,
                     const double c[3], reg_samples *s);
void reg_samples_free(reg_samples *s);

/* The transform being optimised: template world y = L (x - c) + t for subject
 * world x. p[0..2] = t (mm), p[3+3r+k] = L[r][k] * REG_LIN_SCALE. */
void reg_params_to_affine(const double p[REG_NPARAM], const double c[3], double subj2tpl[4][4]);
void reg_affine_to_params(const double subj2tpl[4][4], const double c[3], double p[REG_NPARAM]);

/* Trilinear value and gradient (per voxel) at voxel coordinates u, with
 * hi[a] = n_a - 1 - 1e-3 (reg_tri_limits). Outside the grid the nearest
 * border value is used (gradient 0 along the clamped axis): the template's
 * sides are air, so this is air, except under its lowest slice (z = -71 mm
 * in MNI, the nose), where the head continues downwards like the neck does.
 * Every sample thus always counts, so the fit cannot lower its cost by
 * pushing awkward parts of the subject out of the template.
 * Single precision and no branches: this runs for every sample at every
 * evaluation (float coordinates resolve 1e-5 voxel on these grids), and the
 * clamps are selects because samples cross the border in no order a branch
 * predictor can learn. */
static inline void reg_tri_limits(const reg_image *im, float hi[3])
{
    hi[0] = (float)(im->nx - 1) - 1e-3f;
    hi[1] = (float)(im->ny - 1) - 1e-3f;
    hi[2] = (float)(im->nz - 1) - 1e-3f;
}

/* One axis of a sample's cell: u clamped to [0, hi], the cell index i, the
 * fraction f within it, and inside = 1 where u was not clamped (its
 * gradient counts) else 0. */
static inline void reg_tri_axis(float u, float hi, int32_t *i, float *f, float *inside)
{
    float c = u > 0.0f ? u : 0.0f;
    c = c < hi ? c : hi;
    *inside = (float)((u > 0.0f) & (u < hi));
    *i = (int32_t)c;
    *f = c - (float)*i;
}

/* Trilinear value and gradient (per voxel) from a cell's eight corner
 * values v[x + 2y + 4z], the fractions and the inside flags. */
static inline void reg_tri_interp(const float v[8], float fx, float fy, float fz, const float inside[3], float *val,
                                  float g[3])
{
    const float c00 = v[0] + fx * (v[1] - v[0]), c10 = v[2] + fx * (v[3] - v[2]);
    const float c01 = v[4] + fx * (v[5] - v[4]), c11 = v[6] + fx * (v[7] - v[6]);
    const float c0 = c00 + fy * (c10 - c00), c1 = c01 + fy * (c11 - c01);
    *val = c0 + fz * (c1 - c0);
    const float d00 = v[1] - v[0], d10 = v[3] - v[2], d01 = v[5] - v[4], d11 = v[7] - v[6];
    const float dx0 = d00 + fy * (d10 - d00), dx1 = d01 + fy * (d11 - d01);
    const float e0 = c10 - c00, e1 = c11 - c01;
    g[0] = inside[0] * (dx0 + fz * (dx1 - dx0));
    g[1] = inside[1] * (e0 + fz * (e1 - e0));
    g[2] = inside[2] * (c1 - c0);
}

/* The eight corner values of the cell at offset off (x + 2y + 4z). */
static inline void reg_tri_corners(const reg_image *im, int64_t off, float v[8])
{
    const int64_t sy = im->nx, sz = im->nx * im->ny;
    const float *p = im->v + off;
    v[0] = p[0], v[1] = p[1], v[2] = p[sy], v[3] = p[sy + 1];
    v[4] = p[sz], v[5] = p[sz + 1], v[6] = p[sz + sy], v[7] = p[sz + sy + 1];
}

/* All three for one sample at voxel coordinates u (the MI kernel runs the
 * same pieces over blocks of samples, reg_mi.c). */
static inline void reg_tri_grad(const reg_image *im, const float hi[3], const float u[3], float *val, float g[3])
{
    int32_t i[3];
    float f[3], inside[3], v[8];
    for (int a = 0; a < 3; a++)
        reg_tri_axis(u[a], hi[a], &i[a], &f[a], &inside[a]);
    reg_tri_corners(im, ((int64_t)i[2] * im->ny + i[1]) * im->nx + i[0], v);
    reg_tri_interp(v, f[0], f[1], f[2], inside, val, g);
}

/* G (double) as float rows for the per-sample transform. */
static inline void reg_matrix_float(const double G[4][4], float Gf[3][4])
{
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            Gf[r][c] = (float)G[r][c];
}

enum { REG_COST_CR = 0, REG_COST_MI = 1 };
#define REG_MI_BINS 32 /* linear value bins of the moving image (MI) */

/* What every sample of one MI evaluation shares. */
typedef struct reg_mi_consts {
    float G[3][4]; /* samples' voxel indices -> moving-image voxels */
    float hi[3];   /* reg_tri_limits */
    float lo, sc;  /* value -> bin coordinate: 1 + (v - lo) * sc */
} reg_mi_consts;

/* Workspace for the cost (allocated once per sample set). An evaluation
 * leaves its histogram here, and its per-sample values (CR) or what
 * recomputes them (MI), so that the gradient can be computed afterwards only
 * where the optimiser needs it (at accepted points, not at every trial of a
 * line search). Not shared between threads:
 * one workspace per concurrent optimisation. */
typedef struct reg_cost_ws {
    const reg_samples *s;
    const reg_image *tpl;
    /* CR only (NULL for MI, whose gradient pass recomputes them, reg_mi.c): */
    float *t;     /* n: template values */
    float *grad;  /* 3n gradients (voxel units): n along x, then n along y, then n along z */
    uint8_t *in;  /* n: sample counted in the last evaluation */
    uint8_t *use; /* n: sample selected for this level (reg_cost_select) */
    int threads;
    int kind;      /* REG_COST_CR or REG_COST_MI */
    double lo, hi; /* MI: value range of the moving image mapped onto its bins */
    int64_t evals;
    /* the last evaluation: informative (else its gradient is 0), its cost */
    int last_ok;
    double last_cost;
    double *joint;                      /* MI: REG_BINS x REG_MI_BINS joint histogram */
    double *chunk_hist;                 /* MI: one joint histogram per chunk, reused by every evaluation */
    double norm;                        /* MI: N * H(class) */
    reg_mi_consts mi_last;              /* MI: the last evaluation's transform and value bins */
    double mu[REG_BINS], mean, var;     /* CR: class means, mean and variance */
} reg_cost_ws;

int reg_cost_ws_init(reg_cost_ws *w, const reg_samples *s, const reg_image *tpl, int threads, int kind);
void reg_cost_ws_free(reg_cost_ws *w);

/* Mutual-information cost (reg_mi.c) at the transform G (the samples' voxel
 * indices to voxel coordinates of the moving image); sets the
 * workspace's last evaluation. reg_mi_gradient_sums: the 12 sums
 * sum_i dcost_i/dvalue_i * grad_u_i (x) (idx_i, 1) of that evaluation over
 * the samples' voxel indices (reg_samples_sums_to_world makes them world
 * sums), already divided by its normalisation; 0 = out of memory. */
double reg_cost_mi(reg_cost_ws *w, const double G[4][4], double *overlap);
int reg_mi_gradient_sums(const reg_cost_ws *w, double sum[12]);

/* sum[e] = (the 12 gradient partial sums of every chunk, added in chunk
 * order) / divisor: the fixed reduction of both costs' gradient passes. */
void reg_sum_chunk_partials(const double *part, int64_t nchunks, double divisor, double sum[12]);

/* Selects the samples that p maps inside the template grid, at least
 * margin_vox voxels from its border; they alone count until the next call. */
void reg_cost_select(reg_cost_ws *w, const double p[REG_NPARAM], double margin_vox);

/* The cost in [0, 1] (lower is better) at parameters p: mutual information
 * or the correlation ratio 1 - eta^2(template | subject class), by w->kind;
 * gradient into g when g != NULL. Returns 1 (worst, gradient 0) when too few
 * samples overlap the template. */
double reg_cost_eval(reg_cost_ws *w, const double p[REG_NPARAM], double g[REG_NPARAM], double *overlap);
/* The gradient at the parameters of the last reg_cost_eval. */
void reg_cost_gradient(reg_cost_ws *w, double g[REG_NPARAM]);

/* BFGS with backtracking line search on reg_cost_eval. step0: first step
 * length (largest parameter change, mm); tol: stop when a step changes no
 * parameter by more than tol. Returns the final cost; p is updated. */
double reg_optimize(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter);

/* BFGS's inverse-Hessian estimate, carried from one fit to the next of a
 * nearby cost (the consistency refit starts where the fit ended, with the
 * same curvature): a cold start spends its first iterations relearning it. */
typedef struct reg_curvature {
    int valid;
    double H[REG_NPARAM][REG_NPARAM];
} reg_curvature;

/* reg_optimize starting from curv's estimate when valid; curv receives the
 * final estimate. */
double reg_optimize_warm(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter,
                         reg_curvature *curv);

/* The same on a similarity transform (translation, rotation, one scale)
 * around p's linear part; p is updated. */
double reg_optimize_similarity(reg_cost_ws *w, double p[REG_NPARAM], double step0, double tol, int max_iter);

/* Global search result: a start transform and its search score. */
typedef struct reg_start {
    double subj2tpl[4][4];
    double score;
} reg_start;

/* Exhaustive translation search by FFT cross-correlation of head masks for
 * every rotation of a grid (and every axis-aligned orientation when
 * all_orientations). Fills up to max_out best starts, best first, with
 * distinct rotations. Returns the count, or -1 when out of memory. */
int reg_search_global(faceless_ctx *ctx, const reg_image *subj, const uint8_t *subj_head, const reg_image *tpl,
                      const uint8_t *tpl_head, int all_orientations, reg_start *out, int max_out);

/* Coil shading (reg_bias.c). reg_bias_field: the smooth field of the head's
 * signal (departure from the background, the border median, into
 * *background) on im's grid, median 1 over the head (mask), 1 in far air;
 * its spread log(p90 / p10) over the head into *spread. Caller frees; NULL
 * = out of memory. reg_bias_strength: how much of it to divide out (0..1)
 * for that spread. reg_bias_apply: im's departure from background divided
 * by field^strength, the field (on fgrid's grid) looked up by world
 * position. */
float *reg_bias_field(const reg_image *im, const uint8_t *mask, double *spread, double *background);
double reg_bias_strength(double spread);
void reg_bias_apply(reg_image *im, const reg_image *fgrid, const float *field, double background, double strength);

/* Edge agreement (reg_edges.c) of the template level t (head mask tm) with
 * the subject level s under tpl2subj, over the head at least erode voxels
 * inside tm: 1 = parallel edges, 1/3 = unrelated. */
double reg_edge_agreement(const reg_image *t, const uint8_t *tm, const reg_image *s, const double tpl2subj[4][4],
                          int erode);

/* 4x4 helpers */
void reg_mat_mul(const double a[4][4], const double b[4][4], double out[4][4]);
int reg_mat_inv(const double a[4][4], double out[4][4]);
void reg_mat_apply(const double m[4][4], const double x[3], double y[3]);
void reg_mat_rotation(double rx_deg, double ry_deg, double rz_deg, double out[4][4]);

#endif

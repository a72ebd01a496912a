/* render_skin: the values whose isosurface is the skin as seen from outside.
 *
 * At the skin threshold a head's isosurface also wraps everything dark inside
 * it: in a T1w image bone and CSF are as dark as air, and they are connected
 * to the air outside through the airways and ear canals, so the surface runs
 * on through the skull into every sulcus (Colin27: 820,000 triangles, 340,000
 * without the inside). That is invisible from outside, makes a mesh more than
 * twice as big and slower to decimate, and clutters it for an operator who
 * opens it with some transparency.
 *
 * So the air that counts is the air a viewer outside could see: a voxel below
 * the threshold is outside air when a straight line from it to the border of
 * the grid along one of the 26 grid directions (axes, face and cube
 * diagonals: for a file stored along the world axes, every direction the
 * five views look along) stays below the threshold, or when it is within
 * SKIN_GROW voxels (6-connected, through air) of such a voxel, which reaches
 * into the folds of the ears and the nostrils. Every other voxel below the
 * threshold is raised to the threshold. An isosurface edge joins two
 * 6-neighbours; an edge between outside air and tissue keeps both its values,
 * so the surface seen from outside does not move by a bit, while the surfaces
 * inside the head vanish. Where outside air meets raised air (deep in an ear
 * canal or a nostril) a surface closes the passage at that depth. Anything
 * floating in front of a de-faced face is seen from outside, so it stays: QC
 * must see it. */
#include "render/render_skin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Voxels of growth into folds that no grid direction sees straight into. */
#define SKIN_GROW 2
/* Threads that sweep directions at once; each holds 2 bytes per voxel. */
#define MAX_SWEEPERS 4

/* One row of see_along(): voxels (y, z) for every x, in the order that has
 * p + e computed before p when e runs along the row (so only the first voxel
 * of the sweep can have p + e beyond the grid's x range). */
static inline void see_row(const float *vol, float thr, const int64_t n[3], const int e[3], int64_t y, int64_t z,
                           uint8_t *vis, uint8_t *seen)
{
    const int64_t nx = n[0], ny = n[1], nz = n[2];
    const int64_t yn = y + e[1], zn = z + e[2];
    const int beyond = yn < 0 || yn >= ny || zn < 0 || zn >= nz;
    const int64_t off = (e[2] * ny + e[1]) * nx + e[0];
    const int64_t row = (z * ny + y) * nx;
    const int64_t x0 = e[0] > 0 ? nx - 1 : 0, dx = e[0] > 0 ? -1 : 1;
    for (int64_t k = 0, i = row + x0; k < nx; k++, i += dx) {
        uint8_t v = vol[i] < thr;
        if (v && !beyond && (k > 0 || e[0] == 0))
            v = vis[i + off];
        vis[i] = v;
        seen[i] |= v;
    }
}

/* ORs into seen[] the air voxels from which the line along e (one of the 26
 * directions) to the border of the grid stays in air; vis[] is scratch. The
 * recurrence vis(p) = air(p) && (p + e outside || vis(p + e)) runs slice by
 * slice, row by row, away from the side e points to. */
static void see_along(const float *vol, float thr, const int64_t n[3], const int e[3], uint8_t *vis, uint8_t *seen)
{
    const int64_t ny = n[1], nz = n[2];
    for (int64_t zi = 0; zi < nz; zi++)
        for (int64_t yi = 0; yi < ny; yi++)
            see_row(vol, thr, n, e, e[1] > 0 ? ny - 1 - yi : yi, e[2] > 0 ? nz - 1 - zi : zi, vis, seen);
}

float *render_skin_values(const render_scene *s, int threads, float pad)
{
    const int64_t nx = s->n[0], ny = s->n[1], nz = s->n[2], n = nx * ny * nz;
    const float thr = s->thr;
    const int p = isnan(pad) ? 0 : 1;
    const int64_t px = nx + 2 * p, py = ny + 2 * p, pz = nz + 2 * p;
    float *out = malloc((size_t)(px * py * pz) * sizeof *out);
    uint8_t *seen = calloc((size_t)n, 1), *scratch = malloc((size_t)n);
    int failed = !out || !seen || !scratch;
    /* The 26 directions are shared among at most MAX_SWEEPERS threads, each
     * with its own scratch and its own `seen`, OR-ed together at the end (in
     * any order: OR is exact), so a thread costs 2 bytes per voxel. */
    int sweepers = threads < MAX_SWEEPERS ? threads : MAX_SWEEPERS;
#pragma omp parallel num_threads(sweepers) if (!failed)
    {
        uint8_t *vis = malloc((size_t)n), *mine = calloc((size_t)n, 1);
        if (!vis || !mine) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int d = 0; d < 27; d++) {
            const int e[3] = {d % 3 - 1, (d / 3) % 3 - 1, d / 9 - 1};
            if ((e[0] || e[1] || e[2]) && vis && mine)
                see_along(s->vol, thr, s->n, e, vis, mine);
        }
#pragma omp critical
        for (int64_t i = 0; mine && seen && i < n; i++)
            seen[i] |= mine[i];
        free(vis);
        free(mine);
    }
    if (failed) {
        free(out);
        free(seen);
        free(scratch);
        return NULL;
    }
    /* Grow into folds: SKIN_GROW steps of 6-connected growth through air,
     * each from a frozen copy of the previous step. */
    for (int g = 0; g < SKIN_GROW; g++) {
        memcpy(scratch, seen, (size_t)n);
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t z = 0; z < nz; z++)
            for (int64_t y = 0; y < ny; y++)
                for (int64_t x = 0; x < nx; x++) {
                    const int64_t i = (z * ny + y) * nx + x;
                    if (scratch[i] || !(s->vol[i] < thr))
                        continue;
                    if ((x > 0 && scratch[i - 1]) || (x < nx - 1 && scratch[i + 1]) || (y > 0 && scratch[i - nx]) ||
                        (y < ny - 1 && scratch[i + nx]) || (z > 0 && scratch[i - nx * ny]) ||
                        (z < nz - 1 && scratch[i + nx * ny]))
                        seen[i] = 1;
                }
    }
    if (p)
        for (int64_t i = 0; i < px * py * pz; i++)
            out[i] = pad;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t z = 0; z < nz; z++)
        for (int64_t y = 0; y < ny; y++) {
            const int64_t i = (z * ny + y) * nx;
            float *o = out + ((z + p) * py + y + p) * px + p;
            for (int64_t x = 0; x < nx; x++)
                o[x] = seen[i + x] || !(s->vol[i + x] < thr) ? s->vol[i + x] : thr;
        }
    free(seen);
    free(scratch);
    return out;
}

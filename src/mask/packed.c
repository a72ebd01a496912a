/* The final mask packed to one bit per voxel, and back (mask.h says why). */
#include "mask/mask.h"

#include <stdlib.h>
#include <string.h>

int mask_result_pack(mask_result *m, int threads)
{
    if (!m->flags)
        return 1;
    const int64_t n = m->nx * m->ny * m->nz, nw = (n + 63) / 64;
    uint64_t *bits = malloc((size_t)(nw ? nw : 1) * sizeof *bits);
    if (!bits)
        return 0;
    const uint8_t *f = m->flags;
    /* each word from its own 64 voxels: any partition gives the same words */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t w = 0; w < nw; w++) {
        uint64_t word = 0;
        const int64_t end = (w + 1) * 64 < n ? 64 : n - w * 64;
        for (int64_t b = 0; b < end; b++)
            word |= (uint64_t)((f[w * 64 + b] & MASK_REMOVE) != 0) << b;
        bits[w] = word;
    }
    free(m->flags);
    m->flags = NULL;
    m->removed = bits;
    return 1;
}

int mask_result_unpack(const mask_result *m, mask_result *out, int threads)
{
    const int64_t n = m->nx * m->ny * m->nz;
    mask_result r = *m;
    r.removed = NULL;
    r.flags = malloc((size_t)(n ? n : 1));
    if (!r.flags)
        return 0;
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < n; i++)
        r.flags[i] = mask_result_removes(m, i) ? MASK_REMOVE : 0;
    *out = r;
    return 1;
}

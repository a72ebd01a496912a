/* Scrambling: zero mode, the dispatcher for both modes, and the invariant
 * check that runs after it (the guard is applied last and checked). */
#include "mask/mask.h"

#include "core/context.h"

#include <math.h>
#include <string.h>

int mask_mode_parse(const char *name, mask_mode *mode)
{
    if (!strcmp(name, "zero")) {
        *mode = MASK_MODE_ZERO;
        return 1;
    }
    if (!strcmp(name, "noise")) {
        *mode = MASK_MODE_NOISE;
        return 1;
    }
    return 0;
}

const char *mask_mode_name(mask_mode mode) { return mode == MASK_MODE_NOISE ? "noise" : "zero"; }

faceless_status mask_scramble_in_place(faceless_ctx *ctx, faceless_volume *v, const mask_result *m,
                                       mask_mode mode, uint64_t seed, mask_scramble_stats *stats)
{
    if (m->nx != v->nx || m->ny != v->ny || m->nz != v->nz)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL, "%s: mask grid differs from the image grid",
                        v->path ? v->path : "image");
    mask_scramble_stats st;
    memset(&st, 0, sizeof st);
    const int64_t n3 = volume_voxels3(v);
    const size_t vs = faceless_dtype_size(v->dtype);
    if (mode == MASK_MODE_ZERO) {
        faceless_status bs = mask_background_stored(ctx, v, &st.background_stored);
        if (bs != FACELESS_OK)
            return bs;
        /* One stored pattern of the background, copied byte-wise so every
         * frame gets exactly the same bits. */
        faceless_volume *one = volume_new(1, 1, 1, 1, v->dtype, v->voxel_mm);
        if (!one)
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        volume_set_stored(one, 0, st.background_stored);
        st.background_stored = volume_get_stored(one, 0);
        unsigned char pattern[8];
        memcpy(pattern, one->data, vs);
        faceless_volume_free(one);
        int64_t changed = 0;
        const int64_t nall = volume_voxels(v);
#define ZERO_FILL(T)                                                                               \
    do {                                                                                           \
        T bg;                                                                                      \
        memcpy(&bg, pattern, sizeof bg);                                                           \
        T *p = v->data;                                                                            \
        for (int64_t i = 0; i < nall; i++)                                                         \
            if (m->flags[i % n3] & MASK_REMOVE) {                                                  \
                /* compare bits, not values: -0.0 and NaN payloads count */                        \
                changed += memcmp(&p[i], &bg, sizeof bg) != 0;                                     \
                p[i] = bg;                                                                         \
            }                                                                                      \
    } while (0)
        switch (vs) {
        case 1: ZERO_FILL(uint8_t); break;
        case 2: ZERO_FILL(uint16_t); break;
        case 4: ZERO_FILL(uint32_t); break;
        default: ZERO_FILL(uint64_t); break;
        }
#undef ZERO_FILL
        st.voxels_changed = changed;
    } else {
        for (int64_t t = 0; t < v->nt; t++) {
            mask_scramble_stats ft;
            memset(&ft, 0, sizeof ft);
            /* Each frame gets its own stream so that frames are not copies. */
            faceless_status s = mask_noise_frame(ctx, v, t, m, seed + (uint64_t)t * 0x9E3779B97F4A7C15ull, &ft);
            if (s != FACELESS_OK)
                return s;
            if (t == 0) {
                st = ft;
            } else {
                st.voxels_changed += ft.voxels_changed;
            }
        }
    }
    if (stats)
        *stats = st;
    return FACELESS_OK;
}

/* 64-bit mixer (the finaliser of splitmix64): a bijection. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* Hash of one slab of stored values of size VS: a sum over the protected
 * voxels of a bijective mix of (value, position). A sum, so the loop has no
 * serial dependency; a bijection, so a single changed voxel always changes
 * it (several changes cancel with probability about 2^-64). */
#define SLAB_HASH(T)                                                                               \
    do {                                                                                           \
        const T *p = (const T *)(const void *)data + s * slab;                                     \
        for (int64_t i = 0; i < slab; i++) {                                                       \
            uint8_t f = fl[i];                                                                     \
            if ((f & MASK_REMOVE) && !(f & MASK_GUARD))                                            \
                continue;                                                                          \
            T x = p[i];                                                                            \
            uint64_t val = 0;                                                                      \
            memcpy(&val, &x, sizeof x);                                                            \
            hs += mix64(val ^ (base + (uint64_t)i) * 0x9E3779B97F4A7C15ull);                       \
        }                                                                                          \
    } while (0)

uint64_t mask_protected_hash(const faceless_volume *v, const mask_result *m, int threads)
{
    const int64_t nslab = v->nz * v->nt, slab = v->nx * v->ny;
    const size_t vs = faceless_dtype_size(v->dtype);
    const void *data = v->data;
    uint64_t h = 0;
    /* Integer sums are exact, so the partition (and thread count) cannot
     * change the result. */
#pragma omp parallel for schedule(static) num_threads(threads) reduction(+ : h)
    for (int64_t s = 0; s < nslab; s++) {
        const uint8_t *fl = m->flags + (s % v->nz) * slab;
        const uint64_t base = (uint64_t)(s * slab) << 1;
        uint64_t hs = 0;
        switch (vs) {
        case 1: SLAB_HASH(uint8_t); break;
        case 2: SLAB_HASH(uint16_t); break;
        case 4: SLAB_HASH(uint32_t); break;
        default: SLAB_HASH(uint64_t); break;
        }
        h += hs;
    }
    return h;
}

faceless_status mask_check_invariant(faceless_ctx *ctx, const faceless_volume *after,
                                     const mask_result *m, uint64_t before_hash)
{
    if (mask_protected_hash(after, m, ctx_omp_threads(ctx)) != before_hash)
        return ctx_fail(ctx, FACELESS_ERR_INTERNAL,
                        "%s: a voxel outside the mask or inside the brain guard changed; "
                        "nothing was written (please report this bug)",
                        after->path ? after->path : "image");
    return FACELESS_OK;
}

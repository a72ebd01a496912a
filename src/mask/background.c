/* The background value that zero mode writes (issue 4: "masked voxels set to
 * the background value (0, or the image minimum where 0 is tissue, e.g. CT in
 * HU)").
 *
 * "Is 0 tissue?" is decided from the image's own air, not from the sign of
 * its minimum: a negative minimum is usually padding, not air. Scanners and
 * converters fill the outside of the field of view with one value (int16
 * MR: -32768; CT: -3024, -2048 or -2000 outside the circular FOV), and MR
 * air noise after filtering or real-valued reconstruction dips a little
 * below 0. Neither makes 0 tissue. So:
 *
 * 1. Padding is left out: the datatype minimum of a signed integer type,
 *    and the lowest value when it stands alone, i.e. the gap up to the next
 *    value is more than PAD_GAP of the span of the rest (to its 99th
 *    percentile). Padding is one value with nothing between it and air;
 *    air, even clipped at -1024 HU, runs without a gap into tissue through
 *    partial-volume voxels at the skin.
 * 2. Of the rest, air is the dark population: below L + 12% of (H - L),
 *    L and H the 2nd and 98th percentiles. The 12% is the air/tissue cut of
 *    the head mask the registration uses (reg_head_mask in
 *    src/register/reg_image.c), there taken from the border median.
 * 3. 0 is tissue when physical 0 lies above that cut (CT in HU: the cut is
 *    near -750 HU, brain is 20-40 HU). Then the background is the median of
 *    the air population, the air around the head (about -1000 HU), rather
 *    than the minimum: the minimum is padding or the clip at -1024, and a
 *    face filled with padding reads as "outside the FOV" in viewers and
 *    pulls every later intensity statistic. Otherwise (MR, and CT stored as
 *    0..1 or in a display window) the background is physical 0.
 *
 * The statistics are taken on a 65536-bin histogram of physical values over
 * all frames; for integer types whose span fits it is exact, one bin per
 * stored value, so the result is a stored value of the image. */
#include "mask/mask.h"

#include "core/context.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { NBINS = 65536, CHUNK = 4096 };

#define PAD_GAP 0.25 /* lone lowest value: gap > 25% of the span of the rest */
#define AIR_CUT 0.12 /* air/tissue cut, as in reg_head_mask */

static double scl_slope(const faceless_volume *v)
{
    return (v->scl_slope == 0.0 || !isfinite(v->scl_slope)) ? 1.0 : v->scl_slope;
}

static double scl_inter(const faceless_volume *v)
{
    return (v->scl_slope == 0.0 || !isfinite(v->scl_inter)) ? 0.0 : v->scl_inter;
}

/* The stored value of a signed integer type's minimum, or NAN: the padding
 * that int16 MR converters write outside the FOV. */
static double dtype_pad(faceless_dtype t)
{
    switch (t) {
    case FACELESS_DT_INT8: return -128.0;
    case FACELESS_DT_INT16: return -32768.0;
    case FACELESS_DT_INT32: return -2147483648.0;
    case FACELESS_DT_INT64: return -9223372036854775808.0;
    default: return NAN;
    }
}

static int is_integer(faceless_dtype t) { return t != FACELESS_DT_FLOAT32 && t != FACELESS_DT_FLOAT64; }

/* What one pass over the physical values needs to know. */
typedef struct bg_scan {
    double lo, lo2, hi; /* lowest, second-lowest distinct and highest physical value */
    int64_t n;          /* values counted (finite, not datatype padding) */
} bg_scan;

/* Calls fn(x, count, user) for every finite physical value that is not
 * datatype padding, with how many voxels hold it (every frame). Returns the
 * count of voxels. With `table` (8- and 16-bit integer types: the count of
 * each stored value, indexed by the value's bits) the values are visited
 * once each from it; else voxel by voxel. Everything the visits compute
 * (extremes, histogram counts) is independent of the order. */
typedef void (*bg_visit)(double x, int64_t count, void *user);

static int64_t bg_each(const faceless_volume *v, const int64_t *table, bg_visit fn, void *user)
{
    const double slope = scl_slope(v), inter = scl_inter(v), pad = dtype_pad(v->dtype);
    int64_t used = 0;
    if (table) {
        const int nv = v->dtype == FACELESS_DT_UINT8 || v->dtype == FACELESS_DT_INT8 ? 256 : 65536;
        for (int b = 0; b < nv; b++) {
            if (!table[b])
                continue;
            double x = v->dtype == FACELESS_DT_INT8    ? (double)(int8_t)(uint8_t)b
                       : v->dtype == FACELESS_DT_INT16 ? (double)(int16_t)(uint16_t)b
                                                       : (double)b;
            if (x == pad)
                continue;
            fn(x * slope + inter, table[b], user);
            used += table[b];
        }
        return used;
    }
    const int64_t n = volume_voxels(v);
    double buf[CHUNK];
    for (int64_t i = 0; i < n; i += CHUNK) {
        int64_t c = n - i < CHUNK ? n - i : CHUNK;
        volume_get_stored_run(v, i, c, buf);
        for (int64_t j = 0; j < c; j++) {
            if (!isfinite(buf[j]) || buf[j] == pad)
                continue;
            fn(buf[j] * slope + inter, 1, user);
            used++;
        }
    }
    return used;
}

/* For 8- and 16-bit integer types, the count of each stored value (indexed
 * by its bits: one pass over the voxels, where bg_each's two passes would
 * each decode and scale every voxel); NULL for other types or out of memory
 * (bg_each then reads the voxels). */
static int64_t *value_table(const faceless_volume *v)
{
    const int64_t n = volume_voxels(v);
    int64_t *t = NULL;
    switch (v->dtype) {
    case FACELESS_DT_UINT8:
    case FACELESS_DT_INT8: {
        if (!(t = calloc(256, sizeof *t)))
            return NULL;
        const uint8_t *d = v->data;
        for (int64_t i = 0; i < n; i++)
            t[d[i]]++;
        return t;
    }
    case FACELESS_DT_UINT16:
    case FACELESS_DT_INT16: {
        if (!(t = calloc(65536, sizeof *t)))
            return NULL;
        const uint16_t *d = v->data;
        for (int64_t i = 0; i < n; i++)
            t[d[i]]++;
        return t;
    }
    default: return NULL;
    }
}

static void visit_range(double x, int64_t count, void *user)
{
    (void)count;
    bg_scan *s = user;
    if (x < s->lo) {
        s->lo2 = s->lo;
        s->lo = x;
    } else if (x > s->lo && x < s->lo2) {
        s->lo2 = x;
    }
    if (x > s->hi)
        s->hi = x;
}

/* Histogram of the values above `lo` (the lowest value is counted apart, so
 * that it can be left out as padding or put back). */
typedef struct bg_hist {
    double base, width; /* bin b holds values within width/2 of base + b*width */
    double lo;
    int64_t n_lo;  /* voxels at lo */
    int64_t *bins; /* NBINS counts */
} bg_hist;

static void visit_hist(double x, int64_t count, void *user)
{
    bg_hist *h = user;
    if (x == h->lo) {
        h->n_lo += count;
        return;
    }
    double f = floor((x - h->base) / h->width + 0.5);
    int64_t b = f < 0 ? 0 : f > NBINS - 1 ? NBINS - 1 : (int64_t)f;
    h->bins[b] += count;
}

/* Value of the rank-th voxel (0-based) in ascending order; the lowest value
 * counts only when with_lo. */
static double hist_rank(const bg_hist *h, int with_lo, int64_t rank)
{
    if (with_lo) {
        if (rank < h->n_lo)
            return h->lo;
        rank -= h->n_lo;
    }
    int64_t acc = 0;
    for (int64_t b = 0; b < NBINS; b++) {
        acc += h->bins[b];
        if (acc > rank)
            return h->base + (double)b * h->width;
    }
    return h->base + (double)(NBINS - 1) * h->width;
}

/* Count of voxels whose value is below x; the lowest value counts only when
 * with_lo. */
static int64_t hist_below(const bg_hist *h, int with_lo, double x)
{
    int64_t acc = with_lo && h->lo < x ? h->n_lo : 0;
    for (int64_t b = 0; b < NBINS && h->base + (double)b * h->width < x; b++)
        acc += h->bins[b];
    return acc;
}

faceless_status mask_background_stored(faceless_ctx *ctx, const faceless_volume *v, double *out)
{
    const double slope = scl_slope(v), inter = scl_inter(v);
    bg_scan s = {INFINITY, INFINITY, -INFINITY, 0};
    int64_t *table = value_table(v);
    s.n = bg_each(v, table, visit_range, &s);
    double phys = 0.0; /* the background, physical units; 0 for a constant image */
    if (s.n > 0 && isfinite(s.lo2)) {
        bg_hist h = {s.lo2, 1.0, s.lo, 0, calloc(NBINS, sizeof(int64_t))};
        if (!h.bins) {
            free(table);
            return ctx_fail(ctx, FACELESS_ERR_MEMORY, "out of memory");
        }
        /* One bin per stored value when the stored span fits, so that
         * percentiles are values of the image; else equal bins. */
        double step = fabs(slope), span = s.hi - s.lo2;
        h.width = is_integer(v->dtype) && span / step < NBINS - 1 ? step : span / (NBINS - 1);
        if (!(h.width > 0.0))
            h.width = 1.0;
        bg_each(v, table, visit_hist, &h);
        const int64_t n_rest = s.n - h.n_lo;
        double p99 = hist_rank(&h, 0, (int64_t)(0.99 * (double)(n_rest - 1)));
        int with_lo = !(s.lo2 - s.lo > PAD_GAP * (p99 - s.lo2));
        int64_t m = with_lo ? s.n : n_rest;
        double L = hist_rank(&h, with_lo, (int64_t)(0.02 * (double)(m - 1)));
        double H = hist_rank(&h, with_lo, (int64_t)(0.98 * (double)(m - 1)));
        double cut = L + AIR_CUT * (H - L);
        if (0.0 > cut) {
            int64_t n_air = hist_below(&h, with_lo, cut);
            phys = n_air > 0 ? hist_rank(&h, with_lo, (n_air - 1) / 2) : L;
        }
        free(h.bins);
    }
    free(table);
    /* The stored value of the background; volume_set_stored rounds and
     * clamps it to the datatype. */
    *out = (phys - inter) / slope;
    return FACELESS_OK;
}

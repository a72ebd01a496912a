/* The automatic air/skin threshold of a head image (skin_threshold.c). */
#ifndef FACELESS_CORE_SKIN_THRESHOLD_H
#define FACELESS_CORE_SKIN_THRESHOLD_H

#include <stdint.h>

/* The threshold between air and skin of n physical values (NAN when they are
 * all equal). Bit-identical for any thread count and for any storage order of
 * the same values. */
double skin_threshold_from_values(const float *vals, int64_t n, int threads);

#endif

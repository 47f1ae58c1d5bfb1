/*
 * Exact integer division of boxcar window sums by the window width k
 * (docs/ALGORITHM.md §3a), without a division instruction, in forms that
 * vectorise. Internal to the locate layer; a header so that
 * tests/locate/test_preprocess.c can check every sum of every width.
 */
#ifndef LOCUS_LOCATE_DIVIDE_H
#define LOCUS_LOCATE_DIVIDE_H

#include <stdint.h>

/* A window width k and what dividing by it quickly needs. */
typedef struct {
    int32_t k;
    double inv; /* 1 / k */
    uint16_t m; /* 16-bit sums: the multiplier and shift of divide_u16 */
    int shift;
} divisor;

static inline divisor divisor_of(int k)
{
    divisor d = {.k = k, .inv = 1.0 / k};
    int bits = 0; /* ceil(log2 k) */
    while ((1 << bits) < k)
        bits++;
    /* m = floor(2^16 (2^bits - k) / k) + 1 < 2^16 for 2 <= k <= 2^16 */
    d.m =
        (uint16_t)((((uint32_t)1 << 16) * (((uint32_t)1 << bits) - (uint32_t)k)) / (uint32_t)k + 1);
    d.shift = bits > 0 ? bits - 1 : 0;
    return d;
}

/*
 * trunc(s / k) for 0 <= s < 2^16 and 2 <= k, exactly (Granlund and
 * Montgomery's multiply-high with the add-back step; tests/locate/
 * test_preprocess.c checks every s for every k the boxcar uses it for).
 * Every step is 16-bit, so a vector does 16 pixels at once: the uint8
 * boxcar, whose sums are below 255 * 257 < 2^16, runs in 16-bit lanes
 * throughout.
 */
static inline uint16_t divide_u16(uint16_t s, const divisor *d)
{
    uint16_t t = (uint16_t)(((uint32_t)s * d->m) >> 16);
    return (uint16_t)((t + (uint16_t)((uint16_t)(s - t) >> 1)) >> d->shift);
}

/*
 * trunc(s / k) for 0 <= s < 2^31, exactly, without a division: the
 * product with 1/k is within one of the quotient, and the remainder
 * tells which way to correct. Vectorises where a division would not pay.
 */
static inline int32_t divide_exact(int32_t s, const divisor *d)
{
    int32_t q = (int32_t)((double)s * d->inv);
    int32_t r = s - q * d->k;
    q += (r >= d->k) - (r < 0);
    return q;
}

/* The same for signed sums: trunc(s / k) rounds toward zero, as the C
 * conversion scipy makes into a signed image type does. */
static inline int32_t divide_exact_signed(int32_t s, const divisor *d)
{
    int32_t q = (int32_t)((double)s * d->inv);
    int32_t r = s - q * d->k;
    q += s >= 0 ? (r >= d->k) - (r < 0) : (r > 0) - (r <= -d->k);
    return q;
}

/* 32-bit images: window sums up to 4294967295 * 4095 need int64, and C's
 * division truncates toward zero. */
static inline int64_t divide_wide(int64_t s, const divisor *d)
{
    return s / d->k;
}

#endif

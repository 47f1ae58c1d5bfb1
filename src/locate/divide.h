/*
 * Exact integer division of boxcar window sums by the window width k
 * (docs/ALGORITHM.md §3a), without a division instruction, in forms that
 * vectorise. Internal to the locate layer; a header so that
 * tests/locate/test_preprocess.c can check every sum of every width.
 */
#ifndef LOCUS_LOCATE_DIVIDE_H
#define LOCUS_LOCATE_DIVIDE_H

#include <stddef.h>
#include <stdint.h>

/* A window width k and what dividing by it quickly needs. */
typedef struct {
    int32_t k;
    double inv;  /* 1 / k */
    float inv_f; /* 1 / k in float, for divide_f24 */
    uint16_t m;  /* 16-bit sums: the multiplier and shift of divide_u16 */
    int shift;
} divisor;

static inline divisor divisor_of(int k)
{
    divisor d = {.k = k, .inv = 1.0 / k, .inv_f = (float)(1.0 / k)};
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
 * out[i] = divide_u16(s[i]) for a row of sums of uint8 windows (so every
 * quotient fits in a byte), in 16-bit vector lanes. GCC vectorises the
 * scalar form with every step widened to 32 bits (the shift by a
 * run-time count is done on ints), unpacking and packing around it:
 * perf annotate put the division at about 40% of the boxcar's x pass
 * and most of its y pass on bulk_water. In vector lanes: the boxcar's
 * perf samples 2850 -> 1364, locate only 1.52 -> 1.42 ms/frame (medians
 * of 6 alternating runs, Sapphire Rapids). Each lane does divide_u16's
 * exact steps, so the quotients are the same (tests/locate/
 * test_preprocess.c checks every sum and width against it).
 */
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

static inline void divide_u16_row(const uint16_t *s, uint8_t *out, size_t n, const divisor *d)
{
    size_t i = 0;
#if defined(__AVX512BW__)
    const __m512i m = _mm512_set1_epi16((short)d->m);
    const __m128i shift = _mm_cvtsi32_si128(d->shift);
    for (; i + 32 <= n; i += 32) {
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        __m512i t = _mm512_mulhi_epu16(v, m);
        __m512i q = _mm512_srl_epi16(
            _mm512_add_epi16(t, _mm512_srli_epi16(_mm512_sub_epi16(v, t), 1)), shift);
        _mm256_storeu_si256((__m256i *)(void *)(out + i), _mm512_cvtepi16_epi8(q));
    }
#elif defined(__AVX2__)
    const __m256i m = _mm256_set1_epi16((short)d->m);
    const __m128i shift = _mm_cvtsi32_si128(d->shift);
    for (; i + 16 <= n; i += 16) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        __m256i t = _mm256_mulhi_epu16(v, m);
        __m256i q = _mm256_srl_epi16(
            _mm256_add_epi16(t, _mm256_srli_epi16(_mm256_sub_epi16(v, t), 1)), shift);
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(q, q), 0x08);
        _mm_storeu_si128((__m128i *)(void *)(out + i), _mm256_castsi256_si128(packed));
    }
#endif
    for (; i < n; i++)
        out[i] = (uint8_t)divide_u16(s[i], d);
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

/*
 * The same for 0 <= s < 2^24 (uint16 windows up to 256 pixels) through
 * float: s is exact in a float, and the product with the rounded 1/k is
 * within 2^-23 of s / k relatively, so less than one off for k >= 2, which
 * the remainder corrects as above. Twice the vector lanes of the double
 * form.
 */
static inline int32_t divide_f24(int32_t s, const divisor *d)
{
    int32_t q = (int32_t)((float)s * d->inv_f);
    int32_t r = s - q * d->k;
    q += (r >= d->k) - (r < 0);
    return q;
}

/*
 * out[i] = divide_f24(s[i]) for a row of uint16 window sums (quotients
 * fit 16 bits): with AVX-512F sixteen lanes a step, each doing
 * divide_f24's steps, narrowed by one vpmovdw. GCC vectorised the scalar
 * form in 256-bit halves and narrowed before correcting (vpermt2w and
 * 16-bit adds: about half of the boxcar passes' perf samples on a
 * 2048x2048 frame). Measured: the 2048x2048 x and y passes' samples
 * 350 and 259 -> 265 and 212, locate only 23.0 -> 22.6 ms/frame thread
 * CPU (medians of 6 alternating runs).
 */
static inline void divide_f24_row(const int32_t *s, uint16_t *out, size_t n, const divisor *d)
{
    size_t i = 0;
#if defined(__AVX512F__)
    const __m512 inv = _mm512_set1_ps(d->inv_f);
    const __m512i k = _mm512_set1_epi32(d->k), one = _mm512_set1_epi32(1);
    for (; i + 16 <= n; i += 16) {
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        __m512i q = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(v), inv));
        __m512i r = _mm512_sub_epi32(v, _mm512_mullo_epi32(q, k));
        q = _mm512_mask_add_epi32(q, _mm512_cmpge_epi32_mask(r, k), q, one);
        q = _mm512_mask_sub_epi32(q, _mm512_cmplt_epi32_mask(r, _mm512_setzero_si512()), q, one);
        _mm256_storeu_si256((__m256i *)(void *)(out + i), _mm512_cvtepi32_epi16(q));
    }
#endif
    for (; i < n; i++)
        out[i] = (uint16_t)divide_f24(s[i], d);
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

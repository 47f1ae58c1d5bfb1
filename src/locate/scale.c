/*
 * docs/ALGORITHM.md §4: the integer working image I = trunc(scale * max(bp, 0)),
 * scale = maxval(T) / max(bp), stored in T (the raw integer type, or
 * uint8 for float images), written over bp. Steps 5-7 all work on I.
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

/*
 * I is written over bp in place, a block at a time: bp is dead once I is
 * made, and the workspace no longer keeps a separate buffer for I (a
 * frame's worth of T: 271 KB of bulk_water's peak RSS, 8 MB of a
 * 2048x2048 uint16 frame's). A block's values are made in `res` from
 * the block's doubles and then copied over the block's start; I's
 * element (at most 4 bytes) never reaches past the bp element of the
 * same index, so every write lands on bytes already read. (Copying the
 * doubles in too cost twice the stage: glibc copied them with rep movsb,
 * slow on this AMD machine, perf.)
 */
enum { SCALE_BLOCK = 1024 };

/*
 * Eight values at a time in AVX-512 lanes for uint8 and uint16 I, where
 * GCC 12 made four (a 256-bit conversion, then permutes to pack). Each
 * lane does the scalar form's steps: max(v, 0) gives +0 for -0 as the
 * comparison does, the product is the same, and truncating to int32 then
 * narrowing is the C conversion for values below 2^16. Measured (Sapphire
 * Rapids): the 2048x2048 uint16 stage's perf samples 334 and 315 -> 272
 * and 290, locate only 28.1 -> 26.8 ms/frame (medians of 4 alternating
 * runs); bulk_water within the noise.
 */
#if defined(__AVX512F__) && defined(__AVX512VL__)
#include <immintrin.h>

static inline __m256i scale8(const double *in, double scale)
{
    __m512d v = _mm512_max_pd(_mm512_loadu_pd(in), _mm512_setzero_pd());
    return _mm512_cvttpd_epi32(_mm512_mul_pd(_mm512_set1_pd(scale), v));
}
/* Eight int32 lanes stored at p narrowed to uint8 or uint16. */
#define NARROW_U8(p, q) _mm_storel_epi64((__m128i *)(void *)(p), _mm256_cvtepi32_epi8(q))
#define NARROW_U16(p, q) _mm_storeu_si128((__m128i *)(void *)(p), _mm256_cvtepi32_epi16(q))
#define SCALE_LANES_U8(in, res, m, k, scale)                                                       \
    for (; k + 8 <= m; k += 8)                                                                     \
        NARROW_U8(res + k, scale8(in + k, scale));
#define SCALE_LANES_U16(in, res, m, k, scale)                                                      \
    for (; k + 8 <= m; k += 8)                                                                     \
        NARROW_U16(res + k, scale8(in + k, scale));
#else
#define SCALE_LANES_U8(in, res, m, k, scale)
#define SCALE_LANES_U16(in, res, m, k, scale)
#endif
#define SCALE_LANES_NONE(in, res, m, k, scale)

#define DEFINE_SCALE(name, T, LANES)                                                               \
    static void name(double *bp, size_t n, double scale)                                           \
    {                                                                                              \
        unsigned char *out = (unsigned char *)bp;                                                  \
        T res[SCALE_BLOCK];                                                                        \
        for (size_t i0 = 0; i0 < n; i0 += SCALE_BLOCK) {                                           \
            size_t m = n - i0 < SCALE_BLOCK ? n - i0 : SCALE_BLOCK, k = 0;                         \
            const double *in = bp + i0;                                                            \
            LANES(in, res, m, k, scale)                                                            \
            for (; k < m; k++) {                                                                   \
                double v = in[k] > 0 ? in[k] : 0.0;                                                \
                res[k] = (T)(scale * v);                                                           \
            }                                                                                      \
            memcpy(out + i0 * sizeof(T), res, m * sizeof(T));                                      \
        }                                                                                          \
    }

DEFINE_SCALE(scale_u8, uint8_t, SCALE_LANES_U8)
DEFINE_SCALE(scale_u16, uint16_t, SCALE_LANES_U16)
DEFINE_SCALE(scale_u32, uint32_t, SCALE_LANES_NONE)

/*
 * From a float bp f: with f+ = max(f, 0), the exact max(bp, 0) lies within
 * f+ 2^-24 of f+ (rounding to nearest; within 2^-150 below the normal
 * floats), so I's exact value trunc(scale * max(bp, 0)) comes from a
 * product within delta = t (2^-24 + 2^-40) + scale 2^-148 of t = scale * f+
 * (the slack covers the double roundings of t and of t -+ delta). When
 * trunc(t - delta) and trunc(t + delta) agree, truncation never
 * decreasing, that is the value; when they differ the pixel is unsettled
 * and made from the exact bp. (A trunc of a slightly negative t - delta
 * is 0, as it should be.)
 */
static const double settle_rel = 0x1.0001p-24, settle_abs = 0x1p-148;

static inline void settle_bounds(double f, double scale, double *lo, double *hi)
{
    double t = scale * (f > 0 ? f : 0.0), delta = t * settle_rel + scale * settle_abs;
    *lo = t - delta;
    *hi = t + delta;
}

typedef struct {
    const plan *pl;
    const void *raw;
    size_t unsettled, limit;
} settler;

/* I's value at pixel i from the exact bp; 0 once over the limit. */
static int settle(settler *st, size_t i, double scale, double *value)
{
    if (++st->unsettled > st->limit)
        return 0;
    size_t nx = st->pl->shape[2];
    double v = locus_preprocess_bandpass_at(st->pl, st->raw, i / nx, i % nx);
    *value = scale * (v > 0 ? v : 0.0);
    return 1;
}

/* Eight at a time in AVX-512 lanes: both bounds' truncations, and a mask
 * of the lanes where they differ. */
#if defined(__AVX512F__) && defined(__AVX512VL__)
static inline __m256i scale8_f32(const float *in, double scale, __mmask8 *unsure)
{
    __m512d f = _mm512_max_pd(_mm512_cvtps_pd(_mm256_loadu_ps(in)), _mm512_setzero_pd());
    __m512d t = _mm512_mul_pd(_mm512_set1_pd(scale), f);
    __m512d delta =
        _mm512_fmadd_pd(t, _mm512_set1_pd(settle_rel), _mm512_set1_pd(scale * settle_abs));
    __m256i a = _mm512_cvttpd_epi32(_mm512_sub_pd(t, delta));
    __m256i b = _mm512_cvttpd_epi32(_mm512_add_pd(t, delta));
    *unsure = _mm256_cmpneq_epi32_mask(a, b);
    return a;
}
/*
 * A first test in float32, sixteen lanes a vector where the doubles take
 * eight, and with half the conversions: t = fl32(fl32(scale) f+) is
 * within 3.0001 2^-24 of I's exact product fl64(scale max(bp, 0)) (the
 * roundings of bp to f, of the scale and of the product; the double
 * product's own rounding is 2^-53), so the interval t -+ t 2^-21,
 * computed in float32 (each end rounded by at most 2^-24 of itself), still
 * holds it: where both ends truncate alike, that is I. For f below the
 * normal floats the bound is absolute (2^-150); with scale <= 2^100
 * (SCALE_F32_FAST_MAX) such pixels are 0 in I and in t. Lanes the float
 * test leaves unsure go through the doubles' test as before, so I is the
 * same; the doubles' work is what a frame's pixels skip: the stage's perf
 * samples (AMD EPYC, whose AVX-512 units do a 512-bit operation in two
 * halves; three runs each) on bulk_water 355 -> 202, on the 2048x2048
 * bench movie 1316 -> 897. (A brute force of 10^8 values, half of them
 * within 10^-6 of an integer step, found no settled lane that differs;
 * with an interval of 2^-24 instead, 3.5 million.)
 */
#define SCALE_F32_FAST_MAX 0x1p100
static const float fast_rel = 0x1p-21f;

static inline __m512i scale16_f32(const float *in, __m512 scale32, __mmask16 *unsure)
{
    __m512 f = _mm512_max_ps(_mm512_loadu_ps(in), _mm512_setzero_ps());
    __m512 t = _mm512_mul_ps(scale32, f);
    __m512 delta = _mm512_mul_ps(t, _mm512_set1_ps(fast_rel));
    __m512i a = _mm512_cvttps_epi32(_mm512_sub_ps(t, delta));
    __m512i b = _mm512_cvttps_epi32(_mm512_add_ps(t, delta));
    *unsure = _mm512_cmpneq_epi32_mask(a, b);
    return a;
}

/*
 * Sixteen int32 lanes (0 ..= maxval of T, so the saturating packs are
 * exact) stored at p as uint16 or uint8, in order: packs and a lane
 * permute, then one plain store (NARROW_U8 / NARROW_U16's narrowing
 * stores, a standalone loop over a 2048x2048 frame: 1.7 -> 1.4 ms on
 * AMD EPYC).
 */
static inline __m256i pack16_u16(__m256i a, __m256i b)
{
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8);
}
#define PACK16_U16(p, a, b) _mm256_storeu_si256((__m256i *)(void *)(p), pack16_u16(a, b))
#define PACK16_U8(p, a, b)                                                                         \
    do {                                                                                           \
        __m256i w_ = pack16_u16(a, b);                                                             \
        _mm_storeu_si128(                                                                          \
            (__m128i *)(void *)(p),                                                                \
            _mm_packus_epi16(_mm256_castsi256_si128(w_), _mm256_extracti128_si256(w_, 1)));        \
    } while (0)
#define SETTLE_LANES(T, unsure, base)                                                              \
    for (; unsure; unsure &= (__mmask8)(unsure - 1)) {                                             \
        size_t j = (base) + (size_t)__builtin_ctz(unsure);                                         \
        double v;                                                                                  \
        if (!settle(st, i0 + j, scale, &v))                                                        \
            return 0;                                                                              \
        res[j] = (T)v;                                                                             \
    }
#define SCALE_F32_LANES(T, PACK16)                                                                 \
    for (; k + 16 <= m; k += 16) {                                                                 \
        if (fast) {                                                                                \
            __mmask16 u;                                                                           \
            __m512i q = scale16_f32(in + k, scale32, &u);                                          \
            if (__builtin_expect(!u, 1)) {                                                         \
                PACK16(res + k, _mm512_castsi512_si256(q), _mm512_extracti64x4_epi64(q, 1));       \
                continue;                                                                          \
            }                                                                                      \
        }                                                                                          \
        __mmask8 u0, u1;                                                                           \
        __m256i q0 = scale8_f32(in + k, scale, &u0), q1 = scale8_f32(in + k + 8, scale, &u1);      \
        PACK16(res + k, q0, q1);                                                                   \
        if (__builtin_expect(u0 | u1, 0)) {                                                        \
            SETTLE_LANES(T, u0, k)                                                                 \
            SETTLE_LANES(T, u1, k + 8)                                                             \
        }                                                                                          \
    }
#define SCALE_F32_FAST_SETUP                                                                       \
    const int fast = scale <= SCALE_F32_FAST_MAX;                                                  \
    const __m512 scale32 = _mm512_set1_ps((float)(fast ? scale : 1.0));
#else
#define SCALE_F32_LANES(T, PACK16)
#define SCALE_F32_FAST_SETUP
#endif

/*
 * The bits of a block's non-zero values of I, one word per 64 pixels
 * (SCALE_BLOCK is a multiple of 64, so a block's bits are whole words).
 * §9's dilation starts from them instead of reading I again: 512 KB of
 * bits for a 2048x2048 frame, against 8 MB of I from memory. That
 * stage's perf samples on the 2048x2048 bench movie 1055 and 1070 -> 749
 * and 722 (AMD EPYC); the bits are about 2% of this stage's (perf
 * annotate).
 */
_Static_assert(SCALE_BLOCK % 64 == 0, "a block's non-zero bits are whole words");
#define DEFINE_NONZERO_BITS(name, T, AVX512_WORD)                                                  \
    static void name(const T *v, size_t m, uint64_t *bits)                                         \
    {                                                                                              \
        for (size_t w = 0, x0 = 0; x0 < m; w++, x0 += 64) {                                        \
            size_t len = m - x0 < 64 ? m - x0 : 64;                                                \
            uint64_t b = 0;                                                                        \
            if (AVX512_WORD(v + x0, len, &b)) {                                                    \
                bits[w] = b;                                                                       \
                continue;                                                                          \
            }                                                                                      \
            for (size_t j = 0; j < len; j++)                                                       \
                b |= (uint64_t)(v[x0 + j] != 0) << j;                                              \
            bits[w] = b;                                                                           \
        }                                                                                          \
    }

/* A whole word in one or two AVX-512BW tests; 0 where that does not apply. */
#if defined(__AVX512BW__)
#include <immintrin.h>
#endif
static inline int nonzero_word_u8(const uint8_t *v, size_t len, uint64_t *b)
{
#if defined(__AVX512BW__)
    if (len == 64) {
        __m512i x = _mm512_loadu_si512((const void *)v);
        *b = _mm512_test_epi8_mask(x, x);
        return 1;
    }
#endif
    (void)v, (void)len, (void)b;
    return 0;
}

static inline int nonzero_word_u16(const uint16_t *v, size_t len, uint64_t *b)
{
#if defined(__AVX512BW__)
    if (len == 64) {
        __m512i lo = _mm512_loadu_si512((const void *)v), hi = _mm512_loadu_si512(v + 32);
        *b = (uint64_t)_mm512_test_epi16_mask(lo, lo) | (uint64_t)_mm512_test_epi16_mask(hi, hi)
                                                            << 32;
        return 1;
    }
#endif
    (void)v, (void)len, (void)b;
    return 0;
}

DEFINE_NONZERO_BITS(nonzero_bits_u8, uint8_t, nonzero_word_u8)
DEFINE_NONZERO_BITS(nonzero_bits_u16, uint16_t, nonzero_word_u16)

/*
 * Returns 0 when the unsettled pixels went over the limit. I is written
 * straight over bp: pixel j's I lands on bytes of floats before j's
 * (sizeof(T) < sizeof(float)), all read already, so a block needs no
 * buffer of its own (its copy over bp was 1.4% of the 2048x2048 bench
 * movie's run: perf, glibc's memmove; with it and the packs the stage's
 * and memmove's perf samples 1941 -> 1769, five runs each).
 */
#define DEFINE_SCALE_F32(name, T, PACK16, NONZERO)                                                 \
    static int name(float *bp, size_t n, double scale, settler *st, uint32_t *sample,              \
                    uint64_t *nonzero)                                                             \
    {                                                                                              \
        SCALE_F32_FAST_SETUP                                                                       \
        for (size_t i0 = 0; i0 < n; i0 += SCALE_BLOCK) {                                           \
            size_t m = n - i0 < SCALE_BLOCK ? n - i0 : SCALE_BLOCK, k = 0;                         \
            const float *in = bp + i0;                                                             \
            T *res = (T *)(void *)bp + i0;                                                         \
            SCALE_F32_LANES(T, PACK16)                                                             \
            for (; k < m; k++) {                                                                   \
                double lo, hi, v;                                                                  \
                settle_bounds(in[k], scale, &lo, &hi);                                             \
                double a = trunc(lo > 0 ? lo : 0.0), b = trunc(hi);                                \
                if (a == b)                                                                        \
                    res[k] = (T)a;                                                                 \
                else if (settle(st, i0 + k, scale, &v))                                            \
                    res[k] = (T)v;                                                                 \
                else                                                                               \
                    return 0;                                                                      \
            }                                                                                      \
            for (size_t j = (PCT_SAMPLE_STEP - i0 % PCT_SAMPLE_STEP) % PCT_SAMPLE_STEP; j < m;     \
                 j += PCT_SAMPLE_STEP)                                                             \
                sample[res[j]]++;                                                                  \
            NONZERO(res, m, nonzero + i0 / 64);                                                    \
        }                                                                                          \
        return 1;                                                                                  \
    }

DEFINE_SCALE_F32(scale_f32_u8, uint8_t, PACK16_U8, nonzero_bits_u8)
DEFINE_SCALE_F32(scale_f32_u16, uint16_t, PACK16_U16, nonzero_bits_u16)

/* maxval(T) / max(bp), or 1 when the maximum is not above 0: bp_max <= 0
 * leaves I all zero whatever the scale, and a scale of 1 also keeps
 * scale * v below maxval + 1, so the conversion is defined. maxval is
 * that of the raw type T: 127 for int8, though I is stored as uint8. */
static double scale_of(const plan *pl, double bp_max)
{
    return bp_max > 0 ? locus_dtype_max(pl->dtype) / bp_max : 1.0;
}

int locus_scale_to_integer_f32(locus_workspace *ws, const void *raw, double bp_max, double *scale,
                               const void **I, int *settled)
{
    const plan *pl = &ws->pl;
    double s = scale_of(pl, bp_max);
    settler st = {pl, raw, 0, pl->npix / BP_F32_UNSETTLED_SHARE + BP_F32_UNSETTLED_FLOOR};
    float *bp = (float *)(void *)ws->lp;
    if (!locus_bandpass_f32_applies(pl))
        return LOCUS_E_PARAM;
    /* the sample of §5's threshold, taken as I is made, not in a pass of
     * its own (every 31st pixel touches every cache line of I) */
    if (locus_mem_reserve((void **)&ws->hist, &ws->hist_cap,
                          locus_maxima_sampled_scratch(pl->itype) * sizeof *ws->hist) ||
        locus_mem_reserve((void **)&ws->nonzero, &ws->nonzero_cap,
                          size_mul((pl->npix + 63) / 64, sizeof *ws->nonzero)))
        return LOCUS_E_NOMEM;
    memset(ws->hist, 0, locus_maxima_sample_bins(pl->itype) * sizeof *ws->hist);
    *settled = pl->itype == LOCUS_U8 ? scale_f32_u8(bp, pl->npix, s, &st, ws->hist, ws->nonzero)
                                     : scale_f32_u16(bp, pl->npix, s, &st, ws->hist, ws->nonzero);
    ws->bp_unsettled = st.unsettled;
    *I = ws->lp;
    *scale = s;
    return LOCUS_OK;
}

int locus_scale_to_integer(locus_workspace *ws, double bp_max, double *scale, const void **I)
{
    const plan *pl = &ws->pl;
    double s = scale_of(pl, bp_max);
    if (pl->itype == LOCUS_U8)
        scale_u8(ws->lp, pl->npix, s);
    else if (pl->itype == LOCUS_U16)
        scale_u16(ws->lp, pl->npix, s);
    else
        scale_u32(ws->lp, pl->npix, s);
    *I = ws->lp;
    *scale = s;
    return LOCUS_OK;
}

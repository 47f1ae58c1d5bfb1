/*
 * docs/ALGORITHM.md §5: candidate maxima. A pixel of I is a candidate when it
 * equals the maximum of its box, exceeds the percentile threshold of the
 * non-zero pixels, and lies inside the margins.
 *
 * The percentile comes from counts of I (I is uint8 or uint16), not a
 * sort: one vector pass over a window of values that a sample of I
 * points to, or, when the sample misleads, histograms. The box maximum
 * is van Herk / Gil-Werman: per axis, prefix and suffix maxima within
 * blocks of k, then one max per pixel — three comparisons per pixel
 * whatever the box size. Along y and z it runs on whole rows at a time so
 * the loops vectorise.
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

#if defined(__AVX512BW__)
#include <immintrin.h>
#endif

/*
 * NumPy's percentile, method 'linear': the values at ranks floor(p) and
 * floor(p) + 1 of the sorted non-zero values, p = (n - 1) * percentile /
 * 100, interpolated with NumPy's _lerp, which computes from the upper
 * end when the fraction is >= 0.5 (and so rounds differently).
 */
typedef struct {
    size_t lo, hi;      /* the two ranks */
    double virt, below; /* p and floor(p) */
} percentile_ranks;

static percentile_ranks ranks_of(size_t n, double percentile)
{
    percentile_ranks r;
    r.virt = (double)(n - 1) * (percentile / 100);
    r.below = floor(r.virt);
    if (r.virt >= (double)(n - 1)) {
        r.lo = r.hi = n - 1;
    } else {
        r.lo = (size_t)r.below;
        r.hi = r.lo + 1;
    }
    return r;
}

static double lerp_ranks(const percentile_ranks *r, double lo_val, double hi_val)
{
    double t = r->virt - r->below;
    double diff = hi_val - lo_val;
    return t >= 0.5 ? hi_val - diff * (1 - t) : lo_val + diff * t;
}

/* The bin holding rank `rank` of hist[from..nbins), counting from
 * `seen` values before it; *before gets the values below that bin. */
static size_t bin_of_rank(const uint32_t *hist, size_t from, size_t nbins, size_t rank, size_t seen,
                          size_t *before)
{
    for (size_t v = from; v < nbins; v++) {
        if (seen + hist[v] > rank) {
            *before = seen;
            return v;
        }
        seen += hist[v];
    }
    *before = seen;
    return nbins - 1;
}

double locus_maxima_percentile(const uint32_t *hist, size_t nbins, double percentile,
                               size_t *nonzero)
{
    size_t n = 0, before;
    for (size_t v = 1; v < nbins; v++)
        n += hist[v];
    *nonzero = n;
    if (n == 0)
        return 0;
    percentile_ranks r = ranks_of(n, percentile);
    double lo = (double)bin_of_rank(hist, 1, nbins, r.lo, 0, &before);
    double hi = (double)bin_of_rank(hist, 1, nbins, r.hi, 0, &before);
    return lerp_ranks(&r, lo, hi);
}

/*
 * The same percentile of a uint16 image without a 65536-bin histogram
 * (256 KB, touched at random: the slowest part of finding maxima on a
 * 2048x2048 frame): count the high bytes (256 bins, four interleaved so
 * runs of one value do not chain increments), then count low bytes only
 * inside the one or two high-byte bins that hold the two ranks.
 *
 * Both passes go PCT_CHUNK pixels at a time and skip chunks with nothing
 * to count: all zeros in the first (half of a band-passed 2048x2048 frame
 * is zero, in runs), no pixel of the two bins in the second (3% of the
 * pixels there); the second counts the rest without branches, into a
 * spare bin when the pixel is outside its bin (the per-pixel branches of
 * the second pass mispredicted). Measured with perf on the 2048x2048
 * workload: this function's share of locate fell from 13.3% to 8.9%,
 * about 8 -> 5 ms per frame.
 */
enum { PCT_CHUNK = 16 };
typedef uint16_t locus_v16u16 __attribute__((vector_size(2 * PCT_CHUNK)));

static int chunk_all_zero(const uint16_t *p)
{
    uint64_t w[PCT_CHUNK / 4];
    memcpy(w, p, sizeof w);
    return !(w[0] | w[1] | w[2] | w[3]);
}

/* coarse[b]: the non-zero pixels with high byte b; returns the zeros. */
static size_t coarse_counts(const uint16_t *I, size_t npix, uint32_t coarse[256])
{
    uint32_t part[4][256];
    size_t zeros = 0, skipped = 0, i = 0;
    memset(part, 0, sizeof part);
    for (; i + PCT_CHUNK <= npix; i += PCT_CHUNK) {
        if (chunk_all_zero(I + i)) {
            skipped += PCT_CHUNK;
            continue;
        }
        for (size_t k = 0; k < PCT_CHUNK; k++) {
            part[k & 3][I[i + k] >> 8]++;
            zeros += I[i + k] == 0;
        }
    }
    for (; i < npix; i++) {
        part[0][I[i] >> 8]++;
        zeros += I[i] == 0;
    }
    for (int b = 0; b < 256; b++)
        coarse[b] = part[0][b] + part[1][b] + part[2][b] + part[3][b];
    coarse[0] -= (uint32_t)zeros; /* the zeros counted there (skipped ones were not) */
    return zeros + skipped;
}

/*
 * Bit 16 l + q of the result is set when pixel 4 q + l of the chunk is
 * marked in m (lanes of all ones or zeros): the four words of lanes
 * folded into one word, so that one loop takes a chunk's marked pixels.
 */
static uint64_t chunk_marks(const locus_v16u16 *m)
{
    const uint64_t lane_bits = 0x0001000100010001ull; /* bit 0 of each lane */
    uint64_t w[PCT_CHUNK / 4];
    memcpy(w, m, sizeof w);
    return (w[0] & lane_bits) | (w[1] & lane_bits) << 1 | (w[2] & lane_bits) << 2 |
           (w[3] & lane_bits) << 3;
}

/* The pixel of a chunk that bit pos of chunk_marks' word stands for. */
static inline const uint16_t *marked_pixel(const uint16_t *chunk, unsigned pos)
{
    return chunk + 4 * (pos % 16) + pos / 16;
}

/* Counts the low bytes of a chunk's marked pixels into h. */
static inline void count_marked(const uint16_t *chunk, uint64_t marks, uint32_t h[256])
{
    for (; marks; marks &= marks - 1)
        h[*marked_pixel(chunk, (unsigned)__builtin_ctzll(marks)) & 255]++;
}

/*
 * fine[0] / fine[1]: the low bytes of the pixels in high-byte bins blo /
 * bhi. Only the pixels in those bins are visited, as a vector compare
 * marks them. On the 2048x2048 workload one non-zero pixel in 14 is in
 * the bin, but nearly every chunk has one, so skipping chunks without
 * them and counting the rest branch-free (the form before this) still
 * counted every pixel twice. fine_counts alone on a 2048x2048 frame:
 * 6.5 -> 3.3-4.0 ms (min of 40, on a slow day of the host); end to end
 * within the noise (31.3 -> 31.1 ms/frame on a fast day).
 */
static void fine_counts(const uint16_t *I, size_t npix, size_t blo, size_t bhi,
                        uint32_t fine[2][256])
{
    uint32_t h[2][256];
    memset(h, 0, sizeof h);
    size_t i = 0;
    for (; i + PCT_CHUNK <= npix; i += PCT_CHUNK) {
        locus_v16u16 v, hi;
        memcpy(&v, I + i, sizeof v);
        hi = v >> 8;
        locus_v16u16 in_lo = (locus_v16u16)(hi == (uint16_t)blo);
        count_marked(I + i, chunk_marks(&in_lo), h[0]);
        if (bhi != blo) {
            locus_v16u16 in_hi = (locus_v16u16)(hi == (uint16_t)bhi);
            count_marked(I + i, chunk_marks(&in_hi), h[1]);
        }
    }
    for (; i < npix; i++) {
        size_t v = I[i], b = v >> 8;
        if (b == blo)
            h[0][v & 255]++;
        if (b == bhi)
            h[1][v & 255]++;
    }
    memcpy(fine[0], h[0], sizeof fine[0]);
    memcpy(fine[1], h[bhi == blo ? 0 : 1], sizeof fine[1]);
}

double locus_maxima_percentile_u16(const uint16_t *I, size_t npix, double percentile,
                                   size_t *nonzero)
{
    uint32_t coarse[256], fine[2][256];
    size_t before_lo, before_hi;
    size_t zeros = coarse_counts(I, npix, coarse);
    *nonzero = npix - zeros;
    if (*nonzero == 0)
        return 0;
    percentile_ranks r = ranks_of(*nonzero, percentile);
    size_t blo = bin_of_rank(coarse, 0, 256, r.lo, 0, &before_lo);
    size_t bhi = bin_of_rank(coarse, 0, 256, r.hi, 0, &before_hi);
    fine_counts(I, npix, blo, bhi, fine);
    /* Zeros are not values. With bin 0 wanted, every chunk holding a zero
     * was counted, so all the zeros are in fine[.][0]. */
    fine[0][0] -= blo == 0 ? (uint32_t)zeros : 0;
    fine[1][0] -= bhi == 0 ? (uint32_t)zeros : 0;
    size_t unused;
    double lo = (double)(blo * 256 + bin_of_rank(fine[0], 0, 256, r.lo - before_lo, 0, &unused));
    double hi = (double)(bhi * 256 + bin_of_rank(fine[1], 0, 256, r.hi - before_hi, 0, &unused));
    return lerp_ranks(&r, lo, hi);
}

/*
 * The same percentiles in one vector pass, by sampling first (Floyd and
 * Rivest's selection): a histogram of every PCT_SAMPLE_STEP-th pixel
 * gives a window [a, b] of values that holds the two ranks with a margin
 * of PCT_SAMPLE_SIGMAS standard deviations of a sample rank; one pass
 * over I then counts the zeros, the values below a, and the values in the
 * window, a vector of pixels at a time (compares; only the pixels in the
 * window are counted one by one). The counts are exact, so when both
 * ranks fall in the window its values are the percentile's, and when they
 * do not (an unlucky or adversarial sample) the caller falls back to the
 * full histogram: the result is the same either way. Measured against
 * the histograms (perf samples of the same runs; medians of alternating
 * runs, Sapphire Rapids): bulk_water's percentile 1405 -> 722 samples,
 * locate only 1.45 -> 1.37 ms/frame; 2048x2048 uint16 317 -> 126, about
 * 32.3 -> 30.5 ms/frame. A sample twice as dense and a margin of 5
 * sigma rather than every 61st pixel and 6 sigma narrow bulk_water's
 * window from about 8 values to 5: the stage's samples 681 -> 482.
 */
enum {
    PCT_SAMPLE_MIN = 256,     /* non-zero samples needed to try */
    PCT_SAMPLE_SIGMAS = 5,    /* the window's margin, in sample-rank deviations */
    PCT_WINDOW_MAX = 4096,    /* values in the window at most */
    PCT_FLUSH_CHUNKS = 32768, /* vector counters (16 bits a lane) are emptied this often */
};

size_t locus_maxima_sample_bins(locus_dtype t)
{
    return t == LOCUS_U8 ? 256 : 65536;
}

size_t locus_maxima_sampled_scratch(locus_dtype t)
{
    return locus_maxima_sample_bins(t) + PCT_WINDOW_MAX;
}

static inline uint16_t value_at(const void *I, locus_dtype t, size_t i)
{
    return t == LOCUS_U8 ? ((const uint8_t *)I)[i] : ((const uint16_t *)I)[i];
}

/* The window [*a, *b] from the histogram of a sample of I; 0 if the
 * sample is too thin. */
static int sample_window(locus_dtype t, double percentile, const uint32_t *hist, uint16_t *a,
                         uint16_t *b)
{
    size_t nbins = locus_maxima_sample_bins(t), m = 0;
    for (size_t v = 1; v < nbins; v++)
        m += hist[v];
    if (m < PCT_SAMPLE_MIN)
        return 0;
    percentile_ranks r = ranks_of(m, percentile);
    size_t margin = (size_t)(PCT_SAMPLE_SIGMAS * 0.5 * sqrt((double)m)) + 1, before;
    size_t lo = r.lo > margin ? r.lo - margin : 0, hi = r.hi + margin < m ? r.hi + margin : m - 1;
    *a = (uint16_t)bin_of_rank(hist, 1, nbins, lo, 0, &before);
    *b = (uint16_t)bin_of_rank(hist, 1, nbins, hi, 0, &before);
    return *b - *a < PCT_WINDOW_MAX;
}

/* Counts of I against the window: zeros, values in (0, a), and win[v - a]. */
typedef struct {
    size_t zeros, below;
} window_counts;

/*
 * uint16 I: the window's pixels marked by a vector compare and counted one
 * by one. With AVX-512BW 32 pixels a step, the compares into mask
 * registers, counted by popcount: the stage's perf samples on a 2048x2048
 * frame 357 -> 270 (three runs each). Elsewhere 16-bit lane counters,
 * emptied every PCT_FLUSH_CHUNKS chunks.
 */
static window_counts count_window(const uint16_t *I, size_t npix, uint16_t a, uint16_t b,
                                  uint32_t *win)
{
    window_counts c = {0, 0};
    locus_v16u16 va = (locus_v16u16){0} + a, width = (locus_v16u16){0} + (uint16_t)(b - a);
    locus_v16u16 nz = {0}, nlt = {0};
    size_t lt = 0, i = 0, chunks = 0;
    memset(win, 0, ((size_t)(b - a) + 1) * sizeof *win);
#if defined(__AVX512BW__)
    const __m512i za = _mm512_set1_epi16((short)a), zb = _mm512_set1_epi16((short)b);
    for (; i + 32 <= npix; i += 32) {
        __m512i v = _mm512_loadu_si512((const void *)(I + i));
        __mmask32 below = _mm512_cmplt_epu16_mask(v, za);
        c.zeros += (size_t)__builtin_popcount(_mm512_testn_epi16_mask(v, v));
        lt += (size_t)__builtin_popcount(below);
        for (uint32_t in = _mm512_mask_cmple_epu16_mask((__mmask32)~below, v, zb); in; in &= in - 1)
            win[I[i + (size_t)__builtin_ctz(in)] - a]++;
    }
#endif
    for (; i + PCT_CHUNK <= npix; i += PCT_CHUNK) {
        locus_v16u16 v;
        memcpy(&v, I + i, sizeof v);
        nz -= (locus_v16u16)(v == 0);
        nlt -= (locus_v16u16)(v < va);
        locus_v16u16 in = (locus_v16u16)(v - va <= width);
        uint64_t marks = chunk_marks(&in);
        for (; marks; marks &= marks - 1) {
            unsigned pos = (unsigned)__builtin_ctzll(marks);
            win[v[4 * (pos % 16) + pos / 16] - a]++;
        }
        if (++chunks == PCT_FLUSH_CHUNKS || i + 2 * PCT_CHUNK > npix) {
            for (int l = 0; l < PCT_CHUNK; l++) {
                c.zeros += nz[l];
                lt += nlt[l];
            }
            nz = nlt = (locus_v16u16){0};
            chunks = 0;
        }
    }
    for (; i < npix; i++) {
        uint16_t v = I[i];
        c.zeros += v == 0;
        lt += v < a;
        if (v >= a && v <= b)
            win[v - a]++;
    }
    c.below = lt - c.zeros; /* a >= 1: every zero is below a */
    return c;
}

/*
 * uint8 I: each value of a window of at most PCT_U8_WINDOW_MAX counted by
 * a compare of its own, 64 pixels a vector (one AVX-512 register; 32
 * lanes, 630 perf samples against 554), into lane counters of 8 bits
 * emptied every 255 vectors. On bulk_water the window is about 5 values
 * wide; the marks of count_window cost more there than the histogram
 * they replace.
 */
enum { PCT_U8_LANES = 64, PCT_U8_WINDOW_MAX = 16 };
typedef uint8_t pct_u8_vec __attribute__((vector_size(PCT_U8_LANES)));

static window_counts count_window_u8(const uint8_t *I, size_t npix, uint8_t a, uint8_t b,
                                     uint32_t *win)
{
    window_counts c = {0, 0};
    int w = b - a + 1;
    pct_u8_vec va = (pct_u8_vec){0} + a, nz = {0}, nlt = {0}, n[PCT_U8_WINDOW_MAX];
    size_t lt = 0, i = 0, chunks = 0, counts[PCT_U8_WINDOW_MAX] = {0};
    for (int j = 0; j < w; j++)
        n[j] = (pct_u8_vec){0};
    for (; i + PCT_U8_LANES <= npix; i += PCT_U8_LANES) {
        pct_u8_vec v;
        memcpy(&v, I + i, sizeof v);
        nz -= (pct_u8_vec)(v == 0);
        nlt -= (pct_u8_vec)(v < va);
        for (int j = 0; j < w; j++)
            n[j] -= (pct_u8_vec)(v == (uint8_t)(a + j));
        if (++chunks == 255 || i + 2 * PCT_U8_LANES > npix) {
            for (int l = 0; l < PCT_U8_LANES; l++) {
                c.zeros += nz[l];
                lt += nlt[l];
                for (int j = 0; j < w; j++)
                    counts[j] += n[j][l];
            }
            nz = nlt = (pct_u8_vec){0};
            for (int j = 0; j < w; j++)
                n[j] = (pct_u8_vec){0};
            chunks = 0;
        }
    }
    for (; i < npix; i++) {
        c.zeros += I[i] == 0;
        lt += I[i] < a;
        if (I[i] >= a && I[i] <= b)
            counts[I[i] - a]++;
    }
    for (int j = 0; j < w; j++)
        win[j] = (uint32_t)counts[j];
    c.below = lt - c.zeros;
    return c;
}

int locus_maxima_percentile_sampled(const void *I, locus_dtype t, size_t npix, double percentile,
                                    uint32_t *scratch, int sampled, double *value, size_t *nonzero)
{
    uint16_t a, b;
    if (!sampled) {
        memset(scratch, 0, locus_maxima_sample_bins(t) * sizeof *scratch);
        for (size_t i = 0; i < npix; i += PCT_SAMPLE_STEP)
            scratch[value_at(I, t, i)]++;
    }
    if (!sample_window(t, percentile, scratch, &a, &b))
        return 0;
    if (t == LOCUS_U8 && b - a >= PCT_U8_WINDOW_MAX)
        return 0;
    uint32_t *win = scratch + locus_maxima_sample_bins(t);
    window_counts c = t == LOCUS_U8 ? count_window_u8(I, npix, (uint8_t)a, (uint8_t)b, win)
                                    : count_window(I, npix, a, b, win);
    size_t n = npix - c.zeros, inside = 0, unused;
    for (size_t v = 0; v <= (size_t)(b - a); v++)
        inside += win[v];
    if (n == 0)
        return 0;
    percentile_ranks r = ranks_of(n, percentile);
    if (r.lo < c.below || r.hi >= c.below + inside)
        return 0;
    size_t bins = (size_t)(b - a) + 1;
    double lo = a + (double)bin_of_rank(win, 0, bins, r.lo - c.below, 0, &unused);
    double hi = a + (double)bin_of_rank(win, 0, bins, r.hi - c.below, 0, &unused);
    *nonzero = n;
    *value = lerp_ranks(&r, lo, hi);
    return 1;
}

/* Span of the box around i: [i - lo, i + hi] (even boxes reach one
 * further up), as scipy's grey_dilation places a footprint. */
static void box_span(int k, int *lo, int *hi)
{
    *lo = k % 2 ? (k - 1) / 2 : k / 2 - 1;
    *hi = k - 1 - *lo;
}

/*
 * out[x] = max(a[x], b[x]) over one row, front to back: out may be a, and
 * b may lie ahead of out in the same buffer (the doubling of max_lines),
 * since each vector is loaded before it is stored over. With AVX-512BW a
 * register at a time, where GCC's loop took half one (a 256-bit vector):
 * the box maximum's perf samples on bulk_water 747 and 772 -> 716 and
 * 639 (two runs each; the passes are bound by their stores).
 */
#if defined(__AVX512BW__)
#define ROW_MAX_LANES(T, MAX)                                                                      \
    for (; x + 64 / sizeof(T) <= len; x += 64 / sizeof(T))                                         \
        _mm512_storeu_si512((void *)(out + x), MAX(_mm512_loadu_si512((const void *)(a + x)),      \
                                                   _mm512_loadu_si512((const void *)(b + x))));
#else
#define ROW_MAX_LANES(T, MAX)
#endif
#define DEFINE_ROW_MAX(name, T, MAX)                                                               \
    static void name(T *out, const T *a, const T *b, size_t len)                                   \
    {                                                                                              \
        size_t x = 0;                                                                              \
        ROW_MAX_LANES(T, MAX)                                                                      \
        for (; x < len; x++)                                                                       \
            out[x] = a[x] > b[x] ? a[x] : b[x];                                                    \
    }

DEFINE_ROW_MAX(row_max_u8, uint8_t, _mm512_max_epu8)
DEFINE_ROW_MAX(row_max_u16, uint16_t, _mm512_max_epu16)

/*
 * Along y or z: van Herk / Gil-Werman on whole rows, streamed one block
 * of k padded rows at a time. With P the rows padded by lo zero rows
 * before and zeros after, block b = P[bk, bk+k): H = suffix maxima of
 * block b, G = prefix maxima of block b+1, and output row bk+m is
 * max(H[m], G[m-1]) (H[0] alone for m = 0). Three row maxima per output
 * row whatever k, and only 2k rows of scratch. Output rows [y0, y1) of
 * the n (a band of them, or all), row b at dst + (b - y0) * inner. No row
 * is copied: H[k-1]
 * and G[0] are padded rows themselves, and H[0] is made in its output
 * row. (Measured with the line pass's copies gone too: 2048x2048 locate
 * only 25.8 -> 25.6 ms/frame thread CPU time, medians of 12 alternating
 * runs, within the noise.)
 */
#define DEFINE_VHGW_ROWS(name, T, rowmax)                                                          \
    static void name(const T *src, T *dst, size_t outer, size_t n, size_t inner, int k, T *H,      \
                     T *G, const T *zero, size_t y0, size_t y1)                                    \
    {                                                                                              \
        int lo, hi;                                                                                \
        box_span(k, &lo, &hi);                                                                     \
        size_t K = (size_t)k;                                                                      \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *s = src + o * n * inner;                                                      \
            T *d = dst + o * (y1 - y0) * inner - y0 * inner; /* row b at d + b * inner */          \
            const T *last, *before;                                                                \
            for (size_t b0 = y0; b0 < y1; b0 += K) {                                               \
                const T *after = last = PADDED_ROW(s, b0 + K - 1, lo, n, inner, zero);             \
                for (size_t m = K - 1; m-- > 1;) {                                                 \
                    rowmax(H + m * inner, PADDED_ROW(s, b0 + m, lo, n, inner, zero), after,        \
                           inner);                                                                 \
                    after = H + m * inner;                                                         \
                }                                                                                  \
                rowmax(d + b0 * inner, PADDED_ROW(s, b0, lo, n, inner, zero), after, inner);       \
                before = PADDED_ROW(s, b0 + K, lo, n, inner, zero); /* G[0] */                     \
                for (size_t m = 1; m < K && b0 + m < y1; m++) {                                    \
                    rowmax(d + (b0 + m) * inner, m == K - 1 ? last : H + m * inner, before,        \
                           inner);                                                                 \
                    if (m + 1 < K && b0 + m + 1 < y1) {                                            \
                        rowmax(G + m * inner, PADDED_ROW(s, b0 + K + m, lo, n, inner, zero),       \
                               before, inner);                                                     \
                        before = G + m * inner;                                                    \
                    }                                                                              \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }

/* Padded row j: image row j - lo, or the zero row outside the image. */
#define PADDED_ROW(s, j, lo, n, inner, zero)                                                       \
    ((ptrdiff_t)(j) - (lo) >= 0 && (size_t)((ptrdiff_t)(j) - (lo)) < (n)                           \
         ? (s) + (size_t)((ptrdiff_t)(j) - (lo)) * (inner)                                         \
         : (zero))

DEFINE_VHGW_ROWS(vhgw_rows_u8, uint8_t, row_max_u8)
DEFINE_VHGW_ROWS(vhgw_rows_u16, uint16_t, row_max_u16)

/*
 * Along x: a line at a time, by doubling in a padded copy P (lo zeros,
 * the line, zeros): after the pass for s, P[j] holds the maximum of
 * 2s consecutive values from j; the window of k is then two overlapping
 * windows of the largest power of two p <= k. That is log2(k) passes,
 * each a plain vectorised loop; measured on bulk_water (k = 19) it is
 * several times faster than scalar van Herk / Gil-Werman, whose running
 * maxima along the line cannot vectorise. The pass for 1 reads the line
 * itself, not a padded copy of it (glibc's memmove, about 2% of a
 * 2048x2048 frame's locate in perf samples).
 */
#define DEFINE_MAX_LINES(name, T, rowmax)                                                          \
    static void name(const T *src, T *dst, size_t outer, size_t n, int k, T *P)                    \
    {                                                                                              \
        int lo, hi;                                                                                \
        box_span(k, &lo, &hi);                                                                     \
        size_t len = n + (size_t)k - 1, p = 1, L = (size_t)lo;                                     \
        while (p * 2 <= (size_t)k)                                                                 \
            p *= 2;                                                                                \
        for (size_t o = 0; o < outer; o++) {                                                       \
            const T *line = src + o * n;                                                           \
            /* the passes overwrite the padding too: renew it every line */                        \
            if (p == 1) {                                                                          \
                memset(P, 0, L * sizeof(T));                                                       \
                memcpy(P + L, line, n * sizeof(T));                                                \
                memset(P + L + n, 0, (size_t)hi * sizeof(T));                                      \
            } else {                                                                               \
                /* the pass for 1 straight from the line, not from a copy                          \
                 * (padded[j] = line[j - lo], 0 outside; max(0, v) = v) */                         \
                memset(P, 0, L * sizeof(T));                                                       \
                if (L)                                                                             \
                    P[L - 1] = line[0];                                                            \
                rowmax(P + L, line, line + 1, n - 1);                                              \
                P[L + n - 1] = line[n - 1];                                                        \
                memset(P + L + n, 0, (size_t)(hi - 1) * sizeof(T));                                \
            }                                                                                      \
            for (size_t s = p == 1 ? 1 : 2; s < p; s *= 2)                                         \
                rowmax(P, P, P + s, len - s);                                                      \
            rowmax(dst + o * n, P, P + ((size_t)k - p), n);                                        \
        }                                                                                          \
    }

DEFINE_MAX_LINES(max_lines_u8, uint8_t, row_max_u8)
DEFINE_MAX_LINES(max_lines_u16, uint16_t, row_max_u16)

/* Scratch elements a pass along an axis needs. */
static size_t box_scratch(size_t n, size_t inner, int k)
{
    if (inner == 1)
        return n + (size_t)k;
    return (2 * (size_t)k + 1) * inner; /* H, G and a zero row */
}

int locus_maxima_box_max(locus_workspace *ws, const void *I, const void **D)
{
    const plan *pl = &ws->pl;
    size_t es = locus_dtype_size(pl->itype), need = 0;
    for (int a = 0; a < 3; a++) {
        size_t inner = 1;
        for (int b = a + 1; b < 3; b++)
            inner *= pl->shape[b];
        size_t s = pl->box[a] > 1 ? box_scratch(pl->shape[a], inner, pl->box[a]) : 0;
        need = s > need ? s : need;
    }
    if (locus_mem_reserve(&ws->dmax, &ws->dmax_cap, size_mul(pl->npix, es)) ||
        locus_mem_reserve(&ws->line, &ws->line_cap, size_mul(need, es)))
        return LOCUS_E_NOMEM;
    const void *src = I;
    for (int a = 0; a < 3; a++) {
        int k = pl->box[a];
        if (k <= 1)
            continue;
        size_t outer = 1, inner = 1, n = pl->shape[a];
        for (int b = 0; b < a; b++)
            outer *= pl->shape[b];
        for (int b = a + 1; b < 3; b++)
            inner *= pl->shape[b];
        size_t K = (size_t)k;
        /* Lines are copied before they are written, so a line pass may
         * work in place; a row pass reads rows ahead of those it writes,
         * so it never writes the buffer it reads. */
        void *dst = ws->dmax;
        if (inner > 1 && src == ws->dmax) {
            if (locus_mem_reserve(&ws->dmax2, &ws->dmax2_cap, size_mul(pl->npix, es)))
                return LOCUS_E_NOMEM;
            dst = ws->dmax2;
        }
        if (pl->itype == LOCUS_U8) {
            uint8_t *w = ws->line;
            if (inner == 1)
                max_lines_u8(src, dst, outer, n, k, w);
            else {
                memset(w + 2 * K * inner, 0, inner);
                vhgw_rows_u8(src, dst, outer, n, inner, k, w, w + K * inner, w + 2 * K * inner, 0,
                             n);
            }
        } else {
            uint16_t *w = ws->line;
            if (inner == 1)
                max_lines_u16(src, dst, outer, n, k, w);
            else {
                memset(w + 2 * K * inner, 0, inner * sizeof *w);
                vhgw_rows_u16(src, dst, outer, n, inner, k, w, w + K * inner, w + 2 * K * inner, 0,
                              n);
            }
        }
        src = dst;
    }
    *D = src;
    return LOCUS_OK;
}

/* CHUNK: pixels a candidate test takes at once; BAND_BYTES: about the
 * bytes of D a 2-D band holds (in L2 with the rows of I it reads). */
enum { CHUNK = 64, BAND_BYTES = 128 * 1024 };
/* The y box of a 2-D image, at least 1 (a band is a whole number of them). */
#define BOX_ROWS(pl) ((size_t)((pl)->box[1] > 1 ? (pl)->box[1] : 1))

/* Bit k: v[k] > above and v[k] == d[k], for k < len (len <= CHUNK). */
static inline uint64_t hits_u8(const uint8_t *v, const uint8_t *d, uint8_t above, size_t len)
{
#if defined(__AVX512BW__)
    if (len == CHUNK) {
        __m512i a = _mm512_loadu_si512((const void *)v), b = _mm512_loadu_si512((const void *)d);
        return _mm512_mask_cmpeq_epu8_mask(_mm512_cmpgt_epu8_mask(a, _mm512_set1_epi8((char)above)),
                                           a, b);
    }
#endif
    uint64_t bits = 0;
    for (size_t k = 0; k < len; k++)
        bits |= (uint64_t)((v[k] > above) & (v[k] == d[k])) << k;
    return bits;
}

static inline uint64_t hits_u16(const uint16_t *v, const uint16_t *d, uint16_t above, size_t len)
{
#if defined(__AVX512BW__)
    if (len == CHUNK) {
        __m512i t = _mm512_set1_epi16((short)above);
        uint64_t bits[2];
        for (int h = 0; h < 2; h++) {
            __m512i a = _mm512_loadu_si512((const void *)(v + 32 * h));
            __m512i b = _mm512_loadu_si512((const void *)(d + 32 * h));
            bits[h] = _mm512_mask_cmpeq_epu16_mask(_mm512_cmpgt_epu16_mask(a, t), a, b);
        }
        return bits[0] | bits[1] << 32;
    }
#endif
    uint64_t bits = 0;
    for (size_t k = 0; k < len; k++)
        bits |= (uint64_t)((v[k] > above) & (v[k] == d[k])) << k;
    return bits;
}

/*
 * Candidates in raster order: I > threshold and I == D, inside the
 * margins. Each chunk of a row is tested as a whole into a word of bits
 * (AVX-512BW: two compares a chunk; a loop elsewhere), and only its set
 * bits are visited. Against a byte mask that the compiler vectorised and
 * a second pass over chunks with a hit, the stage's perf samples
 * (Sapphire Rapids): bulk_water 843 -> 265, 2048x2048 176 -> 70.
 *
 * A 2-D image's D is made a band of rows at a time, each band's rows
 * tested as they are done, so D is never stored whole (a 2048x2048
 * uint16 frame: 8 MB written by the y pass, read and written by the x
 * pass, and read by the test, all kept in L2 instead). Volumes take the
 * whole D of locus_maxima_box_max.
 */
#define DEFINE_CANDIDATES(name, T, HITS, VHGW, LINES)                                              \
    /* the row of linear index `row` (its D row at d) */                                           \
    static int name##_row(locus_workspace *ws, const T *I, const T *d, size_t row, T above,        \
                          size_t *count)                                                           \
    {                                                                                              \
        const plan *pl = &ws->pl;                                                                  \
        size_t x1 = pl->shape[2] - (size_t)pl->margin[2];                                          \
        for (size_t x0 = (size_t)pl->margin[2]; x0 < x1; x0 += CHUNK) {                            \
            size_t len = x1 - x0 < CHUNK ? x1 - x0 : CHUNK;                                        \
            uint64_t hit = HITS(I + row + x0, d + x0, above, len);                                 \
            for (; hit; hit &= hit - 1) {                                                          \
                if (*count == ws->cand_cap / sizeof *ws->cand &&                                   \
                    locus_mem_grow((void **)&ws->cand, &ws->cand_cap,                              \
                                   size_mul(*count + 1024, sizeof *ws->cand)))                     \
                    return LOCUS_E_NOMEM;                                                          \
                ws->cand[(*count)++] = row + x0 + (size_t)__builtin_ctzll(hit);                    \
            }                                                                                      \
        }                                                                                          \
        return LOCUS_OK;                                                                           \
    }                                                                                              \
    static int name(locus_workspace *ws, const T *I, const T *D, T above)                          \
    {                                                                                              \
        const plan *pl = &ws->pl;                                                                  \
        size_t ny = pl->shape[1], nx = pl->shape[2], count = 0;                                    \
        const int *m = pl->margin;                                                                 \
        for (size_t z = (size_t)m[0]; z + (size_t)m[0] < pl->shape[0]; z++)                        \
            for (size_t y = (size_t)m[1]; y + (size_t)m[1] < ny; y++) {                            \
                size_t row = (z * ny + y) * nx;                                                    \
                if (name##_row(ws, I, D + row, row, above, &count))                                \
                    return LOCUS_E_NOMEM;                                                          \
            }                                                                                      \
        ws->ncand = count;                                                                         \
        return LOCUS_OK;                                                                           \
    }                                                                                              \
    /* 2-D: bands of `band` rows of D in scratch, the y pass's H and G                             \
     * and a zero row after them, a padded line after those */                                     \
    static int name##_banded(locus_workspace *ws, const T *I, T above, size_t band, T *scratch,    \
                             locus_band_sink *sink)                                                \
    {                                                                                              \
        const plan *pl = &ws->pl;                                                                  \
        size_t ny = pl->shape[1], nx = pl->shape[2], count = 0, K = BOX_ROWS(pl);                  \
        size_t y_lo = (size_t)pl->margin[1], y_hi = ny - (size_t)pl->margin[1];                    \
        T *D = scratch, *H = D + band * nx, *G = H + K * nx, *zero = G + K * nx;                   \
        T *P = zero + nx;                                                                          \
        memset(zero, 0, nx * sizeof *zero);                                                        \
        for (size_t y0 = y_lo; y0 < y_hi; y0 += band) {                                            \
            size_t y1 = y0 + band < y_hi ? y0 + band : y_hi;                                       \
            if (K > 1)                                                                             \
                VHGW(I, D, 1, ny, nx, (int)K, H, G, zero, y0, y1);                                 \
            for (size_t y = y0; y < y1; y++) {                                                     \
                T *d = D + (y - y0) * nx;                                                          \
                const T *from = K > 1 ? d : I + y * nx;                                            \
                if (pl->box[2] > 1)                                                                \
                    LINES(from, d, 1, nx, pl->box[2], P);                                          \
                else if (K <= 1)                                                                   \
                    d = (T *)(uintptr_t)from; /* no box: D is I */                                 \
                if (name##_row(ws, I, d, y * nx, above, &count))                                   \
                    return LOCUS_E_NOMEM;                                                          \
            }                                                                                      \
            ws->ncand = count;                                                                     \
            if (sink && count > sink->done) {                                                      \
                int rc = sink->take(sink->user, ws, sink->done, count);                            \
                if (rc)                                                                            \
                    return rc;                                                                     \
                sink->done = count;                                                                \
            }                                                                                      \
        }                                                                                          \
        ws->ncand = count;                                                                         \
        return LOCUS_OK;                                                                           \
    }

DEFINE_CANDIDATES(candidates_u8, uint8_t, hits_u8, vhgw_rows_u8, max_lines_u8)
DEFINE_CANDIDATES(candidates_u16, uint16_t, hits_u16, vhgw_rows_u16, max_lines_u16)

/*
 * Histograms of the non-zero values of I. Runs of one value (zeros above
 * all, after the band pass) would chain every increment of its counter
 * through memory: uint8 counts into four interleaved histograms (4 KB,
 * in L1) summed at the end; uint16 skips chunks of zeros and zeros.
 */
static void histogram_u8(const uint8_t *I, size_t n, uint32_t *hist)
{
    uint32_t part[4][256];
    memset(part, 0, sizeof part);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        part[0][I[i]]++;
        part[1][I[i + 1]]++;
        part[2][I[i + 2]]++;
        part[3][I[i + 3]]++;
    }
    for (; i < n; i++)
        part[0][I[i]]++;
    for (int v = 1; v < 256; v++)
        hist[v] = part[0][v] + part[1][v] + part[2][v] + part[3][v];
    hist[0] = 0;
}

int locus_maxima_threshold(locus_workspace *ws, const void *I, int sampled, double *t,
                           size_t *nonzero)
{
    const plan *pl = &ws->pl;
    if (!sampled && locus_mem_reserve((void **)&ws->hist, &ws->hist_cap,
                                      locus_maxima_sampled_scratch(pl->itype) * sizeof *ws->hist))
        return LOCUS_E_NOMEM;
    if (locus_maxima_percentile_sampled(I, pl->itype, pl->npix, pl->params.percentile, ws->hist,
                                        sampled, t, nonzero))
        return LOCUS_OK;
    if (pl->itype == LOCUS_U8) {
        histogram_u8(I, pl->npix, ws->hist);
        *t = locus_maxima_percentile(ws->hist, 256, pl->params.percentile, nonzero);
    } else {
        *t = locus_maxima_percentile_u16(I, pl->npix, pl->params.percentile, nonzero);
    }
    return LOCUS_OK;
}

int locus_maxima_find(locus_workspace *ws, const void *I, int sampled, int *blank,
                      locus_band_sink *sink)
{
    const plan *pl = &ws->pl;
    size_t nonzero;
    double t;
    if (locus_maxima_threshold(ws, I, sampled, &t, &nonzero))
        return LOCUS_E_NOMEM;
    ws->ncand = 0;
    *blank = nonzero == 0;
    if (*blank)
        return LOCUS_OK;
    /* For integer v and t >= 0: v > t exactly when v > floor(t). */
    double above = floor(t);
    uint8_t above8 = (uint8_t)(above > 255 ? 255 : above);
    uint16_t above16 = (uint16_t)(above > 65535 ? 65535 : above);
    if (pl->shape[0] == 1) {
        size_t es = locus_dtype_size(pl->itype), nx = pl->shape[2], K = BOX_ROWS(pl);
        size_t band = K * (BAND_BYTES / (K * nx * es) + 1);
        if (locus_mem_reserve(
                &ws->dmax, &ws->dmax_cap,
                size_mul(size_mul(band + 2 * K + 1, nx) + nx + (size_t)pl->box[2], es)))
            return LOCUS_E_NOMEM;
        return pl->itype == LOCUS_U8 ? candidates_u8_banded(ws, I, above8, band, ws->dmax, sink)
                                     : candidates_u16_banded(ws, I, above16, band, ws->dmax, sink);
    }
    const void *D;
    int rc = locus_maxima_box_max(ws, I, &D);
    if (rc)
        return rc;
    if (pl->itype == LOCUS_U8)
        return candidates_u8(ws, I, D, above8);
    return candidates_u16(ws, I, D, above16);
}

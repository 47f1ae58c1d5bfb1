/*
 * docs/ALGORITHM.md §9: the static error ep. The background is every pixel not
 * within the mask M of a non-zero pixel of I (a binary dilation); its
 * mean is the black level and its population standard deviation the
 * noise.
 *
 * The dilation is cheap because M is a stack of centred runs: a pixel is
 * within M of a non-zero pixel exactly when, for some mask row (dz, dy)
 * of half-width h, the nearest non-zero pixel in image row (z+dz, y+dy)
 * is at most h columns away. So: one pass for each row's distance to its
 * nearest non-zero pixel, then, per pixel, one comparison per mask row,
 * vectorised along x.
 */
#include "common/numeric.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * The row distances live in a ring of `slots` rows: image row r (z * ny
 * + y) in slot r % slots, computed just before the first output row that
 * needs it. An output row needs the rows within `reach` of its own, so
 * 2 * reach + 1 slots hold every row still needed. Measured against the
 * whole-frame distance image this replaces: the same work, but no
 * frame-sized buffer (bulk_water: 542 KB of peak RSS; a 2048x2048
 * frame: 8 MB written and read again). Distances are stored in 8 bits
 * when every mask row is under 127 pixels from its centre, else in 16
 * (DIST_8_MAX_CAP): 8-bit lanes do twice the pixels a vector, and one
 * AVX-512 compare tests a whole block. The stage's perf samples on
 * bulk_water (Sapphire Rapids, two runs each): 2273 and 2229 -> 1875 and
 * 2098.
 */
typedef struct {
    void *rows;
    size_t es;                  /* bytes a distance: 1 or 2 */
    size_t slots, reach, ready; /* ready: rows computed so far */
} dist_ring;

/* cap + s stays below 256 in the doubling steps (s < cap) */
enum { DIST_8_MAX_CAP = 127 };

static void *ring_row(const dist_ring *g, size_t r, size_t nx)
{
    return (char *)g->rows + (r % g->slots) * nx * g->es;
}

/* One mask row as seen from an output row: its ring row and half-width. */
typedef struct {
    const void *dist;
    unsigned half;
} near_source;

/* Widest mask rows first: they mark the most pixels, so blocks finish soonest. */
static int by_half_descending(const void *a, const void *b)
{
    const mask_row *x = *(const mask_row *const *)a, *y = *(const mask_row *const *)b;
    return (x->half < y->half) - (x->half > y->half);
}

/*
 * near[] holds one bit a pixel, NEAR_BLOCK pixels a word: bit j of word
 * b is pixel 64 b + j. As bytes, marking a block and testing whether it
 * was complete went through the stack (perf annotate: a third of the
 * stage); a vector compare gives the block's 64 bits at once. Measured
 * (Sapphire Rapids, bulk_water): the stage's perf samples 2438 -> 1432,
 * locate only 1.39 -> 1.30 ms/frame (medians of 5 alternating runs).
 */
enum { NEAR_BLOCK = 64 };

#if defined(__AVX512BW__)
#include <immintrin.h>
#endif

/* The bits of a block of len pixels. */
static inline uint64_t block_full(size_t len)
{
    return len == NEAR_BLOCK ? ~(uint64_t)0 : ((uint64_t)1 << len) - 1;
}

/* Bit j: d[j] <= h, for j < len (len <= NEAR_BLOCK), with AVX-512BW's
 * compares into a mask where the block is whole. */
static inline uint64_t near_bits_8(const uint8_t *d, unsigned h, size_t len)
{
#if defined(__AVX512BW__)
    if (len == NEAR_BLOCK)
        return _mm512_cmple_epu8_mask(_mm512_loadu_si512((const void *)d),
                                      _mm512_set1_epi8((char)h));
#endif
    uint64_t bits = 0;
    for (size_t j = 0; j < len; j++)
        bits |= (uint64_t)(d[j] <= h) << j;
    return bits;
}

static inline uint64_t near_bits_16(const uint16_t *d, unsigned h, size_t len)
{
#if defined(__AVX512BW__)
    if (len == NEAR_BLOCK) {
        __m512i vh = _mm512_set1_epi16((short)h);
        uint64_t lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512((const void *)d), vh);
        uint64_t hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512((const void *)(d + 32)), vh);
        return lo | hi << 32;
    }
#endif
    uint64_t bits = 0;
    for (size_t j = 0; j < len; j++)
        bits |= (uint64_t)(d[j] <= h) << j;
    return bits;
}

/* The len (<= 64) bits of nz from bit `at` on: the words holding them
 * and no further. */
static inline uint64_t bits_at(const uint64_t *nz, size_t at, size_t len)
{
    size_t q = at / 64, s = at % 64;
    uint64_t v = nz[q] >> s;
    if (s && s + len > 64)
        v |= nz[q + 1] << (64 - s);
    return v & block_full(len);
}

/* d[j] = 0 where bit j is set, else cap (j < len <= NEAR_BLOCK): the
 * first step of a row's distances, one AVX-512BW move a block. */
static inline void far_from_bits_8(uint8_t *d, uint64_t bits, size_t len, uint8_t cap)
{
#if defined(__AVX512BW__)
    _mm512_mask_storeu_epi8(d, block_full(len),
                            _mm512_maskz_mov_epi8(~bits, _mm512_set1_epi8((char)cap)));
#else
    for (size_t j = 0; j < len; j++)
        d[j] = bits >> j & 1 ? 0 : cap;
#endif
}

static inline void far_from_bits_16(uint16_t *d, uint64_t bits, size_t len, uint16_t cap)
{
    for (size_t j = 0; j < len; j++)
        d[j] = bits >> j & 1 ? 0 : cap;
}

/*
 * distance_step_8 (below) with AVX-512BW, 64 pixels a vector over the
 * whole row: a partner outside the row is read as 255 (a masked load;
 * its lanes touch no memory) and stays 255 through the saturating add,
 * so it never wins the minimum; inside, d + s < 256 (cap + s does) and
 * the add is the plain one. The same minimum as the three loops'; the
 * compiler's form of those spent more on their edges and checks than on
 * the minima for rows of 640 pixels: the stage's perf samples on
 * bulk_water (AMD EPYC, three runs each) 325 -> 232.
 */
#if defined(__AVX512BW__)
static void distance_step_8_wide(const uint8_t *in, uint8_t *out, size_t nx, size_t s)
{
    const __m512i step = _mm512_set1_epi8((char)s), far = _mm512_set1_epi8((char)0xff);
    for (size_t x0 = 0; x0 < nx; x0 += NEAR_BLOCK) {
        size_t len = nx - x0 < NEAR_BLOCK ? nx - x0 : NEAR_BLOCK;
        __mmask64 here = block_full(len), left = here, right = 0;
        if (x0 < s) /* lanes j >= s - x0 have a left partner */
            left = s - x0 >= NEAR_BLOCK ? 0 : here & ~block_full(s - x0);
        if (x0 + s < nx) /* lanes j < nx - s - x0 have a right partner */
            right = here & block_full(nx - s - x0 < NEAR_BLOCK ? nx - s - x0 : NEAR_BLOCK);
        /* partner addresses as integers: outside the row only in masked lanes */
        const void *at_l = (const void *)((uintptr_t)in + x0 - s);
        const void *at_r = (const void *)((uintptr_t)in + x0 + s);
        __m512i v = _mm512_maskz_loadu_epi8(here, in + x0);
        __m512i l = _mm512_adds_epu8(_mm512_mask_loadu_epi8(far, left, at_l), step);
        __m512i r = _mm512_adds_epu8(_mm512_mask_loadu_epi8(far, right, at_r), step);
        _mm512_mask_storeu_epi8(out + x0, here, _mm512_min_epu8(v, _mm512_min_epu8(l, r)));
    }
}
#define DISTANCE_STEP_8 distance_step_8_wide
#else
#define DISTANCE_STEP_8 distance_step_8
#endif
#define DISTANCE_STEP_16 distance_step_16

/*
 * The kernels for one width D of distance:
 *
 * distance_step: dist[x] = min(|x - x'|, cap) over x' with I[x'] != 0,
 * cap = the widest mask row's half-width + 1: nothing farther matters.
 * Computed by doubling, vectorised along the row: after the step for s,
 * every pixel within 2s - 1 of a non-zero pixel holds its exact distance
 * (a distance t < 2s is s plus one below s, known after the previous
 * steps). Each step is one pass from one buffer into the other,
 * min(d[x], d[x - s] + s, d[x + s] + s); the steps alternate between tmp
 * and dist so that the last lands in dist. Against a copy and a pass each
 * way per step: bulk_water locate only 1.775 -> 1.735 ms/frame (medians
 * of 5 alternating runs), 2048x2048 unchanged.
 *
 * near_row: near[] of row (z, y), the bit of a pixel set where it is
 * within M of a non-zero pixel: the OR over the mask rows (widest first,
 * `order`) of d <= half. After the band pass nearly every pixel is within
 * M (bulk_water: all but 0.3%), mostly through the widest rows, so the
 * row stops at the first mask row after which all its bits are set; the
 * bits are the same OR, whatever the mask row it stops at. (Each mask
 * row is ORed into the whole image row, not each block through the mask
 * rows until it is full: a block took 4.8 mask rows on average on
 * bulk_water, but its stop was a dependent branch that mispredicted; the
 * stage's perf samples 701 and 662 -> 638 and 589, AMD EPYC.)
 */
#define DEFINE_DISTANCE(N, D)                                                                      \
    static inline void distance_step_##N(const D *in, D *out, size_t nx, size_t s)                 \
    {                                                                                              \
        D step = (D)s;                                                                             \
        size_t lo = s < nx ? s : nx, hi = nx > s ? nx - s : 0;                                     \
        for (size_t x = 0; x < lo; x++) { /* no left partner */                                    \
            D v = x + s < nx ? (D)(in[x + s] + step) : in[x];                                      \
            out[x] = v < in[x] ? v : in[x];                                                        \
        }                                                                                          \
        for (size_t x = lo; x < hi; x++) {                                                         \
            D l = (D)(in[x - s] + step), r = (D)(in[x + s] + step), v = in[x];                     \
            v = l < v ? l : v;                                                                     \
            out[x] = r < v ? r : v;                                                                \
        }                                                                                          \
        for (size_t x = hi > lo ? hi : lo; x < nx; x++) { /* no right partner */                   \
            D l = (D)(in[x - s] + step);                                                           \
            out[x] = l < in[x] ? l : in[x];                                                        \
        }                                                                                          \
    }                                                                                              \
    /* only I != 0 matters: a signed I is read as the unsigned type of its width;                  \
     * nz: the non-zero bits of I, row's first at bit `bit`, read instead when given */            \
    static void row_distance_##N(const void *row, size_t es, const uint64_t *nz, size_t bit,       \
                                 D *dist, D *tmp, size_t nx, D cap)                                \
    {                                                                                              \
        int steps = 0;                                                                             \
        for (size_t s = 1; s < cap; s *= 2)                                                        \
            steps++;                                                                               \
        D *cur = steps % 2 ? tmp : dist, *next = steps % 2 ? dist : tmp;                           \
        if (nz)                                                                                    \
            for (size_t x0 = 0; x0 < nx; x0 += NEAR_BLOCK) {                                       \
                size_t len = nx - x0 < NEAR_BLOCK ? nx - x0 : NEAR_BLOCK;                          \
                far_from_bits_##N(cur + x0, bits_at(nz, bit + x0, len), len, cap);                 \
            }                                                                                      \
        else if (es == 1)                                                                          \
            for (size_t x = 0; x < nx; x++)                                                        \
                cur[x] = ((const uint8_t *)row)[x] ? 0 : cap;                                      \
        else if (es == 2)                                                                          \
            for (size_t x = 0; x < nx; x++)                                                        \
                cur[x] = ((const uint16_t *)row)[x] ? 0 : cap;                                     \
        else                                                                                       \
            for (size_t x = 0; x < nx; x++)                                                        \
                cur[x] = ((const uint32_t *)row)[x] ? 0 : cap;                                     \
        for (size_t s = 1; s < cap; s *= 2) {                                                      \
            DISTANCE_STEP_##N(cur, next, nx, s);                                                   \
            D *t = cur;                                                                            \
            cur = next;                                                                            \
            next = t;                                                                              \
        }                                                                                          \
    }                                                                                              \
    static inline void near_row_##N(const near_source *src, size_t n, size_t nx, uint64_t *near)   \
    {                                                                                              \
        size_t nb = (nx + NEAR_BLOCK - 1) / NEAR_BLOCK;                                            \
        memset(near, 0, nb * sizeof *near);                                                        \
        for (size_t k = 0; k < n; k++) {                                                           \
            uint64_t all = ~(uint64_t)0;                                                           \
            for (size_t b = 0, x0 = 0; b < nb; b++, x0 += NEAR_BLOCK) {                            \
                size_t len = nx - x0 < NEAR_BLOCK ? nx - x0 : NEAR_BLOCK;                          \
                near[b] |= near_bits_##N((const D *)src[k].dist + x0, src[k].half, len);           \
                all &= near[b] | ~block_full(len);                                                 \
            }                                                                                      \
            if (all == ~(uint64_t)0)                                                               \
                break;                                                                             \
        }                                                                                          \
    }

DEFINE_DISTANCE(8, uint8_t)
DEFINE_DISTANCE(16, uint16_t)

#if defined(__AVX512BW__)
/*
 * near_row for 8-bit distances with AVX-512BW: NEAR_RUN blocks at a time
 * held in registers, acc = min over the mask rows of max(d - half, 0),
 * zero exactly where some row has d <= half (the same OR as above). A
 * run stops at the first mask row after which every acc is zero. (An
 * image row stops early seldom: bulk_water's take 10.7 of their 13 mask
 * rows on average, a 2048x2048 frame's 6.2 of 7.) No mask moves, no
 * read-modify-write of near[]: the stage's perf samples (AMD EPYC,
 * three runs each) bulk_water 628 -> 516, 2048x2048 652 -> 572.
 */
enum { NEAR_RUN = 8 };

static void near_row_8_wide(const near_source *src, size_t n, size_t nx, uint64_t *near)
{
    for (size_t x0 = 0, b0 = 0; x0 < nx; x0 += NEAR_RUN * NEAR_BLOCK, b0 += NEAR_RUN) {
        __mmask64 lanes[NEAR_RUN];
        __m512i acc[NEAR_RUN];
        for (size_t j = 0; j < NEAR_RUN; j++) {
            size_t at = x0 + j * NEAR_BLOCK, len = at >= nx ? 0 : nx - at;
            lanes[j] = len >= NEAR_BLOCK ? ~(__mmask64)0 : block_full(len);
            acc[j] = _mm512_set1_epi8((char)0xff);
        }
        for (size_t k = 0; k < n; k++) {
            const uint8_t *d = (const uint8_t *)src[k].dist + x0;
            __m512i h = _mm512_set1_epi8((char)src[k].half), any = _mm512_setzero_si512();
            for (size_t j = 0; j < NEAR_RUN; j++) {
                __m512i v = _mm512_maskz_loadu_epi8(lanes[j], d + j * NEAR_BLOCK);
                acc[j] = _mm512_min_epu8(acc[j], _mm512_subs_epu8(v, h));
                any = _mm512_or_si512(any, acc[j]);
            }
            if (!_mm512_test_epi8_mask(any, any))
                break;
        }
        for (size_t j = 0; j < NEAR_RUN && x0 + j * NEAR_BLOCK < nx; j++)
            near[b0 + j] = _mm512_testn_epi8_mask(acc[j], acc[j]) & lanes[j];
    }
}
#define NEAR_ROW_8 near_row_8_wide
#else
#define NEAR_ROW_8 near_row_8
#endif

/* The mask rows' sources for output row (z, y): those inside the image. */
static size_t near_sources(const plan *pl, const dist_ring *g, const mask_row *const *order,
                           size_t z, size_t y, near_source *src)
{
    size_t nx = pl->shape[2], n = 0;
    for (size_t r = 0; r < pl->nrows; r++) {
        const mask_row *mr = order[r];
        ptrdiff_t zz = (ptrdiff_t)z + mr->dz, yy = (ptrdiff_t)y + mr->dy;
        if (zz < 0 || yy < 0 || (size_t)zz >= pl->shape[0] || (size_t)yy >= pl->shape[1])
            continue;
        src[n++] = (near_source){ring_row(g, (size_t)zz * pl->shape[1] + (size_t)yy, nx),
                                 (unsigned)mr->half};
    }
    return n;
}

typedef struct {
    double black, noise;
} background;

/*
 * Integer and float64 raw images: NumPy's mean and std (ddof 0) of the
 * background values in raster order, as float64 — the same buffered
 * pairwise sums, so the noise is bit-identical to trackpy's (a histogram
 * would be faster but rounds differently in the last bit). v is
 * overwritten.
 */
static background stats_f64(double *v, size_t n)
{
    background b = {NAN, NAN};
    if (n == 0)
        return b;
    b.black = locus_numpy_sum(v, n) / (double)n;
    if (n == 1)
        return b;
    for (size_t i = 0; i < n; i++) {
        double d = v[i] - b.black;
        v[i] = d * d;
    }
    b.noise = sqrt(locus_numpy_sum(v, n) / (double)n);
    return b;
}

/*
 * float32 raw images: trackpy takes NumPy's mean and std of a float32
 * array, which NumPy computes in float32 — sums in float32, the mean
 * inside std divided in float32, the final divisions in double and
 * rounded back. Reproduced step by step (docs/ALGORITHM.md §9 notes the effect:
 * about 1e-7 relative against a float64 computation).
 */
static background stats_f32(float *v, size_t n)
{
    background b = {NAN, NAN};
    if (n == 0)
        return b;
    float sum = locus_numpy_sum_f32(v, n);
    b.black = (float)((double)sum / (double)n);
    if (n == 1)
        return b;
    float mean = sum / (float)n;
    for (size_t i = 0; i < n; i++) {
        float d = v[i] - mean;
        v[i] = d * d;
    }
    float var = (float)((double)locus_numpy_sum_f32(v, n) / (double)n);
    b.noise = sqrtf(var);
    return b;
}

/*
 * Append the background pixels of one row (their near[] bits clear) to
 * out, as double (as float for float32 images), in raster order; returns
 * how many. A block of background pixels is converted whole, which
 * vectorises, a block within M is skipped, and the rest go pixel by pixel
 * over the clear bits. After the band pass most of a frame is within M
 * (bulk_water: all but 0.3% of the pixels), so mostly blocks are skipped.
 */
#define DEFINE_COLLECT(name, T, OUT)                                                               \
    static size_t name(const T *raw, const uint64_t *near, size_t nx, OUT *out)                    \
    {                                                                                              \
        size_t k = 0;                                                                              \
        for (size_t x0 = 0, b = 0; x0 < nx; x0 += NEAR_BLOCK, b++) {                               \
            size_t len = nx - x0 < NEAR_BLOCK ? nx - x0 : NEAR_BLOCK;                              \
            uint64_t away = ~near[b] & block_full(len);                                            \
            if (away == block_full(len)) {                                                         \
                for (size_t j = 0; j < len; j++)                                                   \
                    out[k + j] = (OUT)raw[x0 + j];                                                 \
                k += len;                                                                          \
                continue;                                                                          \
            }                                                                                      \
            for (; away; away &= away - 1)                                                         \
                out[k++] = (OUT)raw[x0 + (size_t)__builtin_ctzll(away)];                           \
        }                                                                                          \
        return k;                                                                                  \
    }

DEFINE_COLLECT(collect_u8, uint8_t, double)
DEFINE_COLLECT(collect_u16, uint16_t, double)
DEFINE_COLLECT(collect_i8, int8_t, double)
DEFINE_COLLECT(collect_i16, int16_t, double)
DEFINE_COLLECT(collect_i32, int32_t, double)
DEFINE_COLLECT(collect_u32, uint32_t, double)
DEFINE_COLLECT(collect_f32, float, float)
DEFINE_COLLECT(collect_f64, double, double)

static size_t collect_background(const void *raw, locus_dtype t, size_t base, const uint64_t *near,
                                 size_t nx, double *scratch, size_t count)
{
    switch (t) {
    case LOCUS_U8:
        return collect_u8((const uint8_t *)raw + base, near, nx, scratch + count);
    case LOCUS_U16:
        return collect_u16((const uint16_t *)raw + base, near, nx, scratch + count);
    case LOCUS_I8:
        return collect_i8((const int8_t *)raw + base, near, nx, scratch + count);
    case LOCUS_I16:
        return collect_i16((const int16_t *)raw + base, near, nx, scratch + count);
    case LOCUS_I32:
        return collect_i32((const int32_t *)raw + base, near, nx, scratch + count);
    case LOCUS_U32:
        return collect_u32((const uint32_t *)raw + base, near, nx, scratch + count);
    case LOCUS_F32:
        return collect_f32((const float *)raw + base, near, nx, (float *)scratch + count);
    default:
        return collect_f64((const double *)raw + base, near, nx, scratch + count);
    }
}

/* Row distances of image rows up to `last` (inclusive) into the ring,
 * from I's non-zero bits nz where given, else from I. */
static void ring_fill(const plan *pl, const void *I, const uint64_t *nz, dist_ring *g, size_t last,
                      void *tmp, unsigned cap)
{
    size_t nx = pl->shape[2], es = locus_dtype_size(pl->itype);
    for (; g->ready <= last; g->ready++) {
        size_t r = g->ready;
        const void *row = (const char *)I + r * nx * es;
        if (g->es == 1)
            row_distance_8(row, es, nz, r * nx, ring_row(g, r, nx), tmp, nx, (uint8_t)cap);
        else
            row_distance_16(row, es, nz, r * nx, ring_row(g, r, nx), tmp, nx, (uint16_t)cap);
    }
}

static int measure_background(locus_workspace *ws, const void *I, const uint64_t *nz,
                              const void *raw, background *out)
{
    const plan *pl = &ws->pl;
    size_t nx = pl->shape[2], ny = pl->shape[1], nrows = pl->shape[0] * ny;
    size_t near_bytes = (nx + 63) / 64 * 64; /* near[] (nx bits, within nx bytes), then tmp */
    dist_ring g = {.ready = 0};
    unsigned cap = 0;
    size_t reach_z = 0, reach_y = 0;
    for (size_t r = 0; r < pl->nrows; r++) {
        const mask_row *mr = &pl->rows[r];
        cap = (unsigned)mr->half + 1 > cap ? (unsigned)mr->half + 1 : cap;
        reach_z = (size_t)abs(mr->dz) > reach_z ? (size_t)abs(mr->dz) : reach_z;
        reach_y = (size_t)abs(mr->dy) > reach_y ? (size_t)abs(mr->dy) : reach_y;
    }
    g.es = cap <= DIST_8_MAX_CAP ? 1 : 2;
    g.reach = reach_z * ny + reach_y;
    g.slots = 2 * g.reach + 1 < nrows ? 2 * g.reach + 1 : nrows;
    /* near[], the tmp row, the ring, then the mask rows in order and their sources */
    size_t ring_at = near_bytes + near_bytes * g.es;
    size_t order_at = (ring_at + size_mul(g.slots, nx * g.es) + 63) / 64 * 64;
    size_t src_at = order_at + size_mul(pl->nrows, sizeof(const mask_row *));
    if (locus_mem_reserve(&ws->line, &ws->line_cap,
                          src_at + size_mul(pl->nrows, sizeof(near_source))) ||
        locus_mem_reserve((void **)&ws->scratch, &ws->scratch_cap,
                          size_mul(pl->npix, sizeof(double))))
        return LOCUS_E_NOMEM;
    uint64_t *near = ws->line;
    void *tmp = (char *)ws->line + near_bytes;
    g.rows = (char *)ws->line + ring_at;
    const mask_row **order = (const mask_row **)(void *)((char *)ws->line + order_at);
    near_source *src = (near_source *)(void *)((char *)ws->line + src_at);
    for (size_t r = 0; r < pl->nrows; r++)
        order[r] = &pl->rows[r];
    qsort(order, pl->nrows, sizeof *order, by_half_descending);
    size_t count = 0;
    for (size_t z = 0; z < pl->shape[0]; z++)
        for (size_t y = 0; y < ny; y++) {
            size_t r = z * ny + y, last = r + g.reach < nrows ? r + g.reach : nrows - 1;
            ring_fill(pl, I, nz, &g, last, tmp, cap);
            size_t n = near_sources(pl, &g, order, z, y, src);
            if (g.es == 1)
                NEAR_ROW_8(src, n, nx, near);
            else
                near_row_16(src, n, nx, near);
            count += collect_background(raw, pl->dtype, r * nx, near, nx, ws->scratch, count);
        }
    if (pl->dtype == LOCUS_F32)
        *out = stats_f32((float *)ws->scratch, count);
    else
        *out = stats_f64(ws->scratch, count);
    return LOCUS_OK;
}

int locus_noise_static_error(locus_workspace *ws, const void *I, const uint64_t *nonzero,
                             const void *raw)
{
    const plan *pl = &ws->pl;
    const resolved_params *rp = &pl->rp;
    background b;
    int rc = measure_background(ws, I, nonzero, raw, &b);
    if (rc)
        return rc;
    double N = (double)pl->nmask;
    int off = 3 - rp->nd;
    for (size_t i = 0; i < ws->nfeat; i++) {
        feature *f = &ws->feat[i];
        double mass_bg = f->raw_mass - N * b.black;
        /* trackpy multiplies noise_size by the moment first when the
         * columns are per axis: the grouping shows in the last bit. */
        if (rp->aniso_ep)
            for (int a = 0; a < rp->nd; a++)
                f->ep[a] = b.noise / mass_bg * (pl->noise_size[off + a] * pl->moment[off + a]);
        else
            f->ep[0] = b.noise / mass_bg * pl->noise_size[off] * pl->moment[off];
    }
    return LOCUS_OK;
}

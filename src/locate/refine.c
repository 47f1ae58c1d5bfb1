/*
 * docs/ALGORITHM.md §6: refine each candidate by the centre of mass of I over
 * the mask, moving the neighbourhood one pixel at a time, then
 * characterise it over the last neighbourhood summed.
 *
 * All sums of I are integer sums kept in int64 and converted once: they
 * are exact, as trackpy's float64 sums of small integers are, so the
 * order of summation cannot matter.
 */
#include "locate/plan.h"

#include <math.h>
#include <string.h>

typedef struct {
    int64_t mass;
    int64_t moment[3]; /* Σ I (o_a + r_a) */
} sums;

/*
 * The mask is a stack of centred runs (mask rows): sum each run, then
 * weight the run's total by its (dz, dy). Two products per pixel instead
 * of four.
 */
#define DEFINE_SUM(name, T)                                                                        \
    static sums name(const plan *pl, const T *I, size_t centre)                                    \
    {                                                                                              \
        sums s = {0, {0, 0, 0}};                                                                   \
        const T *c = I + centre;                                                                   \
        for (size_t r = 0; r < pl->nrows; r++) {                                                   \
            const mask_row *mr = &pl->rows[r];                                                     \
            const T *run = c + mr->row_delta;                                                      \
            int64_t total = 0, along = 0;                                                          \
            for (int x = -mr->half; x <= mr->half; x++) {                                          \
                int64_t v = run[x];                                                                \
                total += v;                                                                        \
                along += v * (x + pl->radius[2]);                                                  \
            }                                                                                      \
            s.mass += total;                                                                       \
            s.moment[0] += total * (mr->dz + pl->radius[0]);                                       \
            s.moment[1] += total * (mr->dy + pl->radius[1]);                                       \
            s.moment[2] += along;                                                                  \
        }                                                                                          \
        return s;                                                                                  \
    }

DEFINE_SUM(sum_u8, uint8_t)
DEFINE_SUM(sum_u16, uint16_t)
DEFINE_SUM(sum_u32, uint32_t)
DEFINE_SUM(sum_i8, int8_t)
DEFINE_SUM(sum_i16, int16_t)
DEFINE_SUM(sum_i32, int32_t)

/* I of a 32-bit image (or a signed one without the band pass). Sums stay
 * exact in int64 for any mask under a million pixels (2^32 * 2 * 1000 *
 * 10^6 < 2^63); trackpy's float64 sums are exact while below 2^53. */
static sums sum_of(const plan *pl, const void *I, size_t centre)
{
    switch (pl->itype) {
    case LOCUS_U8:
        return sum_u8(pl, I, centre);
    case LOCUS_U16:
        return sum_u16(pl, I, centre);
    case LOCUS_U32:
        return sum_u32(pl, I, centre);
    case LOCUS_I8:
        return sum_i8(pl, I, centre);
    case LOCUS_I16:
        return sum_i16(pl, I, centre);
    default:
        return sum_i32(pl, I, centre);
    }
}

/*
 * The same sums for a 2-D uint8 or uint16 I whose mask rows are at most
 * 15 pixels (radius <= 7), in AVX-512BW lanes: one masked load per mask
 * row (its pixels, nothing outside it: the masked lanes are never
 * touched) and three multiply-adds of 16-bit lanes into 32-bit ones, by
 * 1, by x + r and by dy + r. uint16 values are offset by -32768 to fit
 * the signed products, and the offsets' sums added back: integer sums,
 * exact in any order, so the same numbers as sum_of's. Measured (perf
 * samples of the same runs; medians of alternating runs): refinement on
 * a 2048x2048 frame 643 -> 409, locate only 22.9 -> 22.1 ms/frame;
 * bulk_water (radius 6) 1.197 -> 1.112 ms/frame. (Vectors across each
 * run's pixels, with the run loops kept, were slower: the loads of the
 * plain form spent more on the variable run lengths than on the sums.)
 */
#if defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
enum { LANE_HALF = 7, LANE_ROWS = 2 * LANE_HALF + 1 };
typedef struct {
    int ok;
    size_t nrows;
    ptrdiff_t first[LANE_ROWS]; /* offset of lane 0 (x - 7) of each row */
    __mmask16 in[LANE_ROWS];    /* the row's pixels */
    __m256i ones, wx[LANE_ROWS], wy[LANE_ROWS];
    __m256i wx2[LANE_ROWS], wy2[LANE_ROWS]; /* x², dy²: characterisation */
    int64_t off_mass, off_x, off_y;         /* 32768 times the sums of 1, x + r, dy + r */
    int64_t off_x2, off_y2;                 /* and of x², dy² */
} lane_plan;

static void lane_plan_of(const plan *pl, lane_plan *lp)
{
    memset(lp, 0, sizeof *lp);
    lp->ok = pl->rp.nd == 2 && pl->radius[2] <= LANE_HALF && pl->nrows <= LANE_ROWS &&
             (pl->itype == LOCUS_U8 || pl->itype == LOCUS_U16);
    if (!lp->ok)
        return;
    lp->nrows = pl->nrows;
    lp->ones = _mm256_set1_epi16(1);
    for (size_t r = 0; r < pl->nrows; r++) {
        const mask_row *mr = &pl->rows[r];
        int16_t wx[16] = {0}, wx2[16] = {0};
        for (int x = -mr->half; x <= mr->half; x++) {
            wx[x + LANE_HALF] = (int16_t)(x + pl->radius[2]);
            wx2[x + LANE_HALF] = (int16_t)(x * x);
            lp->in[r] |= (__mmask16)(1u << (x + LANE_HALF));
            lp->off_x += 32768 * (int64_t)(x + pl->radius[2]);
            lp->off_y += 32768 * (int64_t)(mr->dy + pl->radius[1]);
            lp->off_x2 += 32768 * (int64_t)(x * x);
            lp->off_y2 += 32768 * (int64_t)(mr->dy * mr->dy);
            lp->off_mass += 32768;
        }
        lp->first[r] = mr->row_delta - LANE_HALF;
        memcpy(&lp->wx[r], wx, sizeof wx);
        memcpy(&lp->wx2[r], wx2, sizeof wx2);
        lp->wy[r] = _mm256_set1_epi16((int16_t)(mr->dy + pl->radius[1]));
        lp->wy2[r] = _mm256_set1_epi16((int16_t)(mr->dy * mr->dy));
    }
}

static int64_t lane_total(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* Mask row r of the neighbourhood at centre in 16-bit lanes as the
 * multiply-adds take it (uint16 less 32768; 0 outside the row), and the
 * pixels themselves in *pix (0 outside the row). */
static inline __m256i lane_row(const lane_plan *lp, const void *I, int wide, size_t centre,
                               size_t r, __m256i *pix)
{
    ptrdiff_t at = (ptrdiff_t)centre + lp->first[r];
    if (!wide)
        return *pix =
                   _mm256_cvtepu8_epi16(_mm_maskz_loadu_epi8(lp->in[r], (const uint8_t *)I + at));
    *pix = _mm256_maskz_loadu_epi16(lp->in[r], (const uint16_t *)I + at);
    return _mm256_xor_si256(*pix,
                            _mm256_maskz_mov_epi16(lp->in[r], _mm256_set1_epi16((short)0x8000)));
}

static sums lane_sums(const lane_plan *lp, const plan *pl, const void *I, size_t centre)
{
    __m256i tm = _mm256_setzero_si256(), tx = tm, ty = tm;
    int wide = pl->itype == LOCUS_U16;
    for (size_t r = 0; r < lp->nrows; r++) {
        __m256i pix, v = lane_row(lp, I, wide, centre, r, &pix);
        tm = _mm256_add_epi32(tm, _mm256_madd_epi16(v, lp->ones));
        tx = _mm256_add_epi32(tx, _mm256_madd_epi16(v, lp->wx[r]));
        ty = _mm256_add_epi32(ty, _mm256_madd_epi16(v, lp->wy[r]));
    }
    int64_t back = wide ? 1 : 0; /* the offsets, for uint16 */
    sums s = {lane_total(tm) + back * lp->off_mass,
              {0, lane_total(ty) + back * lp->off_y, lane_total(tx) + back * lp->off_x}};
    return s;
}
#define LANE_SUMS(lp, pl, I, centre)                                                               \
    ((lp)->ok ? lane_sums(lp, pl, I, centre) : sum_of(pl, I, centre))
#else
typedef struct {
    int ok;
} lane_plan;
static void lane_plan_of(const plan *pl, lane_plan *lp)
{
    (void)pl;
    lp->ok = 0;
}
#define LANE_SUMS(lp, pl, I, centre) ((void)(lp), sum_of(pl, I, centre))
#endif

/* The integer characterisation sums over one neighbourhood. */
typedef struct {
    int64_t r2;       /* Σ I |o|² */
    int64_t axis2[3]; /* Σ I o_a² */
    int64_t signal;   /* max I */
} shape_sums;

/*
 * Summed run by run, as the centroid's sums are: Σ I o_x² along each run,
 * the run's total times o_y² and o_z², and |o|² as the sum of the three
 * (integer sums are exact in any order). The per-point form spent four
 * integer products a point, most of characterisation's samples once the
 * eccentricity sums had moved to ecc_of.
 */
#define DEFINE_SHAPE(name, T)                                                                      \
    static shape_sums name(const plan *pl, const T *I, size_t centre)                              \
    {                                                                                              \
        shape_sums s = {0, {0, 0, 0}, 0};                                                          \
        const T *c = I + centre;                                                                   \
        for (size_t r = 0; r < pl->nrows; r++) {                                                   \
            const mask_row *mr = &pl->rows[r];                                                     \
            const T *run = c + mr->row_delta;                                                      \
            int64_t total = 0, along2 = 0, top = s.signal;                                         \
            for (int x = -mr->half; x <= mr->half; x++) {                                          \
                int64_t v = run[x];                                                                \
                total += v;                                                                        \
                along2 += v * x * x;                                                               \
                top = v > top ? v : top;                                                           \
            }                                                                                      \
            s.axis2[0] += total * mr->dz * mr->dz;                                                 \
            s.axis2[1] += total * mr->dy * mr->dy;                                                 \
            s.axis2[2] += along2;                                                                  \
            s.signal = top;                                                                        \
        }                                                                                          \
        s.r2 = s.axis2[0] + s.axis2[1] + s.axis2[2];                                               \
        return s;                                                                                  \
    }

DEFINE_SHAPE(shape_u8, uint8_t)
DEFINE_SHAPE(shape_u16, uint16_t)
DEFINE_SHAPE(shape_u32, uint32_t)
DEFINE_SHAPE(shape_i8, int8_t)
DEFINE_SHAPE(shape_i16, int16_t)
DEFINE_SHAPE(shape_i32, int32_t)

/* (signal starts at 0, as trackpy's does: a neighbourhood of negative
 * values, possible only without the band pass, has signal 0) */
static shape_sums shape_of(const plan *pl, const void *I, size_t centre)
{
    switch (pl->itype) {
    case LOCUS_U8:
        return shape_u8(pl, I, centre);
    case LOCUS_U16:
        return shape_u16(pl, I, centre);
    case LOCUS_U32:
        return shape_u32(pl, I, centre);
    case LOCUS_I8:
        return shape_i8(pl, I, centre);
    case LOCUS_I16:
        return shape_i16(pl, I, centre);
    default:
        return shape_i32(pl, I, centre);
    }
}

/*
 * The same sums in the lanes of refinement's plan (2-D uint8/uint16,
 * radius <= 7): multiply-adds by x² and dy² (at most 49, so 16-bit
 * weights; uint16 offset by -32768 as there) and a running maximum of
 * the pixels (masked lanes are 0, and signal starts at 0). Integer sums
 * and a maximum, exact in any order. The plain runs were scalar 64-bit
 * products (perf annotate: characterisation's imul chain): the stage's
 * perf samples (AMD EPYC, three runs each) on bulk_water 446 -> 230, on
 * the 2048x2048 bench movie 127 -> 74.
 */
#if defined(__AVX512BW__) && defined(__AVX512VL__)
static int64_t lane_max_u16(__m256i v)
{
    __m128i m = _mm_max_epu16(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    /* the largest is 0xffff less the smallest of the complements */
    __m128i low = _mm_minpos_epu16(_mm_xor_si128(m, _mm_set1_epi16(-1)));
    return 0xffff - (_mm_cvtsi128_si32(low) & 0xffff);
}

static shape_sums lane_shape(const lane_plan *lp, const plan *pl, const void *I, size_t centre)
{
    __m256i ax = _mm256_setzero_si256(), ay = ax, top = ax;
    int wide = pl->itype == LOCUS_U16;
    for (size_t r = 0; r < lp->nrows; r++) {
        __m256i pix, v = lane_row(lp, I, wide, centre, r, &pix);
        top = _mm256_max_epu16(top, pix);
        ax = _mm256_add_epi32(ax, _mm256_madd_epi16(v, lp->wx2[r]));
        ay = _mm256_add_epi32(ay, _mm256_madd_epi16(v, lp->wy2[r]));
    }
    int64_t back = wide ? 1 : 0;
    shape_sums s = {0,
                    {0, lane_total(ay) + back * lp->off_y2, lane_total(ax) + back * lp->off_x2},
                    lane_max_u16(top)};
    s.r2 = s.axis2[1] + s.axis2[2];
    return s;
}
#define LANE_SHAPE(lp, pl, I, centre)                                                              \
    ((lp)->ok ? lane_shape(lp, pl, I, centre) : shape_of(pl, I, centre))
#else
#define LANE_SHAPE(lp, pl, I, centre) ((void)(lp), shape_of(pl, I, centre))
#endif

/*
 * Σ I cos 2θ and Σ I sin 2θ of ECC_LANES neighbourhoods at once, one
 * vector lane each. These double sums must run in the mask's order, one
 * point after another, as trackpy adds them: one neighbourhood's sum is
 * a chain of dependent additions, which the per-neighbourhood form waited
 * on (perf annotate: most of characterisation's samples). Lanes are
 * independent, so each keeps its own order exactly, and the chains of
 * four neighbourhoods share the wait.
 */
enum { ECC_LANES = 4 };
typedef double ecc_vec __attribute__((vector_size(ECC_LANES * sizeof(double))));

#define DEFINE_ECC(name, T)                                                                        \
    static void name(const plan *pl, const T *I, const size_t centre[ECC_LANES],                   \
                     double e_cos[ECC_LANES], double e_sin[ECC_LANES])                             \
    {                                                                                              \
        const T *c0 = I + centre[0], *c1 = I + centre[1], *c2 = I + centre[2],                     \
                *c3 = I + centre[3];                                                               \
        const mask_point *m = pl->mask;                                                            \
        ecc_vec vc = {0, 0, 0, 0}, vs = {0, 0, 0, 0};                                              \
        for (size_t k = 0; k < pl->nmask; k++) {                                                   \
            ptrdiff_t d = m[k].delta;                                                              \
            ecc_vec v = {(double)c0[d], (double)c1[d], (double)c2[d], (double)c3[d]};              \
            vc += v * m[k].cos2;                                                                   \
            vs += v * m[k].sin2;                                                                   \
        }                                                                                          \
        for (int j = 0; j < ECC_LANES; j++) {                                                      \
            e_cos[j] = vc[j];                                                                      \
            e_sin[j] = vs[j];                                                                      \
        }                                                                                          \
    }

DEFINE_ECC(ecc_u8, uint8_t)
DEFINE_ECC(ecc_u16, uint16_t)
DEFINE_ECC(ecc_u32, uint32_t)
DEFINE_ECC(ecc_i8, int8_t)
DEFINE_ECC(ecc_i16, int16_t)
DEFINE_ECC(ecc_i32, int32_t)

static void ecc_of(const plan *pl, const void *I, const size_t centre[ECC_LANES],
                   double e_cos[ECC_LANES], double e_sin[ECC_LANES])
{
    switch (pl->itype) {
    case LOCUS_U8:
        ecc_u8(pl, I, centre, e_cos, e_sin);
        break;
    case LOCUS_U16:
        ecc_u16(pl, I, centre, e_cos, e_sin);
        break;
    case LOCUS_U32:
        ecc_u32(pl, I, centre, e_cos, e_sin);
        break;
    case LOCUS_I8:
        ecc_i8(pl, I, centre, e_cos, e_sin);
        break;
    case LOCUS_I16:
        ecc_i16(pl, I, centre, e_cos, e_sin);
        break;
    default:
        ecc_i32(pl, I, centre, e_cos, e_sin);
        break;
    }
}

/*
 * Σ raw over the neighbourhood, in double, in mask order. For integer
 * pixels that double sum is exact (every partial sum is an integer far
 * below 2^53), so an int64 sum over the mask's runs gives the same
 * number; it vectorises, where the per-point form converted and added
 * one pixel at a time: a quarter of refinement on bulk_water (perf
 * annotate); measured with perf, refinement's share of a bulk_water
 * locate fell from 12.6% to 8.1%.
 */
#define DEFINE_RAW_SUM_INT(name, T)                                                                \
    static double name(const plan *pl, const T *raw, size_t centre)                                \
    {                                                                                              \
        int64_t s = 0;                                                                             \
        for (size_t r = 0; r < pl->nrows; r++) {                                                   \
            const mask_row *mr = &pl->rows[r];                                                     \
            const T *run = raw + centre + mr->row_delta;                                           \
            for (int x = -mr->half; x <= mr->half; x++)                                            \
                s += run[x];                                                                       \
        }                                                                                          \
        return (double)s;                                                                          \
    }

DEFINE_RAW_SUM_INT(raw_sum_u8, uint8_t)
DEFINE_RAW_SUM_INT(raw_sum_u16, uint16_t)

static double raw_sum(const plan *pl, const void *raw, size_t centre)
{
    if (pl->dtype == LOCUS_U8)
        return raw_sum_u8(pl, raw, centre);
    if (pl->dtype == LOCUS_U16)
        return raw_sum_u16(pl, raw, centre);
    double s = 0;
    for (size_t k = 0; k < pl->nmask; k++)
        s += pixel_get(raw, pl->dtype, (size_t)((ptrdiff_t)centre + pl->mask[k].delta));
    return s;
}

static void coords_of(const plan *pl, size_t index, ptrdiff_t c[3])
{
    c[2] = (ptrdiff_t)(index % pl->shape[2]);
    index /= pl->shape[2];
    c[1] = (ptrdiff_t)(index % pl->shape[1]);
    c[0] = (ptrdiff_t)(index / pl->shape[1]);
}

static size_t index_of(const plan *pl, const ptrdiff_t c[3])
{
    return ((size_t)c[0] * pl->shape[1] + (size_t)c[1]) * pl->shape[2] + (size_t)c[2];
}

static void characterise(const plan *pl, const lane_plan *lp, const void *I, const void *raw,
                         feature *f, double e_cos, double e_sin)
{
    const resolved_params *rp = &pl->rp;
    shape_sums s = LANE_SHAPE(lp, pl, I, f->centre);
    double m = f->mass;
    if (rp->aniso_size) {
        int off = 3 - rp->nd;
        for (int a = 0; a < rp->nd; a++)
            f->size[a] = sqrt((double)rp->nd * (double)s.axis2[off + a] / m);
    } else {
        f->size[0] = sqrt((double)s.r2 / m);
    }
    if (rp->nd == 2) {
        double centre = pixel_get(I, pl->itype, f->centre);
        f->ecc = sqrt(e_cos * e_cos + e_sin * e_sin) / (m - centre + 1e-6);
    } else {
        f->ecc = NAN;
    }
    f->signal = (double)s.signal;
    f->raw_mass = raw_sum(pl, raw, f->centre);
}

/* Refine from `start`; returns whether f is to be characterised. */
static int refine_one(const plan *pl, const lane_plan *lp, const void *I, size_t start,
                      double scale, feature *f)
{
    ptrdiff_t c[3];
    *f = (feature){.ecc = NAN, .signal = NAN, .raw_mass = NAN};
    coords_of(pl, start, c);
    for (int it = 0; it < pl->rp.max_iterations; it++) {
        size_t centre = index_of(pl, c);
        sums s = LANE_SUMS(lp, pl, I, centre);
        double m = (double)s.mass, off[3];
        int moved = 0, inside = 1;
        for (int a = 0; a < 3; a++) {
            double cm = (double)s.moment[a] / m;
            off[a] = cm - pl->radius[a];
            f->pos[a] = off[a] + (double)c[a];
            if (!(fabs(off[a]) < 0.6))
                inside = 0;
        }
        f->mass = m;
        f->centre = centre;
        if (inside)
            break;
        /* Move toward the centroid, staying where the mask fits. The
         * neighbourhood characterised is the last one summed (f->centre),
         * even when the iterations run out right after a move. */
        for (int a = 0; a < 3; a++) {
            ptrdiff_t was = c[a];
            if (off[a] > 0.6)
                c[a]++;
            else if (off[a] < -0.6)
                c[a]--;
            ptrdiff_t lo = pl->radius[a], hi = (ptrdiff_t)pl->shape[a] - 1 - pl->radius[a];
            c[a] = c[a] < lo ? lo : c[a] > hi ? hi : c[a];
            moved |= c[a] != was;
        }
        /* Not moving means every further iteration sums the same pixels. */
        if (!moved)
            break;
    }
    /* A feature that fails minmass is dropped whatever its shape (§8),
     * and its mass alone decides the pairs it is in (§7): characterise
     * only the others. */
    return pl->params.characterize && locus_passes_minmass(pl, f->mass, scale);
}

/* Characterise the n <= ECC_LANES features feat[idx[0..n)]; unused
 * lanes repeat the last one and are discarded. */
static void characterise_group(const plan *pl, const lane_plan *lp, const void *I, const void *raw,
                               feature *feat, const size_t *idx, int n)
{
    size_t centre[ECC_LANES];
    double e_cos[ECC_LANES] = {0}, e_sin[ECC_LANES] = {0};
    for (int j = 0; j < ECC_LANES; j++)
        centre[j] = feat[idx[j < n ? j : n - 1]].centre;
    if (pl->rp.nd == 2) /* the eccentricity is 2-D only */
        ecc_of(pl, I, centre, e_cos, e_sin);
    for (int j = 0; j < n; j++)
        characterise(pl, lp, I, raw, &feat[idx[j]], e_cos[j], e_sin[j]);
}

/*
 * Ask for the cache lines of a candidate's first neighbourhood, in I and
 * in the raw image, before they are needed. Candidates come in raster
 * order but are sparse: on a 2048x2048 frame most of a neighbourhood's
 * rows have not been touched since I was written, so without this each
 * candidate waited on a dozen misses to memory in turn (perf annotate:
 * two thirds of refinement's samples on the loads of the first pixel of
 * a run). Prefetching changes which loads wait, never a value.
 */
static void prefetch_neighbourhood(const plan *pl, const void *I, const void *raw, size_t centre)
{
    size_t isz = locus_dtype_size(pl->itype), rsz = locus_dtype_size(pl->dtype);
    for (size_t r = 0; r < pl->nrows; r++) {
        const mask_row *mr = &pl->rows[r];
        ptrdiff_t first = (ptrdiff_t)centre + mr->row_delta - mr->half;
        ptrdiff_t last = first + 2 * mr->half;
        __builtin_prefetch((const char *)I + first * (ptrdiff_t)isz);
        __builtin_prefetch((const char *)I + last * (ptrdiff_t)isz);
        __builtin_prefetch((const char *)raw + first * (ptrdiff_t)rsz);
        __builtin_prefetch((const char *)raw + last * (ptrdiff_t)rsz);
    }
}

/* How many candidates ahead to prefetch: far enough to cover a miss to
 * memory (a candidate takes a few hundred nanoseconds), near enough that
 * the lines are still in L1/L2 when used. */
enum { REFINE_PREFETCH_AHEAD = 4 };

int locus_refine_range(locus_workspace *ws, const void *I, const void *raw, double scale,
                       size_t from, size_t to)
{
    if (locus_mem_grow((void **)&ws->feat, &ws->feat_cap, size_mul(to, sizeof(feature))))
        return LOCUS_E_NOMEM;
    for (size_t i = from; i < to && i < from + REFINE_PREFETCH_AHEAD; i++)
        prefetch_neighbourhood(&ws->pl, I, raw, ws->cand[i]);
    /* features waiting to be characterised, ECC_LANES at a time while
     * their neighbourhoods are still in cache */
    size_t waiting[ECC_LANES];
    int nwaiting = 0;
    lane_plan lanes;
    lane_plan_of(&ws->pl, &lanes);
    for (size_t i = from; i < to; i++) {
        if (i + REFINE_PREFETCH_AHEAD < to)
            prefetch_neighbourhood(&ws->pl, I, raw, ws->cand[i + REFINE_PREFETCH_AHEAD]);
        if (!refine_one(&ws->pl, &lanes, I, ws->cand[i], scale, &ws->feat[i]))
            continue;
        waiting[nwaiting++] = i;
        if (nwaiting == ECC_LANES) {
            characterise_group(&ws->pl, &lanes, I, raw, ws->feat, waiting, nwaiting);
            nwaiting = 0;
        }
    }
    if (nwaiting)
        characterise_group(&ws->pl, &lanes, I, raw, ws->feat, waiting, nwaiting);
    return LOCUS_OK;
}

int locus_refine_all(locus_workspace *ws, const void *I, const void *raw, double scale)
{
    int rc = locus_refine_range(ws, I, raw, scale, 0, ws->ncand);
    ws->nfeat = rc ? 0 : ws->ncand;
    return rc;
}

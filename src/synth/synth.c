/*
 * Synthetic movies with known positions: locus_synth_*.
 *
 * The model (every number below is in counts, the unit of the pixels):
 *
 *   Spots       a Gaussian of standard deviation sigma (pixels, the same on
 *               every axis) with peak `amplitude` at its centre, integrated
 *               exactly over each pixel: pixel i (centre at integer i,
 *               extent [i - 1/2, i + 1/2]) of a spot centred at c receives,
 *               per axis, sqrt(2 pi) sigma * (erf((i + 1/2 - c) / (sqrt2
 *               sigma)) - erf((i - 1/2 - c) / (sqrt2 sigma))) / 2, and the
 *               product over the axes times the amplitude. So a pixel's
 *               value is the mean of the continuous spot over the pixel,
 *               slightly less than the amplitude even for a centred spot.
 *               Spots are evaluated within 6 sigma of their centre.
 *   Background  a base level B plus a linear gradient rising by 30% of B
 *               from the first corner (all indices 0) to the opposite one:
 *               B * (1 + 0.3 * mean over the axes of i_axis / (n_axis - 1)).
 *   Amplitudes  uniform in [A_max / 2, A_max] per particle, fixed for the
 *               movie. B = 30 and A_max = 180 at bit_depth 8; B = 2000 and
 *               A_max = 12000 at bit_depth 16 (the same ratio, so that both
 *               depths have the same statistics at the same snr: at the
 *               default snr of 20 the base level is 3.3 noise deviations
 *               above zero, and the brightest spot on the brightest
 *               background stays below saturation but for its noise).
 *   Noise       shot noise plus read noise. The expected value m of a pixel
 *               (background plus spots) is m / g photo-electrons; the pixel
 *               is g * Poisson(m / g) + Normal(0, r^2), clipped to
 *               [0, 2^bit_depth - 1] and rounded to the nearest integer.
 *   snr         A_max / s, where s = sqrt(g B + r^2) is the standard
 *               deviation of a pixel whose expected value is the base level
 *               B (the dimmest corner of the background; the clipping and
 *               rounding excluded). Shot noise supplies three quarters of
 *               s^2 and read noise one quarter: g = 0.75 s^2 / B counts per
 *               photo-electron and r = s / 2. A spot of amplitude A thus has
 *               a peak-to-noise ratio of A / s, between snr/2 and snr.
 *               snr = infinity gives a noise-free movie.
 *   Positions   uniform, at least margin = ceil(3 sigma) + 2 pixels from
 *               every edge, and no two centres closer than min_separation in
 *               the first frame (rejection sampling). Between frames each
 *               particle takes a Gaussian step of standard deviation `step`
 *               per axis, reflected at the margin; steps may bring two
 *               particles closer than min_separation, and the truth says so.
 *
 *   Defaults    as in locus.h; min_separation is NaN after
 *               locus_synth_params_init, meaning 4 sigma + 2 for whatever
 *               sigma is set.
 *
 * Random numbers: xoshiro256** seeded with splitmix64; normal deviates by a
 * 256-layer ziggurat (Marsaglia and Tsang 2000, with Marsaglia's exact
 * tail); Poisson deviates by Knuth's product method for means below 10 and
 * by Hörmann's PTRS transformed rejection (1993), exact for every mean of
 * 10 or more, up to 1e8. Above 1e8 photo-electrons a normal deviate of the
 * same mean and variance is used: one electron is then less than 1e-8 of
 * the expected value, far below the rounding to whole counts, the
 * Poisson's skewness is below 1e-4, and PTRS's log-factorials would start
 * to lose accuracy. Particle motion has one stream; the noise of each
 * image row has its own stream, derived from (seed, frame, row), so the
 * noise is computed on several threads for large frames (up to 8, one per
 * 2^18 pixels) with the same result as on one. exp, log and erf are
 * computed here from +, -, *, /, sqrt and exact scalings only, and
 * floating-point contraction is off, so a seed gives the same bytes on
 * every machine, compiler and libm.
 */
#include "common/internal.h"
#include "common/pool.h"
#include "synth/synth_hooks.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* No fused multiply-add: the same bytes with or without FMA hardware
 * (the Makefile also passes -ffp-contract=off). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define SYNTH_GRADIENT 0.3   /* background rise across the image, fraction of B */
#define SYNTH_WINDOW 6.0     /* spots are evaluated within this many sigma */
#define SYNTH_KNUTH_MAX 10.0 /* Poisson: Knuth's method below, PTRS from here */
#define SYNTH_PTRS_MAX 1e8   /* Poisson: PTRS below, normal approximation from here */
#define SYNTH_TRIES 100000   /* placement attempts per particle before giving up */
#define SYNTH_MAX_DIM 65536
#define SYNTH_MIN_DIM 8
#define SYNTH_MAX_THREADS 8
#define SYNTH_PIXELS_PER_THREAD (1 << 18)

/* ------------------------------------------------------------------ */
/* Deterministic elementary functions                                  */
/* ------------------------------------------------------------------ */

/* log(2) split so that n * LN2_HI is exact for |n| < 2^32. */
static const double LN2_HI = 0x1.62e42p-1;
static const double LN2_LO = 4.7493250390316726e-07;
static const double INV_LN2 = 1.4426950408889634;
static const double SQRT_HALF = 0.7071067811865476;
static const double TWO_OVER_SQRT_PI = 1.1283791670955126;
static const double SQRT_2PI = 2.5066282746310007;
static const double HALF_LOG_2PI = 0.9189385332046728;

static inline uint64_t bits_of(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double double_of(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* x * 2^n, exactly (one rounding when the result is subnormal). */
static double scale2(double x, int n)
{
    if (n > 1023) {
        x *= 0x1p1023;
        n -= 1023;
        if (n > 1023)
            n = 1023;
    } else if (n < -1022) {
        x *= 0x1p-960;
        n += 960;
        if (n < -1022)
            n = -1022;
    }
    return x * double_of((uint64_t)(n + 1023) << 52);
}

/* Natural logarithm to within a few ulp. log(0) = -inf. */
static double det_log(double x)
{
    /* log m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ... + s^23/23 + ...),
     * |s| <= 0.1716: the first omitted term is below 1e-18 of the sum */
    static const double c[] = {1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11, 1.0 / 13,
                               1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23};
    if (!(x > 0))
        return x == 0 ? -HUGE_VAL : NAN;
    if (isinf(x))
        return x;
    int e = 0;
    if (x < 0x1p-1022) { /* subnormal */
        x *= 0x1p54;
        e = -54;
    }
    uint64_t b = bits_of(x);
    e += (int)(b >> 52) - 1023;
    double m = double_of((b & 0x000FFFFFFFFFFFFFu) | 0x3FF0000000000000u); /* [1, 2) */
    if (m > 2 * SQRT_HALF) {
        m *= 0.5;
        e++;
    }
    double f = m - 1.0; /* exact (Sterbenz) */
    double s = f / (2.0 + f), t = s * s;
    /* Estrin's scheme for c[0] + c[1] t + ... + c[10] t^10 */
    double t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
    double q0 = (c[0] + c[1] * t) + (c[2] + c[3] * t) * t2;
    double q1 = (c[4] + c[5] * t) + (c[6] + c[7] * t) * t2;
    double q2 = (c[8] + c[9] * t) + c[10] * t2;
    double p = (q0 + q1 * t4) + q2 * t8;
    double lm = 2 * s + 2 * s * (t * p);
    if (e == 0)
        return lm;
    return (double)e * LN2_HI + ((double)e * LN2_LO + lm);
}

/* e^x to within a few ulp. */
static double det_exp(double x)
{
    /* 1/k!, k = 0..13: Taylor series of e^r, |r| <= 0.347 (error < 5e-18) */
    static const double c[] = {1.0,
                               1.0,
                               1.0 / 2,
                               1.0 / 6,
                               1.0 / 24,
                               1.0 / 120,
                               1.0 / 720,
                               1.0 / 5040,
                               1.0 / 40320,
                               1.0 / 362880,
                               1.0 / 3628800,
                               1.0 / 39916800,
                               1.0 / 479001600,
                               1.0 / 6227020800.0};
    if (isnan(x))
        return x;
    if (x < -746)
        return 0;
    if (x > 710)
        return HUGE_VAL;
    double n = floor(x * INV_LN2 + 0.5);
    double r = (x - n * LN2_HI) - n * LN2_LO;
    /* Estrin's scheme */
    double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    double b0 = (c[0] + c[1] * r) + (c[2] + c[3] * r) * r2;
    double b1 = (c[4] + c[5] * r) + (c[6] + c[7] * r) * r2;
    double b2 = (c[8] + c[9] * r) + (c[10] + c[11] * r) * r2;
    double b3 = c[12] + c[13] * r;
    double p = (b0 + b1 * r4) + (b2 + b3 * r4) * r8;
    return scale2(p, (int)n);
}

/*
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_{n>=0} 2^n x^(2n+1) / (1 3 5 ... (2n+1)):
 * all terms positive, so no cancellation; absolute error about 1e-15.
 */
static double det_erf(double x)
{
    double ax = fabs(x);
    if (isnan(x))
        return x;
    if (ax >= 6) /* erfc(6) < 3e-17 */
        return x > 0 ? 1.0 : -1.0;
    double x2 = ax * ax, term = ax, sum = ax;
    for (int n = 1; term > sum * 1e-17; n++) {
        term *= 2 * x2 / (2 * n + 1);
        sum += term;
    }
    double r = TWO_OVER_SQRT_PI * det_exp(-x2) * sum;
    if (r > 1)
        r = 1;
    return x < 0 ? -r : r;
}

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* A stream for (seed, a, b): distinct triples give unrelated streams. */
static void rng_seed(rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t x = seed;
    uint64_t h = splitmix64(&x) ^ (a * 0xD1B54A32D192ED03u);
    x = h;
    h = splitmix64(&x) ^ (b * 0xAF251AF3B0F025B5u);
    x = h;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform on [0, 1). */
static inline double rng_uniform(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform on (0, 1]. */
static inline double rng_uniform_pos(rng *r)
{
    return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}

/*
 * Tables for the samplers: log(k!) for small k, and the 256 layers of a
 * ziggurat for the normal distribution (Marsaglia and Tsang 2000): layers
 * of equal area ZIG_V under f(x) = exp(-x^2/2), with edges zx[0] = V/f(R),
 * zx[1] = R, f(zx[i+1]) = f(zx[i]) + V/zx[i], zx[256] = 0. V is such that
 * the layers close exactly at the top (solved to 40 digits for this R).
 */
#define ZIG_N 256
static const double ZIG_R = 3.6541528853610088;
static const double ZIG_V = 0.004928673233974655;

typedef struct {
    double lfact[32];     /* log(k!) */
    double zx[ZIG_N + 1]; /* layer edges */
    double zf[ZIG_N + 1]; /* f at the edges */
} synth_tables;

static void tables_init(synth_tables *t)
{
    t->lfact[0] = 0;
    for (int k = 1; k < 32; k++)
        t->lfact[k] = t->lfact[k - 1] + det_log(k);
    double f = det_exp(-0.5 * ZIG_R * ZIG_R);
    t->zx[0] = ZIG_V / f;
    t->zf[0] = 0;
    t->zx[1] = ZIG_R;
    t->zf[1] = f;
    for (int i = 1; i < ZIG_N - 1; i++) {
        double y = t->zf[i] + ZIG_V / t->zx[i];
        t->zx[i + 1] = sqrt(-2 * det_log(y));
        t->zf[i + 1] = y;
    }
    t->zx[ZIG_N] = 0;
    t->zf[ZIG_N] = 1;
}

/* Standard normal deviate (ziggurat). */
static double rng_normal(rng *r, const synth_tables *t)
{
    for (;;) {
        uint64_t b = rng_next(r);
        int i = (int)(b & 0xFF);          /* layer: bits 0-7 */
        double sign = b & 0x100 ? -1 : 1; /* bit 8 */
        double z = (double)(b >> 11) * 0x1.0p-53 * t->zx[i];
        if (z < t->zx[i + 1]) /* inside the curve: about 99% */
            return sign * z;
        if (i == 0) { /* the tail beyond R (Marsaglia 1964) */
            double a, c;
            do {
                a = -det_log(rng_uniform_pos(r)) / ZIG_R;
                c = -det_log(rng_uniform_pos(r));
            } while (c + c < a * a);
            return sign * (ZIG_R + a);
        }
        double y = t->zf[i] + rng_uniform(r) * (t->zf[i + 1] - t->zf[i]);
        if (y < det_exp(-0.5 * z * z))
            return sign * z;
    }
}

/* log(k!) for integral k >= 0: the table, then Stirling's series. */
static double log_factorial(const synth_tables *t, double k)
{
    if (k < 32)
        return t->lfact[(int)k];
    double x = k + 1, ix = 1 / x, ix2 = ix * ix;
    /* log Gamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + 1/(12x) - 1/(360x^3)
     *              + 1/(1260x^5) - 1/(1680x^7) + ...; next term < 1e-16 at x = 33 */
    double series = ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260 - ix2 * (1.0 / 1680))));
    return (x - 0.5) * det_log(x) - x + HALF_LOG_2PI + series;
}

/*
 * A Poisson deviate of mean mu (0 < mu < SYNTH_PTRS_MAX), as a double.
 * Knuth's product method below SYNTH_KNUTH_MAX, else Hörmann's PTRS
 * (W. Hörmann, "The transformed rejection method for generating Poisson
 * random variables", Insurance: Mathematics and Economics 12, 1993).
 */
static double poisson(rng *r, const synth_tables *t, double mu)
{
    if (mu < SYNTH_KNUTH_MAX) {
        double limit = det_exp(-mu), prod = rng_uniform(r), k = 0;
        while (prod > limit) {
            prod *= rng_uniform(r);
            k++;
        }
        return k;
    }
    double smu = sqrt(mu);
    double b = 0.931 + 2.53 * smu;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    double log_mu = NAN;
    for (;;) {
        double u = rng_uniform(r) - 0.5;
        double v = rng_uniform_pos(r);
        double us = 0.5 - fabs(u);
        if (us <= 0) /* u = -1/2: k would be -inf, rejected below anyway */
            continue;
        double k = floor((2 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= vr)
            return k;
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (isnan(log_mu))
            log_mu = det_log(mu);
        if (det_log(v * inv_alpha / (a / (us * us) + b)) <= -mu + k * log_mu - log_factorial(t, k))
            return k;
    }
}

/* ------------------------------------------------------------------ */
/* Testing hooks (not public API: synth/synth_hooks.h)                 */
/* ------------------------------------------------------------------ */

/* n Poisson deviates of `mean` drawn as the generator draws them. */
void locus_synth_poisson_fill(uint64_t seed, double mean, size_t n, double *out)
{
    rng r;
    synth_tables t;
    rng_seed(&r, seed, 0, 0);
    tables_init(&t);
    for (size_t i = 0; i < n; i++) {
        if (mean < SYNTH_PTRS_MAX)
            out[i] = poisson(&r, &t, mean);
        else
            out[i] = floor(mean + sqrt(mean) * rng_normal(&r, &t) + 0.5);
    }
}

/* n standard normal deviates. */
void locus_synth_normal_fill(uint64_t seed, size_t n, double *out)
{
    rng r;
    synth_tables t;
    rng_seed(&r, seed, 0, 0);
    tables_init(&t);
    for (size_t i = 0; i < n; i++)
        out[i] = rng_normal(&r, &t);
}

/* The generator's own log (fn 0), exp (1), erf (2) and log(x!) (3). */
double locus_synth_math(int fn, double x)
{
    synth_tables t;
    switch (fn) {
    case 0:
        return det_log(x);
    case 1:
        return det_exp(x);
    case 2:
        return det_erf(x);
    case 3:
        tables_init(&t);
        return log_factorial(&t, x);
    default:
        return NAN;
    }
}

/* ------------------------------------------------------------------ */
/* The generator                                                       */
/* ------------------------------------------------------------------ */

struct locus_synth {
    locus_synth_params p;
    int ndim;
    size_t n[3]; /* (z, y, x); nz = 1 for 2-D */
    size_t npix;
    size_t frame;        /* next frame to produce */
    double maxval;       /* 255 or 65535 */
    double base, amax;   /* background base level B and A_max, counts */
    double gain;         /* counts per photo-electron */
    double inv_gain;     /* 1 / gain (infinite without noise) */
    double read_sd;      /* read noise, counts */
    double radius;       /* spots are evaluated within this distance */
    double lo[3], hi[3]; /* allowed centres per axis (array order, ndim axes) */
    double *pos;         /* particles x ndim */
    double *amp;         /* particles */
    double *truth;       /* particles x (ndim + 1) */
    double *signal;      /* npix: expected spot signal, counts */
    double *bg[3];       /* per-axis background increments, (z, y, x) */
    double *w[3];        /* per-axis spot weights, scratch */
    void *pixels;
    int threads;      /* for the noise, 1..SYNTH_MAX_THREADS */
    locus_pool *pool; /* of `threads` members, started once */
    rng motion;
    synth_tables tab;
};

void locus_synth_params_init(locus_synth_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->ndim = 2;
    p->shape[0] = 384;
    p->shape[1] = 512;
    p->shape[2] = 0;
    p->frames = 10;
    p->particles = 200;
    p->sigma = 1.5;
    p->snr = 20;
    p->bit_depth = 8;
    p->min_separation = NAN; /* 4 * sigma + 2 */
    p->step = 0.5;
    p->seed = 1;
}

void locus_synth_free(locus_synth *s)
{
    if (!s)
        return;
    locus_pool_free(s->pool);
    free(s->pos);
    free(s->amp);
    free(s->truth);
    free(s->signal);
    for (int a = 0; a < 3; a++) {
        free(s->bg[a]);
        free(s->w[a]);
    }
    free(s->pixels);
    free(s);
}

static int check_params(const locus_synth_params *p, locus_error *err)
{
    if (p->ndim != 2 && p->ndim != 3)
        return locus_error_param(err, "ndim", NULL, "must be 2 or 3 (got %d)", p->ndim);
    for (int a = 0; a < p->ndim; a++)
        if (p->shape[a] < SYNTH_MIN_DIM || p->shape[a] > SYNTH_MAX_DIM)
            return locus_error_param(err, "shape", NULL,
                                     "must be between %d and %d pixels on every axis (axis %d: "
                                     "%zu)",
                                     SYNTH_MIN_DIM, SYNTH_MAX_DIM, a, p->shape[a]);
    if (p->frames < 1)
        return locus_error_param(err, "frames", NULL, "must be at least 1 (got 0)");
    if (!(p->sigma > 0) || isinf(p->sigma))
        return locus_error_param(err, "sigma", NULL, "must be positive and finite (got %g)",
                                 p->sigma);
    if (!(p->snr > 0))
        return locus_error_param(err, "snr", NULL, "must be positive (got %g)", p->snr);
    if (p->bit_depth != 8 && p->bit_depth != 16)
        return locus_error_param(err, "bit_depth", NULL, "must be 8 or 16 (got %d)", p->bit_depth);
    if (!isnan(p->min_separation) && (!(p->min_separation >= 0) || isinf(p->min_separation)))
        return locus_error_param(err, "min_separation", NULL,
                                 "must be a finite number >= 0 (got %g)", p->min_separation);
    if (!(p->step >= 0) || isinf(p->step))
        return locus_error_param(err, "step", NULL, "must be a finite number >= 0 (got %g)",
                                 p->step);
    return LOCUS_OK;
}

static void shape_text(const locus_synth *s, char *buf, size_t cap)
{
    if (s->ndim == 2)
        snprintf(buf, cap, "%zux%zu", s->n[1], s->n[2]);
    else
        snprintf(buf, cap, "%zux%zux%zu", s->n[0], s->n[1], s->n[2]);
}

static int place_error(const locus_synth *s, double sep, locus_error *err)
{
    char shp[80];
    shape_text(s, shp, sizeof shp);
    return locus_error_param(err, "particles", "min_separation",
                             "cannot all be placed: %zu with " LOCUS_ERROR_OTHER
                             " %g in a %s image",
                             s->p.particles, sep, shp);
}

/*
 * First-frame positions: uniform in [lo, hi] per axis, rejecting any
 * candidate closer than sep to an accepted one. A grid of cells no smaller
 * than sep keeps each test to the 3^ndim neighbouring cells.
 */
static int place_particles(locus_synth *s, double sep, locus_error *err)
{
    size_t np = s->p.particles;
    int nd = s->ndim;
    if (np == 0)
        return LOCUS_OK;
    for (int a = 0; a < nd; a++)
        if (s->hi[a] < s->lo[a])
            return place_error(s, sep, err);

    /* cell size: at least sep and 1 pixel (so no more cells than pixels),
     * and about 4 cells per particle. The grid only finds neighbours: the
     * positions do not depend on it (nor on pow's last bit). */
    double vol = 1;
    for (int a = 0; a < nd; a++)
        vol *= s->hi[a] - s->lo[a] + 1;
    double h = pow(vol / (4.0 * (double)np), 1.0 / nd);
    if (h < sep)
        h = sep;
    if (!(h >= 1))
        h = 1;
    size_t gdim[3] = {1, 1, 1}, ncell = 1;
    for (int a = 0; a < nd; a++) {
        gdim[a] = (size_t)((s->hi[a] - s->lo[a]) / h) + 1;
        ncell = size_mul(ncell, gdim[a]);
    }
    size_t *head = NULL, *next = NULL;
    if (ncell == SIZE_MAX || !(head = malloc(ncell * sizeof *head)) ||
        !(next = malloc(np * sizeof *next))) {
        free(head);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory placing particles");
    }
    for (size_t c = 0; c < ncell; c++)
        head[c] = SIZE_MAX;

    double sep2 = sep * sep;
    int rc = LOCUS_OK;
    for (size_t i = 0; i < np; i++) {
        double *x = s->pos + i * (size_t)nd;
        long tries = 0;
        for (;;) {
            if (tries++ >= SYNTH_TRIES) {
                rc = place_error(s, sep, err);
                goto done;
            }
            size_t cell[3] = {0, 0, 0};
            for (int a = 0; a < nd; a++) {
                x[a] = s->lo[a] + (s->hi[a] - s->lo[a]) * rng_uniform(&s->motion);
                cell[a] = (size_t)((x[a] - s->lo[a]) / h);
                if (cell[a] >= gdim[a])
                    cell[a] = gdim[a] - 1;
            }
            int ok = 1;
            if (sep > 0) {
                size_t c0[3] = {0, 0, 0}, c1[3] = {0, 0, 0};
                for (int a = 0; a < nd; a++) {
                    c0[a] = cell[a] > 0 ? cell[a] - 1 : 0;
                    c1[a] = cell[a] + 1 < gdim[a] ? cell[a] + 1 : gdim[a] - 1;
                }
                for (size_t cz = c0[0]; ok && cz <= c1[0]; cz++)
                    for (size_t cy = c0[1]; ok && cy <= c1[1]; cy++)
                        for (size_t cx = c0[2]; ok && cx <= c1[2]; cx++) {
                            size_t c = (cz * gdim[1] + cy) * gdim[2] + cx;
                            for (size_t j = head[c]; j != SIZE_MAX; j = next[j]) {
                                const double *y = s->pos + j * (size_t)nd;
                                double d2 = 0;
                                for (int a = 0; a < nd; a++)
                                    d2 += (x[a] - y[a]) * (x[a] - y[a]);
                                if (d2 < sep2) {
                                    ok = 0;
                                    break;
                                }
                            }
                        }
            }
            if (ok) {
                size_t c = (cell[0] * gdim[1] + cell[1]) * gdim[2] + cell[2];
                next[i] = head[c];
                head[c] = i;
                break;
            }
        }
    }
done:
    free(head);
    free(next);
    return rc;
}

int locus_synth_create(locus_synth **out, const locus_synth_params *p, locus_error *err)
{
    if (!out || !p)
        return locus_error_set(err, LOCUS_E_PARAM, "no output or parameters given");
    *out = NULL;
    int rc = check_params(p, err);
    if (rc)
        return rc;

    locus_synth *s = calloc(1, sizeof *s);
    if (!s)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    s->p = *p;
    s->ndim = p->ndim;
    int nd = p->ndim, off = 3 - nd; /* internal axis of public axis a: a + off */
    s->n[0] = 1;
    for (int a = 0; a < nd; a++)
        s->n[a + off] = p->shape[a];
    s->npix = size_mul(size_mul(s->n[0], s->n[1]), s->n[2]);

    s->maxval = p->bit_depth == 8 ? 255 : 65535;
    s->base = p->bit_depth == 8 ? 30 : 2000;
    s->amax = p->bit_depth == 8 ? 180 : 12000;
    double sd = s->amax / p->snr; /* total noise at B */
    s->gain = 0.75 * sd * sd / s->base;
    s->inv_gain = 1 / s->gain;
    s->read_sd = 0.5 * sd;
    s->radius = SYNTH_WINDOW * p->sigma;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t by_size = s->npix / SYNTH_PIXELS_PER_THREAD;
    s->threads = ncpu < 1 ? 1 : ncpu > SYNTH_MAX_THREADS ? SYNTH_MAX_THREADS : (int)ncpu;
    if ((size_t)s->threads > by_size)
        s->threads = by_size < 1 ? 1 : (int)by_size;

    double sep = isnan(p->min_separation) ? 4 * p->sigma + 2 : p->min_separation;
    s->p.min_separation = sep;
    double margin = ceil(3 * p->sigma) + 2;
    for (int a = 0; a < nd; a++) {
        s->lo[a] = margin;
        s->hi[a] = (double)p->shape[a] - 1 - margin;
    }

    size_t np = p->particles;
    size_t bytes = (size_t)(p->bit_depth / 8);
    double wl = 2 * ceil(s->radius) + 3; /* spot window, pixels per axis */
    size_t wlen = wl < SYNTH_MAX_DIM ? (size_t)wl : SYNTH_MAX_DIM;
    int fail = 0;
    fail |= !(s->pos = malloc(size_mul(np ? np : 1, (size_t)nd * sizeof(double))));
    fail |= !(s->amp = malloc(size_mul(np ? np : 1, sizeof(double))));
    fail |= !(s->truth = malloc(size_mul(np ? np : 1, (size_t)(nd + 1) * sizeof(double))));
    fail |= !(s->signal = malloc(size_mul(s->npix, sizeof(double))));
    fail |= !(s->pixels = malloc(size_mul(s->npix, bytes)));
    for (int a = 0; a < 3; a++) {
        fail |= !(s->bg[a] = malloc(s->n[a] * sizeof(double)));
        fail |= !(s->w[a] = malloc((wlen < s->n[a] ? wlen : s->n[a]) * sizeof(double)));
    }
    if (fail) {
        locus_synth_free(s);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }

    /* background increments: B * 0.3 * i / ((n - 1) * ndim) per real axis */
    for (int a = 0; a < 3; a++)
        for (size_t i = 0; i < s->n[a]; i++)
            s->bg[a][i] = s->n[a] > 1
                              ? s->base * SYNTH_GRADIENT * (double)i / ((double)(s->n[a] - 1) * nd)
                              : 0;

    tables_init(&s->tab);
    rng_seed(&s->motion, p->seed, UINT64_MAX, 0);
    rc = place_particles(s, sep, err);
    if (rc) {
        locus_synth_free(s);
        return rc;
    }
    for (size_t i = 0; i < np; i++)
        s->amp[i] = s->amax * (0.5 + 0.5 * rng_uniform(&s->motion));
    *out = s;
    return LOCUS_OK;
}

/* Reflect x into [lo, hi]. */
static double reflect(double x, double lo, double hi)
{
    double len = hi - lo;
    if (!(len > 0))
        return lo;
    double t = fmod(x - lo, 2 * len);
    if (t < 0)
        t += 2 * len;
    if (t > len)
        t = 2 * len - t;
    return lo + t;
}

static void move_particles(locus_synth *s)
{
    int nd = s->ndim;
    for (size_t i = 0; i < s->p.particles; i++)
        for (int a = 0; a < nd; a++) {
            double *x = s->pos + i * (size_t)nd + a;
            *x = reflect(*x + s->p.step * rng_normal(&s->motion, &s->tab), s->lo[a], s->hi[a]);
        }
}

/*
 * Weights of a spot centred at c on an axis of n pixels, for pixels
 * [*i0, *i0 + return value): sqrt(2 pi) sigma / 2 * (erf(b) - erf(a)).
 */
static size_t axis_weights(const locus_synth *s, double c, size_t n, double *w, size_t *i0)
{
    double lo = ceil(c - s->radius), hi = floor(c + s->radius);
    if (lo < 0)
        lo = 0;
    if (hi > (double)n - 1)
        hi = (double)n - 1;
    if (hi < lo)
        return 0;
    double inv = 1 / (sqrt(2.0) * s->p.sigma), norm = 0.5 * SQRT_2PI * s->p.sigma;
    double prev = det_erf((lo - 0.5 - c) * inv);
    size_t len = (size_t)(hi - lo) + 1;
    for (size_t k = 0; k < len; k++) {
        double e = det_erf((lo + (double)k + 0.5 - c) * inv);
        w[k] = norm * (e - prev);
        prev = e;
    }
    *i0 = (size_t)lo;
    return len;
}

static void render_spots(locus_synth *s)
{
    int nd = s->ndim, off = 3 - nd;
    size_t ny = s->n[1], nx = s->n[2];
    memset(s->signal, 0, s->npix * sizeof(double));
    for (size_t i = 0; i < s->p.particles; i++) {
        size_t len[3] = {1, 1, 1}, i0[3] = {0, 0, 0};
        s->w[0][0] = 1;
        for (int a = 0; a < nd; a++) {
            int ia = a + off;
            len[ia] = axis_weights(s, s->pos[i * (size_t)nd + a], s->n[ia], s->w[ia], &i0[ia]);
            if (!len[ia])
                break;
        }
        if (!len[0] || !len[1] || !len[2])
            continue;
        double amp = s->amp[i];
        for (size_t z = 0; z < len[0]; z++) {
            double wz = amp * s->w[0][z];
            for (size_t y = 0; y < len[1]; y++) {
                double wzy = wz * s->w[1][y];
                double *row = s->signal + ((i0[0] + z) * ny + i0[1] + y) * nx + i0[2];
                const double *wx = s->w[2];
                for (size_t x = 0; x < len[2]; x++)
                    row[x] += wzy * wx[x];
            }
        }
    }
}

/* Noise, clipping and rounding for one row of pixels. */
static void noise_row(const locus_synth *s, size_t z, size_t y)
{
    size_t nx = s->n[2], row = z * s->n[1] + y;
    const double *sig = s->signal + row * nx;
    const double *bgx = s->bg[2];
    double rowbg = s->base + (s->bg[0][z] + s->bg[1][y]);
    double gain = s->gain, inv_gain = s->inv_gain, read_sd = s->read_sd, maxval = s->maxval;
    rng r;
    rng_seed(&r, s->p.seed, s->frame, row);
    uint8_t *p8 = (uint8_t *)s->pixels + row * nx;
    uint16_t *p16 = (uint16_t *)s->pixels + row * nx;
    int u8 = s->p.bit_depth == 8;
    for (size_t x = 0; x < nx; x++) {
        double m = rowbg + bgx[x] + sig[x];
        double mu = m * inv_gain, v;
        if (mu < SYNTH_PTRS_MAX)
            v = poisson(&r, &s->tab, mu) * gain;
        else if (gain > 0)
            v = m + sqrt(m * gain) * rng_normal(&r, &s->tab);
        else
            v = m;
        if (read_sd > 0)
            v += read_sd * rng_normal(&r, &s->tab);
        if (!(v > 0))
            v = 0;
        if (v > maxval)
            v = maxval;
        v = floor(v + 0.5);
        if (u8)
            p8[x] = (uint8_t)v;
        else
            p16[x] = (uint16_t)v;
    }
}

/* Member `member` of `size` adds the noise of its share of the rows. */
static void noise_part(void *arg, int member, int size)
{
    const locus_synth *s = arg;
    size_t nrows = s->n[0] * s->n[1], ny = s->n[1];
    size_t r0 = nrows * (size_t)member / (size_t)size;
    size_t r1 = nrows * (size_t)(member + 1) / (size_t)size;
    for (size_t r = r0; r < r1; r++)
        noise_row(s, r / ny, r % ny);
}

/*
 * Noise for every row, on the generator's threads. Each row has its own
 * random stream, so the result does not depend on the number of threads.
 */
static void add_noise(locus_synth *s)
{
    locus_pool_run(s->pool, noise_part, s);
}

/* Use this many threads for the noise (clamped to 1..SYNTH_MAX_THREADS). */
void locus_synth_set_threads(locus_synth *s, int threads)
{
    if (!s)
        return;
    s->threads = threads < 1 ? 1 : threads > SYNTH_MAX_THREADS ? SYNTH_MAX_THREADS : threads;
    locus_pool_free(s->pool); /* the next frame starts a team of the new size */
    s->pool = NULL;
}

int locus_synth_next(locus_synth *s, locus_image *img, const double **truth, size_t *ntruth,
                     locus_error *err)
{
    if (!s || !img)
        return locus_error_set(err, LOCUS_E_PARAM, "no generator or image given");
    if (s->frame >= s->p.frames)
        return locus_error_set(err, LOCUS_E_PARAM, "all %zu frames already produced", s->p.frames);
    /* the noise team first: a frame either is made whole or not begun */
    if (!s->pool && !(s->pool = locus_pool_create(s->threads)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (s->frame > 0)
        move_particles(s);
    render_spots(s);
    add_noise(s);

    int nd = s->ndim;
    for (size_t i = 0; i < s->p.particles; i++) {
        double *t = s->truth + i * (size_t)(nd + 1);
        for (int a = 0; a < nd; a++)
            t[a] = s->pos[i * (size_t)nd + a];
        t[nd] = s->amp[i];
    }
    if (truth)
        *truth = s->truth;
    if (ntruth)
        *ntruth = s->p.particles;

    memset(img, 0, sizeof *img);
    img->data = s->pixels;
    img->dtype = s->p.bit_depth == 8 ? LOCUS_U8 : LOCUS_U16;
    img->ndim = nd;
    ptrdiff_t stride = s->p.bit_depth / 8;
    for (int a = nd - 1; a >= 0; a--) {
        img->shape[a] = s->p.shape[a];
        img->strides[a] = stride;
        stride *= (ptrdiff_t)s->p.shape[a];
    }
    s->frame++;
    return LOCUS_OK;
}

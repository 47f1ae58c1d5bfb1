/*
 * Preprocessing (LOCATE.md §2-3): invert and the raw copy, the boxcar
 * background (edge repetition, per-pass truncation, float32 kept float32),
 * the Gaussian taps and low pass (zero outside), and the thresholded band
 * pass. Expected values are worked out by hand, or by naive oracles in
 * this file that follow the spec's words directly.
 */
#include "check.h"
#include "stage_helpers.h"
#include "locate/divide.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ------------------------------------------------------------------ */
/* Naive oracles on padded 3-D double arrays                           */
/* ------------------------------------------------------------------ */

static size_t at(const size_t sh[3], ptrdiff_t z, ptrdiff_t y, ptrdiff_t x)
{
    return ((size_t)z * sh[1] + (size_t)y) * sh[2] + (size_t)x;
}

static ptrdiff_t clampi(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : i >= (ptrdiff_t)n ? (ptrdiff_t)n - 1 : i;
}

/* One boxcar pass of width k along axis: the window sum (edge pixel
 * repeated, sum in double) divided by k, stored into type t. Values must
 * be such that the double sums are exact (small integers, dyadic
 * fractions, float32 values of a limited range). */
static void oracle_box_pass(double *a, const size_t sh[3], int axis, int k, locus_dtype t)
{
    size_t n = sh[0] * sh[1] * sh[2];
    double *out = malloc(n * sizeof *out);
    for (size_t z = 0; z < sh[0]; z++)
        for (size_t y = 0; y < sh[1]; y++)
            for (size_t x = 0; x < sh[2]; x++) {
                ptrdiff_t c[3] = {(ptrdiff_t)z, (ptrdiff_t)y, (ptrdiff_t)x};
                double s = 0;
                for (int j = -(k / 2); j <= k / 2; j++) {
                    ptrdiff_t q[3] = {c[0], c[1], c[2]};
                    q[axis] = clampi(q[axis] + j, sh[axis]);
                    s += a[at(sh, q[0], q[1], q[2])];
                }
                double v = s / k;
                if (t == LOCUS_U8 || t == LOCUS_U16)
                    v = trunc(v);
                else if (t == LOCUS_F32)
                    v = (float)v;
                out[at(sh, c[0], c[1], c[2])] = v;
            }
    memcpy(a, out, n * sizeof *out);
    free(out);
}

/* One Gaussian pass along axis with taps g[0..w], zero outside, summed as
 * the spec says: x[0] g[0], then + (x[-j] + x[+j]) g[j], j = w..1. */
static void oracle_gauss_pass(double *a, const size_t sh[3], int axis, const double *g, int w)
{
    size_t n = sh[0] * sh[1] * sh[2];
    double *out = malloc(n * sizeof *out);
    for (size_t z = 0; z < sh[0]; z++)
        for (size_t y = 0; y < sh[1]; y++)
            for (size_t x = 0; x < sh[2]; x++) {
                ptrdiff_t c[3] = {(ptrdiff_t)z, (ptrdiff_t)y, (ptrdiff_t)x};
                double s = a[at(sh, c[0], c[1], c[2])] * g[0];
                for (int j = w; j >= 1; j--) {
                    ptrdiff_t lo[3] = {c[0], c[1], c[2]}, hi[3] = {c[0], c[1], c[2]};
                    lo[axis] -= j;
                    hi[axis] += j;
                    double vl = lo[axis] >= 0 ? a[at(sh, lo[0], lo[1], lo[2])] : 0.0;
                    double vh =
                        hi[axis] < (ptrdiff_t)sh[axis] ? a[at(sh, hi[0], hi[1], hi[2])] : 0.0;
                    s += (vl + vh) * g[j];
                }
                out[at(sh, c[0], c[1], c[2])] = s;
            }
    memcpy(a, out, n * sizeof *out);
    free(out);
}

/* ------------------------------------------------------------------ */
/* Boxcar                                                              */
/* ------------------------------------------------------------------ */

static void test_boxcar_truncation(void)
{
    /* Columns x = 1, 2, 3 hold (3,3,2), (3,3,2), (1,1,0) down rows 0..2. */
    static const uint8_t im[3][5] = {{0, 3, 3, 1, 0}, {0, 3, 3, 1, 0}, {0, 2, 2, 0, 0}};
    /* y pass (width 3, edge rows repeated), truncated into uint8:
     *   row 0: rows (0,0,1): col1 3+3+3 = 9 -> 3, col2 9 -> 3, col3 1+1+1 = 3 -> 1
     *   row 1: rows (0,1,2): col1 3+3+2 = 8 -> 2, col2 8 -> 2, col3 1+1+0 = 2 -> 0
     *   row 2: rows (1,2,2): col1 3+2+2 = 7 -> 2, col2 7 -> 2, col3 1+0+0 = 1 -> 0
     * x pass on [0,3,3,1,0]: x0 (0,0,3) 3 -> 1, x1 6 -> 2, x2 7 -> 2, x3 4 -> 1,
     *   x4 (1,0,0) 1 -> 0
     * x pass on [0,2,2,0,0]: x0 2 -> 0, x1 4 -> 1, x2 4 -> 1, x3 2 -> 0, x4 0.
     * At (1,2): 1 with per-pass truncation; the exact 3x3 mean would be
     * trunc(18 / 9) = 2. */
    static const uint8_t want[3][5] = {{1, 2, 2, 1, 0}, {0, 1, 1, 0, 0}, {0, 1, 1, 0, 0}};
    locus_image img = make_image(im, LOCUS_U8, 2, 3, 5, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    const void *bg = NULL;
    CHECK(locus_preprocess_boxcar(ws, im, &bg) == LOCUS_OK, "boxcar runs");
    const uint8_t *b = bg;
    CHECK(b[1 * 5 + 2] == 1, "per-pass truncation: B(1,2) = %d, want 1 (not 2)", b[1 * 5 + 2]);
    int same = 1;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
            same &= b[y * 5 + x] == want[y][x];
    CHECK(same, "whole 3x5 background as worked out by hand");
    locus_workspace_free(ws);
}

static void test_boxcar_edges(void)
{
    /* Ramp along x, three equal rows: the y pass leaves it unchanged.
     * x pass, width 3, edge repeated: x0 (0,0,3) = 3 -> 1, x1 9 -> 3,
     * x2 18 -> 6, x3 27 -> 9, x4 (9,12,12) = 33 -> 11 (zero padding would
     * give 21 / 3 = 7). */
    static const uint8_t ramp[3][5] = {{0, 3, 6, 9, 12}, {0, 3, 6, 9, 12}, {0, 3, 6, 9, 12}};
    static const uint8_t want[5] = {1, 3, 6, 9, 11};
    locus_image img = make_image(ramp, LOCUS_U8, 2, 3, 5, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    const void *bg;
    locus_preprocess_boxcar(ws, ramp, &bg);
    const uint8_t *b = bg;
    int same = 1;
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++)
            same &= b[y * 5 + x] == want[x];
    CHECK(same, "ramp: edge pixel repeats (B at x=4 is %d, want 11)", b[4]);
    locus_workspace_free(ws);

    /* Width 5 on a 3-wide axis: the window runs past both edges.
     * Columns 10, 40, 70: x0 (10,10,10,40,70) = 140 -> 28,
     * x1 (10,10,40,70,70) = 200 -> 40, x2 (10,40,70,70,70) = 260 -> 52. */
    static const uint16_t cols[3][3] = {{10, 40, 70}, {10, 40, 70}, {10, 40, 70}};
    img = make_image(cols, LOCUS_U16, 2, 3, 3, 0);
    p = params_d(5);
    ws = planned(&p, &img);
    locus_preprocess_boxcar(ws, cols, &bg);
    const uint16_t *b16 = bg;
    CHECK(b16[0] == 28 && b16[1] == 40 && b16[2] == 52 && b16[3] == 28 && b16[8] == 52,
          "width 5 on 3 pixels: %d %d %d, want 28 40 52", b16[0], b16[1], b16[2]);
    locus_workspace_free(ws);

    /* A constant image stays constant (edges repeated, not zero). */
    static uint8_t flat[5][7];
    memset(flat, 200, sizeof flat);
    img = make_image(flat, LOCUS_U8, 2, 5, 7, 0);
    p = params_d(5);
    ws = planned(&p, &img);
    locus_preprocess_boxcar(ws, flat, &bg);
    const uint8_t *bf = bg;
    same = 1;
    for (int i = 0; i < 35; i++)
        same &= bf[i] == 200;
    CHECK(same, "constant 200 image: background 200 everywhere (corner %d)", bf[0]);
    locus_workspace_free(ws);
}

/* Random images against the per-pass oracle. */
static void boxcar_vs_oracle(locus_dtype t, int nd, const size_t shape[3], const double smooth[3],
                             const double noise[3], const char *what)
{
    size_t sh[3] = {1, 1, 1}, n = 1;
    for (int a = 0; a < nd; a++)
        sh[3 - nd + a] = shape[a];
    n = sh[0] * sh[1] * sh[2];
    size_t es = locus_dtype_size(t);
    unsigned char *buf = malloc(n * es);
    double *ref = malloc(n * sizeof *ref), *ref64 = malloc(n * sizeof *ref64);
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (t) {
        case LOCUS_U8:
            v = (double)(rng() % 256);
            ((uint8_t *)buf)[i] = (uint8_t)v;
            break;
        case LOCUS_U16:
            v = (double)(rng() % 65536);
            ((uint16_t *)buf)[i] = (uint16_t)v;
            break;
        case LOCUS_F32:
            v = (double)(rng() % 257) / 64.0; /* 0 .. 4 in 1/64 */
            ((float *)buf)[i] = (float)v;
            break;
        default:
            v = (double)(rng() % 257) / 64.0;
            ((double *)buf)[i] = v;
            break;
        }
        ref[i] = ref64[i] = v;
    }
    locus_image img = make_image(buf, t, nd, shape[0], shape[1], shape[2]);
    locus_params p = params_d(3);
    p.smoothing_size.count = nd;
    p.noise_size.count = nd;
    for (int a = 0; a < nd; a++) {
        p.smoothing_size.v[a] = smooth[a];
        p.noise_size.v[a] = noise[a];
    }
    locus_workspace *ws = planned(&p, &img);
    if (!ws)
        return;
    for (int a = 0; a < 3; a++)
        if (ws->pl.smoothing[a] > 1) {
            oracle_box_pass(ref, sh, a, ws->pl.smoothing[a], t);
            /* the same without rounding between passes (float64 throughout) */
            oracle_box_pass(ref64, sh, a, ws->pl.smoothing[a], LOCUS_F64);
        }
    const void *bg;
    CHECK(locus_preprocess_boxcar(ws, buf, &bg) == LOCUS_OK, "%s: boxcar runs", what);
    double worst = 0;
    size_t differs = 0;
    for (size_t i = 0; i < n; i++) {
        double got = pixel_get(bg, t, i);
        double d = fabs(got - ref[i]);
        worst = d > worst ? d : worst;
        if (t == LOCUS_F32 && (double)(float)ref64[i] != ref[i])
            differs++;
    }
    /* float64 sums of non-dyadic values may round differently from the
     * oracle's naive sums; everything else is exact. */
    double tol = t == LOCUS_F64 ? 1e-12 : 0;
    CHECK(worst <= tol, "%s: background equals the per-pass oracle (worst diff %g)", what, worst);
    if (t == LOCUS_F32)
        CHECK(differs > 0, "%s: test data where float32 per pass matters (%zu pixels)", what,
              differs);
    locus_workspace_free(ws);
    free(buf);
    free(ref);
    free(ref64);
}

static void test_boxcar_random(void)
{
    size_t s2[3] = {7, 9, 0}, s3[3] = {5, 6, 7}, s3b[3] = {6, 2, 11};
    double sm2[3] = {3, 5, 0}, no2[3] = {1, 1, 0};
    double sm3[3] = {3, 1, 5}, no3[3] = {1, 0.5, 1};
    double sm3b[3] = {5, 3, 7}, no3b[3] = {1, 1, 2};
    boxcar_vs_oracle(LOCUS_U8, 2, s2, sm2, no2, "uint8 2-D smoothing (3,5)");
    boxcar_vs_oracle(LOCUS_U16, 2, s2, sm2, no2, "uint16 2-D smoothing (3,5)");
    boxcar_vs_oracle(LOCUS_U8, 3, s3, sm3, no3, "uint8 3-D smoothing (3,1,5)");
    boxcar_vs_oracle(LOCUS_U16, 3, s3b, sm3b, no3b, "uint16 3-D smoothing (5,3,7), 2 rows");
    boxcar_vs_oracle(LOCUS_F32, 2, s2, sm2, no2, "float32 2-D smoothing (3,5)");
    boxcar_vs_oracle(LOCUS_F32, 3, s3b, sm3b, no3b, "float32 3-D smoothing (5,3,7)");
    boxcar_vs_oracle(LOCUS_F64, 2, s2, sm2, no2, "float64 2-D smoothing (3,5)");
    boxcar_vs_oracle(LOCUS_F64, 3, s3, sm3, no3, "float64 3-D smoothing (3,1,5)");
    /* every odd window width along x up to 33, around 64 and 128, and
     * around the widths where the uint8 and uint16 sums change form (257,
     * 256), on lines longer and shorter than the window: the x pass sums
     * directly up to 16 pixels and by doubling beyond, one step per
     * binary digit of the width */
    static const int widths[] = {3,  5,  7,  9,  11, 13, 15,  17,  19,  21,  23, 25,
                                 27, 29, 31, 33, 63, 65, 127, 129, 255, 257, 259};
    uint64_t later = rng_state; /* the later tests' data stay as they were chosen */
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++)
        for (int lng = 0; lng < 2; lng++) {
            size_t sx[3] = {4, lng ? 150 : 19, 0};
            double smx[3] = {3, widths[w], 0}, nox[3] = {1, 1, 0};
            char what[80];
            snprintf(what, sizeof what, "uint8 2-D smoothing (3,%d), %zu columns", widths[w],
                     sx[1]);
            boxcar_vs_oracle(LOCUS_U8, 2, sx, smx, nox, what);
            snprintf(what, sizeof what, "uint16 2-D smoothing (3,%d), %zu columns", widths[w],
                     sx[1]);
            boxcar_vs_oracle(LOCUS_U16, 2, sx, smx, nox, what);
        }
    rng_state = later;
}

static void test_boxcar_float32_type(void)
{
    /* One row, width 3: (1, 0, 0) -> at x1 (1+0+0)/3 stored as float32. */
    static const float row[3][3] = {{1, 0, 0}, {1, 0, 0}, {1, 0, 0}};
    locus_image img = make_image(row, LOCUS_F32, 2, 3, 3, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    const void *bg;
    locus_preprocess_boxcar(ws, row, &bg);
    const float *b = bg;
    /* x0: (1,1,0) = 2/3; x1: 1/3; x2: (0,0,0) = 0; each as float32 */
    CHECK(b[1] == (float)(1.0 / 3) && b[0] == (float)(2.0 / 3) && b[2] == 0.0f,
          "float32 background holds float32 values: %.9g %.9g %.9g", b[0], b[1], b[2]);
    locus_workspace_free(ws);
}

/* ------------------------------------------------------------------ */
/* Gaussian taps and low pass                                          */
/* ------------------------------------------------------------------ */

static void check_taps(double sigma, int want_w)
{
    static double im[40][40];
    locus_image img = make_image(im, LOCUS_F64, 2, 40, 40, 0);
    locus_params p = params_d(31);
    p.noise_size.count = 1;
    p.noise_size.v[0] = sigma;
    locus_workspace *ws = planned(&p, &img);
    const plan *pl = &ws->pl;
    CHECK(pl->gauss[0] == NULL, "sigma %g: no taps on the padded axis", sigma);
    CHECK(pl->gauss[1] && pl->gauss[2], "sigma %g: taps on y and x", sigma);
    CHECK(pl->gauss_w[1] == want_w && pl->gauss_w[2] == want_w,
          "sigma %g: w = int(4 sigma + 0.5) = %d (got %d)", sigma, want_w, pl->gauss_w[2]);
    const double *g = pl->gauss[2];
    double sum = g[0];
    for (int j = 1; j <= pl->gauss_w[2]; j++)
        sum += 2 * g[j];
    CHECK_NEAR(sum, 1.0, 1e-15, "taps sum to 1 over -w..w");
    double worst = 0;
    for (int j = 1; j <= pl->gauss_w[2]; j++) {
        double want = exp(-(double)(j * j) / (2 * sigma * sigma));
        double r = fabs(g[j] / g[0] - want) / want;
        worst = r > worst ? r : worst;
    }
    CHECK(worst < 1e-14, "sigma %g: g[j] / g[0] = exp(-j^2 / (2 sigma^2)) (worst rel %g)", sigma,
          worst);
    locus_workspace_free(ws);
}

static void test_taps(void)
{
    check_taps(1, 4);     /* int(4.5) = 4 */
    check_taps(1.5, 6);   /* int(6.5) = 6 */
    check_taps(0.3, 1);   /* int(1.7) = 1 */
    check_taps(1.125, 5); /* int(5.0) = 5 */
    check_taps(2.4, 10);  /* int(10.1) = 10 */

    /* sigma 0.1: w = int(0.9) = 0, one tap of 1 */
    static double im[9][9];
    locus_image img = make_image(im, LOCUS_F64, 2, 9, 9, 0);
    locus_params p = params_d(3);
    p.noise_size.count = 1;
    p.noise_size.v[0] = 0.1;
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.gauss_w[2] == 0 && ws->pl.gauss[2][0] == 1.0, "sigma 0.1: w 0, g[0] = 1");
    locus_workspace_free(ws);

    /* anisotropic noise_size: taps per axis */
    p = params_d(9);
    p.noise_size.count = 2;
    p.noise_size.v[0] = 1;
    p.noise_size.v[1] = 1.5;
    ws = planned(&p, &img);
    CHECK(ws->pl.gauss_w[1] == 4 && ws->pl.gauss_w[2] == 6, "noise_size (1, 1.5): w (4, 6)");
    locus_workspace_free(ws);
}

/* Low pass of an impulse through locus_preprocess_bandpass with a zero
 * background and threshold 0 (keeps every value >= 0). */
static void test_impulse(void)
{
    enum { NY = 11, NX = 13 };
    static double im[NY][NX], zero[NY][NX];
    locus_image img = make_image(im, LOCUS_F64, 2, NY, NX, 0);
    locus_params p = params_d(5);
    p.threshold = 0;
    locus_workspace *ws = planned(&p, &img);
    const double *g = ws->pl.gauss[2];
    int w = ws->pl.gauss_w[2];
    double mx;

    /* impulse at (5, 6): L = g[|dy|] g[|dx|] (one product each: exact) */
    im[5][6] = 1;
    CHECK(locus_preprocess_bandpass(ws, im, zero, &mx) == LOCUS_OK, "band pass runs");
    int exact = 1;
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++) {
            int dy = abs(y - 5), dx = abs(x - 6);
            double want = dy <= w && dx <= w ? g[dy] * g[dx] : 0.0;
            exact &= ws->lp[y * NX + x] == want;
        }
    CHECK(exact, "impulse: low pass is the outer product of the taps");
    CHECK(mx == g[0] * g[0], "impulse: bp max = g0^2");

    /* impulse at the corner: zero padding, so L(0,0) = g0 g0 exactly */
    im[5][6] = 0;
    im[0][0] = 1;
    locus_preprocess_bandpass(ws, im, zero, &mx);
    CHECK(ws->lp[0] == g[0] * g[0], "corner impulse: L(0,0) = g0*g0 = %.17g (got %.17g)",
          g[0] * g[0], ws->lp[0]);
    CHECK(ws->lp[1] == g[0] * g[1] && ws->lp[2 * NX + 3] == g[2] * g[3] &&
              ws->lp[4 * NX + 4] == g[4] * g[4] && ws->lp[5 * NX] == 0 && ws->lp[5] == 0,
          "corner impulse: L(0,1) = g0 g1, L(2,3) = g2 g3, L(4,4) = g4 g4, 0 beyond w");

    /* threshold: values < threshold become 0, == threshold stays.
     * L(2,0) = g2 g0, L(2,1) = g2 g1 < g2 g0, L(1,1) = g1 g1 > g2 g0 */
    ws->pl.threshold = g[2] * g[0];
    locus_preprocess_bandpass(ws, im, zero, &mx);
    CHECK(ws->lp[2 * NX] == g[2] * g[0], "value equal to the threshold is kept");
    CHECK(ws->lp[2 * NX + 1] == 0, "value below the threshold becomes 0");
    CHECK(ws->lp[NX + 1] == g[1] * g[1], "value above the threshold is kept");
    CHECK(ws->lp[6 * NX] == 0, "zero stays zero");
    locus_workspace_free(ws);

    /* An axis shorter than the kernel: 3 rows, sigma 1 (w = 4). */
    static double thin[3][20], zthin[3][20];
    thin[1][10] = 1;
    img = make_image(thin, LOCUS_F64, 2, 3, 20, 0);
    ws = planned(&p, &img);
    locus_preprocess_bandpass(ws, thin, zthin, &mx);
    g = ws->pl.gauss[2];
    CHECK(ws->lp[10] == g[1] * g[0] && ws->lp[2 * 20 + 12] == g[1] * g[2] &&
              ws->lp[20 + 14] == g[0] * g[4] && ws->lp[20 + 15] == 0,
          "3-row image: L(0,10) = g1 g0, L(2,12) = g1 g2, L(1,14) = g0 g4, L(1,15) = 0");
    locus_workspace_free(ws);

    /* 3-D impulse: L = g[dz] g[dy] g[dx] */
    static double vol[9][9][9], zvol[9][9][9];
    vol[4][4][4] = 1;
    vol[0][8][0] = 1; /* a corner: its taps reach (3, 5, 3) but not the centre's */
    img = make_image(vol, LOCUS_F64, 3, 9, 9, 9);
    ws = planned(&p, &img);
    locus_preprocess_bandpass(ws, vol, zvol, &mx);
    g = ws->pl.gauss[2];
    exact = 1;
    for (int z = 0; z < 9; z++)
        for (int y = 0; y < 9; y++)
            for (int x = 0; x < 9; x++) {
                int dz = abs(z - 4), dy = abs(y - 4), dx = abs(x - 4);
                double want = g[dz] * g[dy] * g[dx];
                int cz = z, cy = abs(y - 8), cx = x;
                if (cz <= 4 && cy <= 4 && cx <= 4)
                    want = want + g[cz] * g[cy] * g[cx];
                double got = ws->lp[(z * 9 + y) * 9 + x];
                if (!(cz <= 4 && cy <= 4 && cx <= 4))
                    exact &= got == want;
                else
                    exact &= fabs(got - want) <= 1e-16;
            }
    CHECK(exact, "3-D: low pass of two impulses is the sum of the tap products");
    locus_workspace_free(ws);
}

/* Naive taps: exp(-k^2 / (2 sigma^2)) / their sum, k = -w..w. */
static void naive_taps(double sigma, double *g, int *w)
{
    *w = (int)(4 * sigma + 0.5);
    double s = 0;
    for (int k = -*w; k <= *w; k++)
        s += exp(-(double)(k * k) / (2 * sigma * sigma));
    for (int k = 0; k <= *w; k++)
        g[k] = exp(-(double)(k * k) / (2 * sigma * sigma)) / s;
}

static void test_bandpass_by_hand(void)
{
    /* uint8 11x11, 100 at (5,5), diameter 3 (smoothing 3), sigma 1,
     * threshold 1 (the integer default).
     * B: y pass puts trunc(100/3) = 33 at rows 4..6 of column 5; x pass
     * gives trunc(33/3) = 11 on the 3x3 block around (5,5), 0 elsewhere.
     * L = 100 g[|dy|] g[|dx|] with g0 = 0.398943, g1 = 0.241972,
     * g2 = 0.053991, g3 = 0.004432:
     *   (5,5): 100 g0 g0 = 15.9155 - 11 = 4.9155 -> kept
     *   (5,6): 100 g0 g1 = 9.6532 - 11 < 1 -> 0
     *   (4,4): 100 g1 g1 = 5.8550 - 11 < 1 -> 0
     *   (5,7): 100 g0 g2 = 2.1539 - 0 -> kept
     *   (4,7): 100 g1 g2 = 1.3064 - 0 -> kept
     *   (3,7): 100 g2 g2 = 0.2915 < 1 -> 0
     *   (5,8): 100 g0 g3 = 0.1768 < 1 -> 0 */
    static uint8_t im[11][11];
    im[5][5] = 100;
    locus_image img = make_image(im, LOCUS_U8, 2, 11, 11, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    const void *bg;
    double mx, g[16];
    int w;
    naive_taps(1.0, g, &w);
    locus_preprocess_boxcar(ws, im, &bg);
    const uint8_t *b = bg;
    CHECK(b[5 * 11 + 5] == 11 && b[4 * 11 + 4] == 11 && b[6 * 11 + 6] == 11 && b[5 * 11 + 7] == 0 &&
              b[3 * 11 + 5] == 0,
          "impulse background: 11 on the 3x3 block, 0 outside");
    locus_preprocess_bandpass(ws, im, bg, &mx);
    const double *bp = ws->lp;
    CHECK_NEAR(bp[5 * 11 + 5], 100 * g[0] * g[0] - 11, 1e-12, "bp(5,5) = 100 g0^2 - 11");
    CHECK_NEAR(bp[5 * 11 + 5], 4.9155, 1e-4, "bp(5,5) ~ 4.9155");
    CHECK(bp[5 * 11 + 6] == 0, "bp(5,6) = 9.65 - 11 -> 0");
    CHECK(bp[4 * 11 + 4] == 0, "bp(4,4) = 5.86 - 11 -> 0");
    CHECK_NEAR(bp[5 * 11 + 7], 100 * g[0] * g[2], 1e-12, "bp(5,7) = 100 g0 g2");
    CHECK_NEAR(bp[4 * 11 + 7], 100 * g[1] * g[2], 1e-12, "bp(4,7) = 100 g1 g2");
    CHECK(bp[3 * 11 + 7] == 0, "bp(3,7) = 0.29 < 1 -> 0");
    CHECK(bp[5 * 11 + 8] == 0, "bp(5,8) = 0.18 < 1 -> 0");
    CHECK_NEAR(mx, 100 * g[0] * g[0] - 11, 1e-12, "bp max at the impulse");
    int kept = 0;
    for (int i = 0; i < 121; i++)
        kept += bp[i] != 0;
    /* kept: (5,5); (5,+-2) and (+-2,5): 4; (4,7)-type (|dy|,|dx|) = (1,2)
     * or (2,1): 8 -> 13 */
    CHECK(kept == 13, "13 non-zero bp pixels (got %d)", kept);
    locus_workspace_free(ws);
}

/*
 * The float form of the band pass (2-D uint8/uint16) against the exact
 * bp: every float is the rounding of the oracle's double, the maximum
 * is the doubles', the band pass at one pixel gives the oracle's value
 * at every pixel, and the I made from the floats equals the I of the
 * doubles, unsettled pixels included.
 */
static void check_bandpass_f32(locus_workspace *ws, const void *raw, const double *want,
                               double omax, const char *what)
{
    const plan *pl = &ws->pl;
    size_t n = pl->npix, nx = pl->shape[2], bad = 0, bad_at = 0, bad_i = 0;
    double mx, scale;
    const void *Iv;
    int settled;
    CHECK(locus_preprocess_bandpass_f32(ws, raw, &mx) == LOCUS_OK, "%s: float band pass runs",
          what);
    const float *f = (const float *)(const void *)ws->lp;
    for (size_t i = 0; i < n; i++) {
        bad += f[i] != (float)want[i];
        bad_at += locus_preprocess_bandpass_at(pl, raw, i / nx, i % nx) != want[i];
    }
    CHECK(bad == 0 && mx == omax, "%s: float bp is the rounded exact bp (%zu differ, max %.17g)",
          what, bad, mx);
    CHECK(bad_at == 0, "%s: bp at one pixel equals the oracle everywhere (%zu differ)", what,
          bad_at);
    CHECK(locus_scale_to_integer_f32(ws, raw, mx, &scale, &Iv, &settled) == LOCUS_OK && settled,
          "%s: I from the float bp settles", what);
    double maxval = locus_dtype_max(pl->dtype), s = mx > 0 ? maxval / mx : 1.0;
    for (size_t i = 0; i < n; i++) {
        double v = want[i] > 0 ? want[i] : 0.0;
        double got = pl->itype == LOCUS_U8 ? ((const uint8_t *)Iv)[i] : ((const uint16_t *)Iv)[i];
        bad_i += got != trunc(s * v);
    }
    CHECK(scale == s && bad_i == 0, "%s: I from the float bp is exact (%zu differ, %zu unsettled)",
          what, bad_i, ws->bp_unsettled);
    /* the non-zero bits made with I (§9 starts from them) */
    size_t bad_bits = 0, nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        int set = ws->nonzero[i / 64] >> (i % 64) & 1;
        int nz = pixel_get(Iv, pl->itype, i) != 0;
        bad_bits += set != nz;
        nonzero += nz;
    }
    CHECK(bad_bits == 0, "%s: the non-zero bits made with I are I's (%zu differ, %zu of %zu set)",
          what, bad_bits, nonzero, n);
    /* the threshold from the sample taken as I was made, and from I */
    double t_made, t_again;
    size_t n_made, n_again;
    locus_maxima_threshold(ws, Iv, 1, &t_made, &n_made);
    locus_maxima_threshold(ws, Iv, 0, &t_again, &n_again);
    CHECK(t_made == t_again && n_made == n_again,
          "%s: the threshold from the sample made with I (%.17g of %zu) is I's own (%.17g of %zu)",
          what, t_made, n_made, t_again, n_again);
}

/* Whole band pass of random images against the oracles: exact. */
static void bandpass_vs_oracle(locus_dtype t, int nd, const size_t shape[3], const double smooth[3],
                               const double noise[3], double threshold, const char *what)
{
    size_t sh[3] = {1, 1, 1};
    for (int a = 0; a < nd; a++)
        sh[3 - nd + a] = shape[a];
    size_t n = sh[0] * sh[1] * sh[2], es = locus_dtype_size(t);
    unsigned char *buf = malloc(n * es);
    double *bgr = malloc(n * sizeof *bgr), *lp = malloc(n * sizeof *lp);
    for (size_t i = 0; i < n; i++) {
        double v;
        if (t == LOCUS_U8) {
            v = (double)(rng() % 4 ? rng() % 40 : rng() % 256);
            ((uint8_t *)buf)[i] = (uint8_t)v;
        } else if (t == LOCUS_U16) {
            v = (double)(rng() % 5000);
            ((uint16_t *)buf)[i] = (uint16_t)v;
        } else if (t == LOCUS_F32) {
            v = (double)(rng() % 257) / 256.0;
            ((float *)buf)[i] = (float)v;
        } else {
            v = (double)(rng() % 257) / 256.0;
            ((double *)buf)[i] = v;
        }
        bgr[i] = lp[i] = v;
    }
    locus_image img = make_image(buf, t, nd, shape[0], shape[1], shape[2]);
    locus_params p = params_d(3);
    p.threshold = threshold;
    p.smoothing_size.count = p.noise_size.count = nd;
    for (int a = 0; a < nd; a++) {
        p.smoothing_size.v[a] = smooth[a];
        p.noise_size.v[a] = noise[a];
    }
    locus_workspace *ws = planned(&p, &img);
    if (!ws)
        return;
    const plan *pl = &ws->pl;
    for (int a = 0; a < 3; a++) {
        if (pl->smoothing[a] > 1)
            oracle_box_pass(bgr, sh, a, pl->smoothing[a], t);
        if (pl->gauss[a])
            oracle_gauss_pass(lp, sh, a, pl->gauss[a], pl->gauss_w[a]);
    }
    double thr = isnan(threshold) ? (t == LOCUS_U8 || t == LOCUS_U16 ? 1 : 1 / 255.) : threshold;
    double omax = -INFINITY, at = NAN;
    size_t pick = n;
    for (size_t i = 0; i < n; i++) {
        double v = lp[i] - bgr[i];
        if (pick == n && v > thr && i % sh[2] < 16) /* in the first vector of its row */
            pick = i, at = v;
        lp[i] = v < thr ? 0 : v;
        omax = lp[i] > omax ? lp[i] : omax;
    }
    const void *bg;
    double mx;
    locus_preprocess_boxcar(ws, buf, &bg);
    locus_preprocess_bandpass(ws, buf, bg, &mx);
    size_t bad = 0, nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        bad += ws->lp[i] != lp[i];
        nonzero += lp[i] != 0;
    }
    CHECK(bad == 0, "%s: bp equals the oracle exactly (%zu of %zu differ, %zu non-zero)", what, bad,
          n, nonzero);
    CHECK(mx == omax, "%s: bp max %.17g == %.17g", what, mx, omax);
    CHECK(nonzero > 0 && nonzero < n, "%s: test has both kept and zeroed pixels", what);
    if (pick < n) { /* a pixel exactly at the threshold is kept (bp >= threshold) */
        ws->pl.threshold = at;
        locus_preprocess_bandpass(ws, buf, bg, &mx);
        CHECK(ws->lp[pick] == at, "%s: a pixel equal to the threshold is kept (%.17g, want %.17g)",
              what, ws->lp[pick], at);
        ws->pl.threshold = thr;
    }
    if (nd == 2) { /* the boxcar made row by row inside the band pass */
        memset(ws->lp, 0, n * sizeof *ws->lp);
        CHECK(locus_preprocess_bandpass(ws, buf, NULL, &mx) == LOCUS_OK, "%s: streamed runs", what);
        bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += ws->lp[i] != lp[i];
        CHECK(bad == 0 && mx == omax,
              "%s: with the background streamed, bp equals the oracle exactly (%zu differ, max "
              "%.17g)",
              what, bad, mx);
    }
    if (locus_bandpass_f32_applies(pl))
        check_bandpass_f32(ws, buf, lp, omax, what);
    locus_workspace_free(ws);
    free(buf);
    free(bgr);
    free(lp);
}

static void test_bandpass_random(void)
{
    size_t s2[3] = {17, 23, 0}, s3[3] = {7, 9, 12}, tall[3] = {30, 4, 0};
    double sm5[3] = {5, 5, 5}, no1[3] = {1, 1, 1};
    double sm2a[3] = {3, 7, 0}, no2a[3] = {1, 1.5, 0};
    double sm3a[3] = {1, 5, 1}, no3a[3] = {0.7, 1.3, 0};
    boxcar_vs_oracle(LOCUS_U8, 2, s2, sm5, no1, "uint8 17x23 smoothing 5");
    bandpass_vs_oracle(LOCUS_U8, 2, s2, sm5, no1, NAN, "uint8 2-D sigma 1");
    bandpass_vs_oracle(LOCUS_U8, 2, s2, sm2a, no2a, NAN, "uint8 2-D aniso");
    bandpass_vs_oracle(LOCUS_U16, 2, tall, sm2a, no2a, 2, "uint16 30x4 threshold 2");
    bandpass_vs_oracle(LOCUS_F32, 2, s2, sm5, no1, NAN, "float32 2-D");
    bandpass_vs_oracle(LOCUS_F64, 3, s3, sm3a, no3a, 0.01, "float64 3-D aniso, no x sigma");
    bandpass_vs_oracle(LOCUS_U8, 3, s3, sm5, no1, NAN, "uint8 3-D");
    /* the streamed background without an x or a y boxcar, and with a
     * uint8 window too wide for 16-bit sums */
    uint64_t later = rng_state;
    size_t wide[3] = {12, 300, 0};
    double sm_x[3] = {1, 5, 0}, no_x[3] = {0.5, 1, 0}, sm_y[3] = {5, 1, 0}, no_y[3] = {1, 0.5, 0};
    double sm_w[3] = {3, 261, 0}, no_w[3] = {1, 1, 0};
    bandpass_vs_oracle(LOCUS_U8, 2, s2, sm_x, no_x, NAN, "uint8 2-D, x boxcar only");
    bandpass_vs_oracle(LOCUS_U8, 2, s2, sm_y, no_y, NAN, "uint8 2-D, y boxcar only");
    bandpass_vs_oracle(LOCUS_U8, 2, wide, sm_w, no_w, NAN, "uint8 2-D, x window 261");
    bandpass_vs_oracle(LOCUS_U16, 2, s2, sm2a, no2a, NAN, "uint16 2-D aniso");
    bandpass_vs_oracle(LOCUS_F64, 2, s2, sm_y, no_y, 0.01, "float64 2-D, y boxcar only");
    /* every w the fixed forms take (1 .. 8) on one axis or the other, and
     * the general sums' w 12 */
    size_t mid[3] = {40, 61, 0};
    double sm_f[3] = {3, 5, 0}, no_f1[3] = {0.25, 1.75, 0}, no_f2[3] = {2, 3, 0},
           no_f3[3] = {1.75, 0.25, 0};
    bandpass_vs_oracle(LOCUS_U8, 2, mid, sm_f, no_f1, NAN, "uint8 2-D, w 1 and 7");
    bandpass_vs_oracle(LOCUS_U16, 2, mid, sm_f, no_f2, NAN, "uint16 2-D, w 8 and 12");
    bandpass_vs_oracle(LOCUS_U16, 2, mid, sm_f, no_f3, NAN, "uint16 2-D, w 7 and 1");
    /* rows wide enough for the y pass straight from the frame's rows
     * (a ring of doubles over GAUSS_DIRECT_MIN_RING), odd and even heights */
    size_t wide16[3] = {9, 1700, 0}, wide8[3] = {12, 2100, 0};
    bandpass_vs_oracle(LOCUS_U16, 2, wide16, sm5, no1, NAN, "uint16 9x1700, y pass from the rows");
    bandpass_vs_oracle(LOCUS_U8, 2, wide8, sm2a, no2a, NAN, "uint8 12x2100, y pass from the rows");
    /* Gaussians wider than the register-blocked sums take (w > 32) */
    size_t big[3] = {41, 90, 0};
    double sm_b[3] = {19, 21, 0}, no_b[3] = {8.5, 8.2, 0};
    bandpass_vs_oracle(LOCUS_U16, 2, big, sm_b, no_b, NAN, "uint16 2-D, w 34 and 33");
    /* frames large enough for the threshold's sample (256 non-zero pixels) */
    size_t large8[3] = {300, 410, 0}, large16[3] = {257, 333, 0};
    bandpass_vs_oracle(LOCUS_U8, 2, large8, sm5, no1, NAN, "uint8 300x410");
    bandpass_vs_oracle(LOCUS_U16, 2, large16, sm2a, no2a, NAN, "uint16 257x333");
    rng_state = later;
}

/* ------------------------------------------------------------------ */
/* Invert and the raw copy                                             */
/* ------------------------------------------------------------------ */

static void test_invert(void)
{
    locus_params p = params_d(3);
    p.invert = 1;
    const void *raw;
    locus_error err;

    static const uint8_t u8[2][2] = {{0, 1}, {100, 255}};
    locus_image img = make_image(u8, LOCUS_U8, 2, 2, 2, 0);
    locus_workspace *ws = planned(&p, &img);
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_OK, "invert uint8 runs");
    const uint8_t *r8 = raw;
    /* 255 - v: 255, 254, 155, 0 */
    CHECK(r8[0] == 255 && r8[1] == 254 && r8[2] == 155 && r8[3] == 0,
          "invert uint8: 255 - v (%d %d %d %d)", r8[0], r8[1], r8[2], r8[3]);
    CHECK(u8[0][0] == 0 && u8[1][1] == 255, "invert leaves the caller's pixels alone");
    locus_workspace_free(ws);

    static const uint16_t u16[2][2] = {{0, 1}, {1000, 65535}};
    img = make_image(u16, LOCUS_U16, 2, 2, 2, 0);
    ws = planned(&p, &img);
    locus_preprocess_raw(ws, &img, &raw, &err);
    const uint16_t *r16 = raw;
    /* 65535 - v: 65535, 65534, 64535, 0 */
    CHECK(r16[0] == 65535 && r16[1] == 65534 && r16[2] == 64535 && r16[3] == 0,
          "invert uint16: 65535 - v (%d %d %d %d)", r16[0], r16[1], r16[2], r16[3]);
    locus_workspace_free(ws);

    static const float f32[2][2] = {{0, 0.25f}, {1, 1.5f}};
    img = make_image(f32, LOCUS_F32, 2, 2, 2, 0);
    ws = planned(&p, &img);
    locus_preprocess_raw(ws, &img, &raw, &err);
    const float *rf = raw;
    /* 1 - v: 1, 0.75, 0, -0.5 */
    CHECK(rf[0] == 1 && rf[1] == 0.75f && rf[2] == 0 && rf[3] == -0.5f,
          "invert float32: 1 - v (%g %g %g %g)", rf[0], rf[1], rf[2], rf[3]);
    locus_workspace_free(ws);

    static const double f64[2][2] = {{0, 0.1}, {1, -2}};
    img = make_image(f64, LOCUS_F64, 2, 2, 2, 0);
    ws = planned(&p, &img);
    locus_preprocess_raw(ws, &img, &raw, &err);
    const double *rd = raw;
    CHECK(rd[0] == 1 && rd[1] == 1 - 0.1 && rd[2] == 0 && rd[3] == 3,
          "invert float64: 1 - v (%g %g %g %g)", rd[0], rd[1], rd[2], rd[3]);
    locus_workspace_free(ws);

    /* without invert a contiguous image is used in place */
    p.invert = 0;
    img = make_image(u16, LOCUS_U16, 2, 2, 2, 0);
    ws = planned(&p, &img);
    locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(raw == (const void *)u16, "no invert, contiguous: the caller's pixels are used");
    locus_workspace_free(ws);
}

static void test_strided(void)
{
    enum { NY = 5, NX = 6 };
    locus_params p = params_d(3);
    locus_error err;
    const void *raw;
    /* logical image v(y, x) = 1000 y + 7 x + 1 */
    uint16_t want[NY][NX];
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++)
            want[y][x] = (uint16_t)(1000 * y + 7 * x + 1);

    /* every other column of a 5x12 buffer */
    uint16_t wide[NY][2 * NX];
    memset(wide, 0xEE, sizeof wide);
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++)
            wide[y][2 * x] = want[y][x];
    locus_image img = make_image(wide, LOCUS_U16, 2, NY, NX, 0);
    img.strides[0] = (ptrdiff_t)sizeof wide[0];
    img.strides[1] = 2 * (ptrdiff_t)sizeof(uint16_t);
    locus_workspace *ws = planned(&p, &img);
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_OK, "strided image copies");
    CHECK(memcmp(raw, want, sizeof want) == 0, "every other column: same as contiguous");

    /* rows in reverse order: negative row stride */
    uint16_t flipped[NY][NX];
    for (int y = 0; y < NY; y++)
        memcpy(flipped[NY - 1 - y], want[y], sizeof want[y]);
    img = make_image(flipped[NY - 1], LOCUS_U16, 2, NY, NX, 0);
    img.strides[0] = -(ptrdiff_t)sizeof flipped[0];
    locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(memcmp(raw, want, sizeof want) == 0, "negative row stride: same as contiguous");

    /* columns reversed: negative column stride */
    uint16_t mirror[NY][NX];
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++)
            mirror[y][NX - 1 - x] = want[y][x];
    img = make_image(&mirror[0][NX - 1], LOCUS_U16, 2, NY, NX, 0);
    img.strides[1] = -(ptrdiff_t)sizeof(uint16_t);
    locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(memcmp(raw, want, sizeof want) == 0, "negative column stride: same as contiguous");

    /* a transposed view: image(y, x) = t[x][y] */
    uint16_t tr[NX][NY];
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < NX; x++)
            tr[x][y] = want[y][x];
    img = make_image(tr, LOCUS_U16, 2, NY, NX, 0);
    img.strides[0] = (ptrdiff_t)sizeof(uint16_t);
    img.strides[1] = (ptrdiff_t)sizeof tr[0];
    locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(memcmp(raw, want, sizeof want) == 0, "transposed view: same as contiguous");
    locus_workspace_free(ws);

    /* strided and inverted (uint8): 255 - v */
    uint8_t w8[NY][2 * NX], want8[NY][NX];
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < 2 * NX; x++) {
            w8[y][x] = (uint8_t)(y * 40 + x);
            if (x % 2 == 1)
                want8[y][x / 2] = (uint8_t)(255 - w8[y][x]);
        }
    img = make_image(&w8[0][1], LOCUS_U8, 2, NY, NX, 0);
    img.strides[0] = 2 * NX;
    img.strides[1] = 2;
    p.invert = 1;
    ws = planned(&p, &img);
    locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(memcmp(raw, want8, sizeof want8) == 0, "strided and inverted uint8");
    locus_workspace_free(ws);
    p.invert = 0;

    /* 3-D: a (z, y, x) view of a buffer stored as [y][x][z] */
    enum { NZ = 3 };
    float buf[NY][NX][NZ], want3[NZ][NY][NX];
    for (int z = 0; z < NZ; z++)
        for (int y = 0; y < NY; y++)
            for (int x = 0; x < NX; x++)
                buf[y][x][z] = want3[z][y][x] = (float)(z * 100 + y * 10 + x) / 8.0f;
    img = make_image(buf, LOCUS_F32, 3, NZ, NY, NX);
    img.strides[0] = sizeof(float);
    img.strides[1] = (ptrdiff_t)sizeof buf[0];
    img.strides[2] = (ptrdiff_t)sizeof buf[0][0];
    ws = planned(&p, &img);
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_OK, "3-D permuted view copies");
    CHECK(memcmp(raw, want3, sizeof want3) == 0, "3-D permuted view: same as contiguous");
    locus_workspace_free(ws);
}

static void test_nonfinite(void)
{
    locus_params p = params_d(3);
    locus_error err;
    const void *raw;
    float f[4][4] = {{0}};
    f[2][1] = NAN;
    locus_image img = make_image(f, LOCUS_F32, 2, 4, 4, 0);
    locus_workspace *ws = planned(&p, &img);
    memset(&err, 0, sizeof err);
    int rc = locus_preprocess_raw(ws, &img, &raw, &err);
    CHECK(rc == LOCUS_E_FORMAT && err.status == LOCUS_E_FORMAT, "NaN in float32: LOCUS_E_FORMAT");
    f[2][1] = INFINITY;
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_E_FORMAT,
          "inf in float32: LOCUS_E_FORMAT");
    locus_workspace_free(ws);

    double d[4][8] = {{0}};
    d[3][6] = NAN; /* seen through a strided view (even columns) */
    img = make_image(d, LOCUS_F64, 2, 4, 4, 0);
    img.strides[1] = 2 * sizeof(double);
    img.strides[0] = sizeof d[0];
    ws = planned(&p, &img);
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_E_FORMAT,
          "NaN in a strided float64 view: LOCUS_E_FORMAT");
    d[3][6] = 0;
    d[3][7] = NAN; /* in a column the view skips */
    CHECK(locus_preprocess_raw(ws, &img, &raw, &err) == LOCUS_OK,
          "NaN outside the view is not seen");
    locus_workspace_free(ws);

    /* through locus_locate */
    float big[16][16] = {{0}};
    big[8][8] = NAN;
    img = make_image(big, LOCUS_F32, 2, 16, 16, 0);
    ws = locus_workspace_create();
    locus_table *t = locus_table_create();
    CHECK(locus_locate(ws, &p, &img, t, &err) == LOCUS_E_FORMAT,
          "locus_locate: NaN pixel -> LOCUS_E_FORMAT (%s)", err.message);
    locus_table_free(t);
    locus_workspace_free(ws);
}

/* §4: I = trunc(scale * max(bp, 0)), scale = maxval / max(bp). */
/*
 * Whole blocks and the vector lanes: a uint8 and a uint16 frame of
 * 3000 bp values (negative, -0, zero, values whose scaled product lands
 * on or next to an integer, and the maximum) against the scalar formula
 * trunc(scale * max(v, 0)), every pixel.
 */
static void test_scale_blocks(void)
{
    enum { NY = 30, NX = 100, N = NY * NX };
    static uint8_t im8[N];
    static uint16_t im16[N];
    for (int wide = 0; wide < 2; wide++) {
        locus_image img =
            make_image(wide ? (void *)im16 : im8, wide ? LOCUS_U16 : LOCUS_U8, 2, NY, NX, 0);
        locus_params p = params_d(3);
        locus_workspace *ws = planned(&p, &img);
        locus_mem_reserve((void **)&ws->lp, &ws->lp_cap, N * sizeof(double));
        double maxval = wide ? 65535 : 255, bp_max = 7.25, s = maxval / bp_max;
        static double bp[N];
        for (int i = 0; i < N; i++) {
            uint64_t r = rng();
            switch (r % 6) {
            case 0:
                bp[i] = -(double)(r >> 40) / 1e6; /* negative */
                break;
            case 1:
                bp[i] = i % 2 ? -0.0 : 0.0;
                break;
            case 2: /* scaled onto an integer, and its neighbours */
                bp[i] = nextafter((double)((r >> 20) % (uint64_t)maxval) / s, (double)(r % 3) - 1);
                break;
            default:
                bp[i] = (double)(r >> 11) / 9007199254740992.0 * bp_max;
                break;
            }
        }
        bp[N / 2] = bp_max;
        memcpy(ws->lp, bp, sizeof bp);
        double scale;
        const void *Iv;
        locus_scale_to_integer(ws, bp_max, &scale, &Iv);
        size_t bad = 0;
        for (int i = 0; i < N; i++) {
            double v = bp[i] > 0 ? bp[i] : 0.0;
            double want = wide ? (double)(uint16_t)(s * v) : (double)(uint8_t)(s * v);
            double got = wide ? ((const uint16_t *)Iv)[i] : ((const uint8_t *)Iv)[i];
            bad += got != want;
        }
        CHECK(scale == s && bad == 0,
              "%s: I of %d values equals trunc(scale * max(v, 0)) (%zu differ)",
              wide ? "uint16" : "uint8", N, bad);
        locus_workspace_free(ws);
    }
}

/*
 * Pixels the float bp cannot settle. A periodic pattern of equal spikes
 * gives every spike's peak the same bp, the maximum, so scale * bp is
 * 65535 there give or take the float's rounding: each peak is unsettled.
 * One spike in 16x16 pixels stays under the limit (the peaks are made
 * from the exact bp); one in 4x4 goes over it, and the frame's bp is
 * made in doubles instead. Either way I (which locate leaves in ws->lp)
 * is the I of the double band pass.
 */
static void spikes_vs_doubles(size_t period, int over)
{
    enum { NY = 1024, NX = 1024, N = NY * NX };
    uint16_t *im = calloc(N, sizeof *im);
    for (size_t y = 0; y < NY; y++)
        for (size_t x = 0; x < NX; x++)
            im[y * NX + x] =
                (uint16_t)(y % period == 1 && x % period == 2 ? 50000 : 7 + (x + y) % 3);
    locus_image img = make_image(im, LOCUS_U16, 2, NY, NX, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img), *ref = planned(&p, &img);
    locus_table *t = locus_table_create();
    locus_error err;
    double mx, scale;
    const void *want;
    locus_preprocess_bandpass(ref, im, NULL, &mx);
    locus_scale_to_integer(ref, mx, &scale, &want);
    CHECK(locus_locate(ws, &p, &img, t, &err) == LOCUS_OK, "spikes every %zu: locate runs", period);
    size_t limit = N / BP_F32_UNSETTLED_SHARE + BP_F32_UNSETTLED_FLOOR;
    CHECK(over ? ws->bp_unsettled > limit : ws->bp_unsettled > 0 && ws->bp_unsettled <= limit,
          "spikes every %zu: %zu pixels unsettled (limit %zu)", period, ws->bp_unsettled, limit);
    CHECK(memcmp(ws->lp, want, N * sizeof *im) == 0, "spikes every %zu: I equals the doubles' I",
          period);
    locus_table_free(t);
    locus_workspace_free(ws);
    locus_workspace_free(ref);
    free(im);
}

static void test_scale_unsettled(void)
{
    spikes_vs_doubles(16, 0);
    spikes_vs_doubles(4, 1);
}

static void test_scale(void)
{
    static float im[2][3];
    locus_image img = make_image(im, LOCUS_F32, 2, 2, 3, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    locus_mem_reserve((void **)&ws->lp, &ws->lp_cap, 6 * sizeof(double));
    /* max 3: scale 255 / 3 = 85; 1.5 -> trunc(127.5) = 127, 0.01 -> 0,
     * 2.99 -> trunc(254.15) = 254, 0.5 -> trunc(42.5) = 42 */
    const double bp[6] = {0, 1.5, 3.0, 0.01, 2.99, 0.5};
    memcpy(ws->lp, bp, sizeof bp);
    double scale;
    const void *Iv;
    CHECK(locus_scale_to_integer(ws, 3.0, &scale, &Iv) == LOCUS_OK, "scale runs");
    const uint8_t *I = Iv;
    CHECK(scale == 85, "float image: I is uint8, scale 255 / 3 = 85 (got %g)", scale);
    CHECK(I[0] == 0 && I[1] == 127 && I[2] == 255 && I[3] == 0 && I[4] == 254 && I[5] == 42,
          "I = trunc(85 v): 0 127 255 0 254 42 (got %d %d %d %d %d %d)", I[0], I[1], I[2], I[3],
          I[4], I[5]);
    locus_workspace_free(ws);

    /* uint16 image: I is uint16, scale 65535 / 2 = 32767.5;
     * 1 -> trunc(32767.5) = 32767, 2 -> 65535, 0.5 -> trunc(16383.75) = 16383 */
    static uint16_t im16[2][3];
    img = make_image(im16, LOCUS_U16, 2, 2, 3, 0);
    ws = planned(&p, &img);
    locus_mem_reserve((void **)&ws->lp, &ws->lp_cap, 6 * sizeof(double));
    const double bp16[6] = {1, 2, 0.5, 0, 0, 1e-9};
    memcpy(ws->lp, bp16, sizeof bp16);
    locus_scale_to_integer(ws, 2.0, &scale, &Iv);
    const uint16_t *I16 = Iv;
    CHECK(scale == 32767.5 && I16[0] == 32767 && I16[1] == 65535 && I16[2] == 16383 && I16[5] == 0,
          "uint16: scale 32767.5, I = 32767 65535 16383 .. 0 (got %d %d %d %d)", I16[0], I16[1],
          I16[2], I16[5]);
    /* max 0: scale 1, I all 0 */
    memset(ws->lp, 0, 6 * sizeof(double));
    locus_scale_to_integer(ws, 0.0, &scale, &Iv);
    CHECK(scale == 1 && I16[0] == 0 && I16[1] == 0, "bp max 0: scale 1, I zero");
    locus_workspace_free(ws);
    test_scale_blocks();
}

/* The boxcar's divisions without a divide instruction, against C's
 * division: divide_u16 for every 16-bit sum and every width it serves
 * (uint8 windows up to 257 pixels) and, beyond, up to 1025; divide_exact
 * on the sums of uint16 windows, at both ends of the range and on
 * multiples of k and their neighbours. */
static void test_divisions(void)
{
    size_t wrong16 = 0, wrong32 = 0;
    int first_k = 0;
    for (int k = 2; k <= 1025; k++) {
        divisor d = divisor_of(k);
        for (uint32_t v = 0; v <= 0xFFFF; v++)
            if (divide_u16((uint16_t)v, &d) != v / (uint32_t)k) {
                wrong16++;
                first_k = first_k ? first_k : k;
            }
        int32_t top = 65535 * k;
        for (int32_t v = 0; v < 4096; v++) {
            int32_t probes[4] = {v, top - v, (v % 64) * k * 509 + v / 64 - 32, 0};
            for (int p = 0; p < 3; p++) {
                int32_t x = probes[p] < 0 ? 0 : probes[p] > top ? top : probes[p];
                wrong32 += divide_exact(x, &d) != x / k;
            }
        }
    }
    CHECK(wrong16 == 0,
          "divide_u16 equals s / k for every 16-bit s, k = 2..1025 (%zu wrong, first k %d)",
          wrong16, first_k);
    CHECK(wrong32 == 0, "divide_exact equals s / k on uint16 window sums, k = 2..1025 (%zu wrong)",
          wrong32);
}

/* divide_u16_row (vector lanes) against divide_u16 on every sum of a
 * uint8 window, for every width it serves, from varied start offsets and
 * with varied tail lengths. */
static void test_division_rows(void)
{
    static uint16_t sums[65536 + 64];
    static uint8_t got[65536 + 64];
    size_t wrong = 0;
    int first_k = 0;
    for (int k = 2; k <= 257; k++) {
        divisor d = divisor_of(k);
        size_t top = 255 * (size_t)k, off = (size_t)k % 64, n = top + 1 - (size_t)(k * 7 % 64);
        for (size_t i = 0; i < n; i++)
            sums[off + i] = (uint16_t)i;
        divide_u16_row(sums + off, got + off, n, &d);
        for (size_t i = 0; i < n; i++)
            if (got[off + i] != (uint8_t)divide_u16((uint16_t)i, &d)) {
                wrong++;
                first_k = first_k ? first_k : k;
            }
    }
    CHECK(wrong == 0,
          "divide_u16_row equals divide_u16 on every uint8 window sum, k = 2..257 (%zu wrong, "
          "first k %d)",
          wrong, first_k);
}

/* divide_f24 against C's division: every sum of a uint16 window for
 * some widths, and the ends of the range and the multiples of k and
 * their neighbours for every width up to 256. */
static void test_division_f24(void)
{
    static const int every[] = {2, 3, 7, 13, 127, 255, 256};
    size_t wrong = 0;
    for (size_t e = 0; e < sizeof every / sizeof *every; e++) {
        divisor d = divisor_of(every[e]);
        for (int32_t s = 0; s <= 65535 * every[e]; s++)
            wrong += divide_f24(s, &d) != s / every[e];
    }
    CHECK(wrong == 0,
          "divide_f24 equals s / k for every uint16 window sum, k in {2, 3, 7, 13, 127, 255, "
          "256} (%zu wrong)",
          wrong);
    wrong = 0;
    for (int k = 2; k <= 256; k++) {
        divisor d = divisor_of(k);
        int32_t top = 65535 * k;
        for (int32_t q = 0; q <= 65535; q += q < 512 || q > 65000 ? 1 : 97)
            for (int32_t dv = -1; dv <= 1; dv++) {
                int32_t s = q * k + dv;
                if (s >= 0 && s <= top)
                    wrong += divide_f24(s, &d) != s / k;
            }
    }
    CHECK(wrong == 0, "divide_f24 equals s / k near multiples of k, k = 2..256 (%zu wrong)", wrong);
    /* the row form (vector lanes, then a tail) on every sum of three
     * widths, and near multiples of every width, rows at odd offsets */
    enum { ROW = 65535 * 7 + 64 };
    int32_t *sums = malloc(ROW * sizeof *sums);
    uint16_t *got = malloc(ROW * sizeof *got);
    size_t row_wrong = 0;
    for (int k = 2; k <= 256; k++) {
        divisor d = divisor_of(k);
        size_t n = 0, off = (size_t)k % 13;
        if (k == 2 || k == 7 || k == 256 - 1)
            for (int32_t v = 0; v <= 65535 * k && n + off < ROW; v++)
                sums[off + n++] = v;
        else
            for (int32_t q = 0; q <= 65535; q += q < 300 || q > 65200 ? 1 : 211)
                for (int32_t dv = -1; dv <= 1; dv++)
                    if (q * k + dv >= 0 && q * k + dv <= 65535 * k)
                        sums[off + n++] = q * k + dv;
        n -= n % 16 ? 0 : 3; /* a tail */
        divide_f24_row(sums + off, got + off, n, &d);
        for (size_t i = 0; i < n; i++)
            row_wrong += got[off + i] != sums[off + i] / k;
    }
    CHECK(row_wrong == 0,
          "divide_f24_row equals s / k on every sum for k = 2, 7, 255 and near multiples for "
          "k = 2..256 (%zu wrong)",
          row_wrong);
    free(sums);
    free(got);
}

int main(void)
{
    test_divisions();
    test_division_rows();
    test_division_f24();
    test_boxcar_truncation();
    test_boxcar_edges();
    test_boxcar_random();
    test_boxcar_float32_type();
    test_taps();
    test_impulse();
    test_bandpass_by_hand();
    test_bandpass_random();
    test_invert();
    test_strided();
    test_nonfinite();
    test_scale();
    test_scale_unsettled();
    return check_done();
}

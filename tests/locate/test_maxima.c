/*
 * Candidate maxima (LOCATE.md §5): the percentile of the non-zero values
 * (NumPy's linear method, worked out by hand), the box maximum against a
 * brute-force triple loop, and the candidates: plateaus, margins, raster
 * order, the strict threshold, even boxes reaching one further up.
 */
#include "check.h"
#include "stage_helpers.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ------------------------------------------------------------------ */
/* Percentile                                                          */
/* ------------------------------------------------------------------ */

static void test_percentile(void)
{
    uint32_t h[256];
    size_t nz = 99;
    memset(h, 0, sizeof h);
    h[0] = 1000; /* zeros never count */
    h[1] = h[2] = h[3] = h[4] = 1;

    /* {1,2,3,4}, p = 64: virtual index 3 * 0.64 = 1.92, between v[1] = 2
     * and v[2] = 3, fraction 0.92 >= 0.5, so NumPy's _lerp computes from
     * the upper end: 3 - (3 - 2) * (1 - 0.92) = 2.92. */
    double t = locus_maxima_percentile(h, 256, 64, &nz);
    CHECK(nz == 4, "{1,2,3,4}: 4 non-zero values (got %zu)", nz);
    CHECK_NEAR(t, 2.92, 1e-12, "p64 of {1,2,3,4}");
    double vi = 3 * (64 / 100.0), fr = vi - floor(vi);
    CHECK(t == 3.0 - (3.0 - 2.0) * (1 - fr), "p64: the upper-end formula, bit for bit");

    /* p = 50: index 1.5, fraction 0.5 -> upper end: 3 - 1 * 0.5 = 2.5 */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 50, &nz), 2.5, 0, "p50 of {1,2,3,4}");
    /* p = 25: index 0.75 -> 2 - 1 * 0.25 = 1.75 */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 25, &nz), 1.75, 0, "p25 of {1,2,3,4}");
    /* p = 10: index 3 * 0.1 = 0.3 (0.30000000000000004), fraction < 0.5
     * -> lower end: 1 + 1 * 0.3 */
    t = locus_maxima_percentile(h, 256, 10, &nz);
    CHECK_NEAR(t, 1.3, 1e-12, "p10 of {1,2,3,4}");
    vi = 3 * (10 / 100.0);
    CHECK(t == 1.0 + (2.0 - 1.0) * (vi - floor(vi)), "p10: the lower-end formula, bit for bit");
    /* {1, 8}, p = 60: index 0.6, fraction >= 0.5: NumPy computes
     * 8 - 7 * (1 - 0.6) = 5.1999999999999993, while the lower-end form
     * 1 + 7 * 0.6 would give 5.2000000000000002: the two differ in the
     * last bit, so this pins the formula. */
    {
        uint32_t h2[256] = {0};
        h2[1] = h2[8] = 1;
        double up = 8.0 - 7.0 * (1 - 0.6), dn = 1.0 + 7.0 * 0.6;
        CHECK(up != dn, "{1,8} p60: the two interpolation forms differ (test is discriminating)");
        CHECK(locus_maxima_percentile(h2, 256, 60, &nz) == up,
              "p60 of {1,8}: upper-end form, 5.1999..93");
        /* p = 40: index 0.4 < 0.5: lower end, 1 + 7 * 0.4 */
        CHECK(locus_maxima_percentile(h2, 256, 40, &nz) == 1.0 + 7.0 * 0.4,
              "p40 of {1,8}: lower-end form 1 + 7 * 0.4");
    }
    /* p = 0 -> the smallest, p = 100 -> the largest */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 0, &nz), 1, 0, "p0 of {1,2,3,4}");
    CHECK_NEAR(locus_maxima_percentile(h, 256, 100, &nz), 4, 0, "p100 of {1,2,3,4}");

    /* repeated values: sorted 1,1,5,5; p50: index 1.5 between v[1] = 1
     * and v[2] = 5 -> 5 - 4 * 0.5 = 3 */
    memset(h, 0, sizeof h);
    h[1] = 2;
    h[5] = 2;
    CHECK_NEAR(locus_maxima_percentile(h, 256, 50, &nz), 3, 0, "p50 of {1,1,5,5}");
    /* p64: index 3 * 0.64 = 1.92 -> 5 - 4 * 0.08 = 4.68 */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 64, &nz), 4.68, 1e-12, "p64 of {1,1,5,5}");
    /* p30: index 0.9, both ranks hold 1 -> 1 */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 30, &nz), 1, 0, "p30 of {1,1,5,5}");

    /* many equal values then one large: 9 x {2}, 1 x {200}; p64: index
     * 9 * 0.64 = 5.76 -> ranks 5 and 6 both 2 -> 2 */
    memset(h, 0, sizeof h);
    h[2] = 9;
    h[200] = 1;
    CHECK_NEAR(locus_maxima_percentile(h, 256, 64, &nz), 2, 0, "p64 of {2 x9, 200}");
    /* p95: index 8.55 -> ranks 8 (2) and 9 (200): 200 - 198 * 0.45 = 110.9 */
    CHECK_NEAR(locus_maxima_percentile(h, 256, 95, &nz), 110.9, 1e-9, "p95 of {2 x9, 200}");

    /* a single value */
    memset(h, 0, sizeof h);
    h[7] = 1;
    CHECK_NEAR(locus_maxima_percentile(h, 256, 64, &nz), 7, 0, "p64 of {7}");
    CHECK(nz == 1, "{7}: 1 non-zero value");
    CHECK_NEAR(locus_maxima_percentile(h, 256, 100, &nz), 7, 0, "p100 of {7}");
    CHECK_NEAR(locus_maxima_percentile(h, 256, 0, &nz), 7, 0, "p0 of {7}");

    /* all zero */
    memset(h, 0, sizeof h);
    h[0] = 50;
    nz = 99;
    locus_maxima_percentile(h, 256, 64, &nz);
    CHECK(nz == 0, "all zero: 0 non-zero values");

    /* uint16 range: {1000, 65535}, p64: index 0.64 -> 65535 - 64535 * 0.36 */
    static uint32_t h16[65536];
    h16[1000] = 1;
    h16[65535] = 1;
    CHECK_NEAR(locus_maxima_percentile(h16, 65536, 64, &nz), 65535 - 64535 * (1 - 0.64), 1e-9,
               "p64 of {1000, 65535}");
    CHECK(nz == 2, "uint16 histogram: 2 non-zero values");
}

/* ------------------------------------------------------------------ */
/* Box maximum                                                         */
/* ------------------------------------------------------------------ */

/* Brute force: the max over i - lo .. i + hi per axis (odd k: lo = hi =
 * (k-1)/2; even k: lo = k/2 - 1, hi = k/2), outside counting as 0. */
static void brute_box_max(const double *in, double *out, const size_t sh[3], const int k[3])
{
    int lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = k[a] % 2 ? (k[a] - 1) / 2 : k[a] / 2 - 1;
        hi[a] = k[a] % 2 ? (k[a] - 1) / 2 : k[a] / 2;
    }
    for (ptrdiff_t z = 0; z < (ptrdiff_t)sh[0]; z++)
        for (ptrdiff_t y = 0; y < (ptrdiff_t)sh[1]; y++)
            for (ptrdiff_t x = 0; x < (ptrdiff_t)sh[2]; x++) {
                double m = 0;
                for (ptrdiff_t c = z - lo[0]; c <= z + hi[0]; c++)
                    for (ptrdiff_t b = y - lo[1]; b <= y + hi[1]; b++)
                        for (ptrdiff_t a = x - lo[2]; a <= x + hi[2]; a++) {
                            if (c < 0 || b < 0 || a < 0 || c >= (ptrdiff_t)sh[0] ||
                                b >= (ptrdiff_t)sh[1] || a >= (ptrdiff_t)sh[2])
                                continue;
                            double v = in[((size_t)c * sh[1] + (size_t)b) * sh[2] + (size_t)a];
                            m = v > m ? v : m;
                        }
                out[((size_t)z * sh[1] + (size_t)y) * sh[2] + (size_t)x] = m;
            }
}

/* want_box: the box sizes the separation gives, worked out by hand. */
static void box_vs_brute(locus_dtype t, int nd, const size_t shape[3], const double sep[3],
                         const int want_box[3], int sparse, const char *what)
{
    size_t sh[3] = {1, 1, 1};
    for (int a = 0; a < nd; a++)
        sh[3 - nd + a] = shape[a];
    size_t n = sh[0] * sh[1] * sh[2];
    void *buf = malloc(n * locus_dtype_size(t));
    double *in = malloc(n * sizeof *in), *want = malloc(n * sizeof *want);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng();
        double v = sparse && r % 5 ? 0 : (double)((r >> 8) % (t == LOCUS_U8 ? 256 : 65536));
        if (t == LOCUS_U8)
            ((uint8_t *)buf)[i] = (uint8_t)v;
        else
            ((uint16_t *)buf)[i] = (uint16_t)v;
        in[i] = v;
    }
    locus_image img = make_image(buf, t, nd, shape[0], shape[1], shape[2]);
    locus_params p = params_d(3);
    p.separation.count = nd;
    for (int a = 0; a < nd; a++)
        p.separation.v[a] = sep[a];
    locus_workspace *ws = planned(&p, &img);
    int k[3] = {1, 1, 1}, boxes_ok = 1;
    for (int a = 0; a < nd; a++) {
        k[3 - nd + a] = ws->pl.box[3 - nd + a];
        boxes_ok &= ws->pl.box[3 - nd + a] == want_box[a];
    }
    CHECK(boxes_ok, "%s: box sizes %d %d %d from the separation", what, k[0], k[1], k[2]);
    brute_box_max(in, want, sh, k);
    const void *D = NULL;
    CHECK(locus_maxima_box_max(ws, buf, &D) == LOCUS_OK, "%s: box max runs", what);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += pixel_get(D, t, i) != want[i];
    CHECK(bad == 0, "%s: equals the brute-force box maximum (%zu of %zu differ)", what, bad, n);
    /* I is left alone */
    size_t changed = 0;
    for (size_t i = 0; i < n; i++)
        changed += pixel_get(buf, t, i) != in[i];
    CHECK(changed == 0, "%s: I unchanged", what);
    locus_workspace_free(ws);
    free(buf);
    free(in);
    free(want);
}

static void test_box_max(void)
{
    /* 2-D: k = int(2 sep / sqrt 2) = int(1.41421 sep) */
    size_t s2[3] = {13, 17, 0}, small[3] = {5, 6, 0}, line[3] = {3, 40, 0};
    double a[3] = {3, 2.5, 0};   /* int(4.24) = 4, int(3.54) = 3 */
    double b[3] = {5, 4, 0};     /* int(7.07) = 7, int(5.66) = 5 */
    double c[3] = {2, 6, 0};     /* int(2.83) = 2, int(8.49) = 8 */
    double d[3] = {0.5, 6.5, 0}; /* int(0.71) = 0 -> 1, int(9.19) = 9 */
    int ka[3] = {4, 3}, kb[3] = {7, 5}, kc[3] = {2, 8}, kd[3] = {1, 9};
    box_vs_brute(LOCUS_U8, 2, s2, a, ka, 0, "uint8 2-D k (4,3)");
    box_vs_brute(LOCUS_U8, 2, s2, b, kb, 1, "uint8 2-D k (7,5) sparse");
    box_vs_brute(LOCUS_U8, 2, s2, c, kc, 0, "uint8 2-D k (2,8)");
    box_vs_brute(LOCUS_U8, 2, s2, d, kd, 1, "uint8 2-D k (1,9) sparse");
    box_vs_brute(LOCUS_U16, 2, s2, a, ka, 0, "uint16 2-D k (4,3)");
    box_vs_brute(LOCUS_U16, 2, s2, c, kc, 1, "uint16 2-D k (2,8) sparse");
    box_vs_brute(LOCUS_U8, 2, small, b, kb, 1, "uint8 5x6 k (7,5): box larger than the image");
    box_vs_brute(LOCUS_U16, 2, line, c, kc, 0, "uint16 3x40 k (2,8)");

    /* 3-D: k = int(2 sep / sqrt 3) = int(1.1547 sep) */
    size_t s3[3] = {7, 9, 11}, t3[3] = {4, 5, 13};
    double e[3] = {3.5, 5, 6};   /* int(4.04) = 4, int(5.77) = 5, int(6.93) = 6 */
    double f[3] = {2.6, 0.5, 3}; /* int(3.002) = 3, 0 -> 1, int(3.46) = 3 */
    double g[3] = {6, 2, 9};     /* int(6.93) = 6, int(2.31) = 2, int(10.39) = 10 */
    int ke[3] = {4, 5, 6}, kf[3] = {3, 1, 3}, kg[3] = {6, 2, 10};
    box_vs_brute(LOCUS_U8, 3, s3, e, ke, 0, "uint8 3-D k (4,5,6)");
    box_vs_brute(LOCUS_U8, 3, s3, f, kf, 1, "uint8 3-D k (3,1,3) sparse");
    box_vs_brute(LOCUS_U16, 3, s3, e, ke, 1, "uint16 3-D k (4,5,6) sparse");
    box_vs_brute(LOCUS_U16, 3, t3, g, kg, 0, "uint16 3-D k (6,2,10)");
    box_vs_brute(LOCUS_U8, 3, t3, g, kg, 1, "uint8 3-D k (6,2,10) sparse");

    /* every box 1 pixel: D is I */
    size_t s1[3] = {4, 4, 0};
    double tiny[3] = {0.5, 0.5, 0};
    int k1[3] = {1, 1};
    box_vs_brute(LOCUS_U8, 2, s1, tiny, k1, 0, "uint8 2-D k (1,1)");
}

/* A hand-checked even box: k = 4 spans i-1 .. i+2. */
static void test_even_box_by_hand(void)
{
    /* one row of 8 with a 9 at x = 3: the box max is 9 where
     * x - 1 <= 3 <= x + 2, i.e. x = 1..4 */
    static uint8_t im[3][8];
    im[1][3] = 9;
    locus_image img = make_image(im, LOCUS_U8, 2, 3, 8, 0);
    locus_params p = params_d(3);
    p.separation.count = 2;
    p.separation.v[0] = 0.5; /* k = 1 along y */
    p.separation.v[1] = 3;   /* k = int(4.24) = 4 along x */
    locus_workspace *ws = planned(&p, &img);
    const void *D;
    locus_maxima_box_max(ws, im, &D);
    const uint8_t *d = D;
    static const uint8_t want[8] = {0, 9, 9, 9, 9, 0, 0, 0};
    CHECK(memcmp(d + 8, want, 8) == 0, "k = 4: 9 at x = 3 reaches x = 1..4 (%d%d%d%d%d%d%d%d)",
          d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
    CHECK(d[3] == 0 && d[19] == 0, "k = 1 along y: other rows stay 0");
    locus_workspace_free(ws);
}

/* ------------------------------------------------------------------ */
/* Candidates                                                          */
/* ------------------------------------------------------------------ */

static void run_find(locus_workspace *ws, const void *I, int *blank)
{
    *blank = -1;
    CHECK(locus_maxima_find(ws, I, 0, blank, NULL) == LOCUS_OK, "locus_maxima_find runs");
}

/* A band sink that checks each hand-over: consecutive ranges from 0,
 * each already in ws->cand. */
typedef struct {
    size_t calls, next, bad;
} band_log;

static int log_band(void *user, locus_workspace *ws, size_t from, size_t to)
{
    band_log *b = user;
    b->calls++;
    b->bad += from != b->next || to <= from || to > ws->ncand;
    b->next = to;
    return LOCUS_OK;
}

static int cand_equal(const locus_workspace *ws, const size_t *want, size_t n)
{
    if (ws->ncand != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (ws->cand[i] != want[i])
            return 0;
    return 1;
}

static void test_candidates(void)
{
    enum { N = 15 };
    static uint8_t im[N][N];
    int blank;

    /* Plateau: (5,5), (5,6), (6,5) hold 9; ten 1s in row 12 (x 2..11).
     * Non-zero values: ten 1s and three 9s, n = 13; p64: index
     * 12 * 0.64 = 7.68, ranks 7 and 8 are both 1 -> t = 1. The 1s are
     * box maxima of their own row but not > 1. Diameter 3, separation 4:
     * box int(8 / 1.414) = 5, margin 1. */
    memset(im, 0, sizeof im);
    im[5][5] = im[5][6] = im[6][5] = 9;
    for (int x = 2; x < 12; x++)
        im[12][x] = 1;
    locus_image img = make_image(im, LOCUS_U8, 2, N, N, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.box[1] == 5 && ws->pl.margin[1] == 1, "diameter 3: box 5, margin 1");
    run_find(ws, im, &blank);
    size_t plateau[] = {5 * N + 5, 5 * N + 6, 6 * N + 5};
    CHECK(!blank, "plateau image is not blank");
    CHECK(cand_equal(ws, plateau, 3), "plateau: all three pixels, raster order (%zu found)",
          ws->ncand);
    locus_workspace_free(ws);

    /* Margins: diameter 3, smoothing 7 -> margin max(1, 1, 3) = 3, so
     * coordinates 3 .. 15 - 3 - 1 = 11 are kept. Peaks of 50 at
     * (2,7) drop, (3,7) keep, (7,11) keep, (7,12) drop, (11,3) keep,
     * (12,5) drop, (7,2) drop, (9,4) keep, (9,10) keep. Twenty 1s (row 0
     * and row 14, x 0..4) keep t = 1: n = 29, index 28 * 0.64 = 17.92,
     * ranks 17 and 18 are 1s. */
    memset(im, 0, sizeof im);
    int peaks[][2] = {{2, 7}, {3, 7}, {7, 11}, {7, 12}, {11, 3}, {12, 5}, {7, 2}, {9, 4}, {9, 10}};
    for (size_t i = 0; i < sizeof peaks / sizeof *peaks; i++)
        im[peaks[i][0]][peaks[i][1]] = 50;
    for (int x = 0; x < N; x++)
        im[0][x] = 1;
    for (int x = 0; x < 5; x++)
        im[14][x] = 1;
    p = params_d(3);
    p.smoothing_size.count = 1;
    p.smoothing_size.v[0] = 7;
    ws = planned(&p, &img);
    CHECK(ws->pl.margin[1] == 3 && ws->pl.margin[2] == 3, "smoothing 7: margin 3");
    run_find(ws, im, &blank);
    size_t kept[] = {3 * N + 7, 7 * N + 11, 9 * N + 4, 9 * N + 10, 11 * N + 3};
    CHECK(cand_equal(ws, kept, 5), "margins: 5 candidates inside, in raster order (%zu found)",
          ws->ncand);
    locus_workspace_free(ws);

    /* Strict threshold: isolated 2, 3, 4; p50 of {2,3,4}: index 1 -> t = 3
     * exactly, so 3 is not a candidate and 4 is. p49: index 0.98 ->
     * 3 - 1 * 0.02 = 2.98 -> 3 and 4 are. */
    memset(im, 0, sizeof im);
    im[3][3] = 2;
    im[7][7] = 3;
    im[11][11] = 4;
    p = params_d(3);
    p.percentile = 50;
    ws = planned(&p, &img);
    run_find(ws, im, &blank);
    size_t only4[] = {11 * N + 11};
    CHECK(cand_equal(ws, only4, 1), "p50: t = 3, only 4 > 3 (%zu found)", ws->ncand);
    locus_workspace_free(ws);
    p.percentile = 49;
    ws = planned(&p, &img);
    run_find(ws, im, &blank);
    size_t three4[] = {7 * N + 7, 11 * N + 11};
    CHECK(cand_equal(ws, three4, 2), "p49: t = 2.98, 3 and 4 (%zu found)", ws->ncand);
    locus_workspace_free(ws);
    p.percentile = 0; /* t = 2: 2 is not > 2 */
    ws = planned(&p, &img);
    run_find(ws, im, &blank);
    CHECK(cand_equal(ws, three4, 2), "p0: t = 2, 3 and 4 (%zu found)", ws->ncand);
    locus_workspace_free(ws);

    /* Even box (separation 3: k = int(4.24) = 4, span i-1 .. i+2; margin
     * max(1, floor(1.5) - 1 = 0, 1) = 1):
     *   (7,7) = 10 with (7,9) = 12 at +2: inside its box -> not a maximum
     *   (3,7) = 10 with (3,5) = 12 at -2: outside its box -> a maximum
     *   (11,4) = 10 with (9,4) = 12 at -2 on y: a maximum
     * and the 12s are maxima. Ones in row 0 keep t = 1 (n = 21, index
     * 12.8, ranks 12 and 13 are 1s). */
    memset(im, 0, sizeof im);
    im[7][7] = 10;
    im[7][9] = 12;
    im[3][7] = 10;
    im[3][5] = 12;
    im[11][4] = 10;
    im[9][4] = 12;
    for (int x = 0; x < N; x++)
        im[0][x] = 1;
    p = params_d(3);
    p.separation.count = 1;
    p.separation.v[0] = 3;
    ws = planned(&p, &img);
    CHECK(ws->pl.box[2] == 4 && ws->pl.margin[2] == 1, "separation 3: box 4, margin 1");
    run_find(ws, im, &blank);
    size_t even[] = {3 * N + 5, 3 * N + 7, 7 * N + 9, 9 * N + 4, 11 * N + 4};
    CHECK(cand_equal(ws, even, 5), "even box reaches one further up (%zu found)", ws->ncand);
    locus_workspace_free(ws);

    /* Blank: no non-zero pixel */
    memset(im, 0, sizeof im);
    p = params_d(3);
    ws = planned(&p, &img);
    run_find(ws, im, &blank);
    CHECK(blank == 1 && ws->ncand == 0, "all zero: blank, no candidates");
    /* the same workspace on a non-blank image afterwards */
    im[7][7] = 5;
    im[0][0] = 1;
    run_find(ws, im, &blank);
    size_t one[] = {7 * N + 7};
    CHECK(blank == 0 && cand_equal(ws, one, 1), "then a peak: not blank, 1 candidate");
    locus_workspace_free(ws);
}

static void test_candidates_u16_3d(void)
{
    /* uint16: values above 255. Peaks 1000 at (4,4) and 65535 at (10,10),
     * 300 at (4,10), 999 at (4,6); twenty 1s (row 14, and row 0 x 0..4).
     * n = 24, p64 index 23 * 0.64 = 14.72 -> ranks 14 and 15 are 1s, t = 1. */
    enum { N = 15 };
    static uint16_t im[N][N];
    im[4][4] = 1000;
    im[10][10] = 65535;
    im[4][10] = 300;
    im[4][6] = 999; /* inside the box of (4,4): not a maximum */
    for (int x = 0; x < N; x++)
        im[14][x] = 1;
    for (int x = 0; x < 5; x++)
        im[0][x] = 1;
    locus_image img = make_image(im, LOCUS_U16, 2, N, N, 0);
    locus_params p = params_d(3);
    locus_workspace *ws = planned(&p, &img);
    int blank;
    run_find(ws, im, &blank);
    size_t want[] = {4 * N + 4, 4 * N + 10, 10 * N + 10};
    CHECK(cand_equal(ws, want, 3), "uint16: 3 candidates (%zu found)", ws->ncand);
    locus_workspace_free(ws);

    /* 3-D uint8 9x9x9, diameter 3, separation 4: box int(8 / 1.732) = 4
     * (span -1 .. +2), margin 1 (kept 1 .. 7).
     *   (4,4,4) = 20, (4,4,6) = 30 at x+2: (4,4,4) not a maximum
     *   (1,1,1) = 20: kept; (0,4,4) = 40: in the margin, dropped
     *   (7,2,7) = 25: kept; (8,8,8) = 25: dropped
     * t: fifteen 1s in plane z = 0, row 8 -> n = 21, index 12.8 -> t = 1 */
    static uint8_t v[9][9][9];
    v[4][4][4] = 20;
    v[4][4][6] = 30;
    v[1][1][1] = 20;
    v[0][4][4] = 40;
    v[7][2][7] = 25;
    v[8][8][8] = 25;
    for (int x = 0; x < 9; x++)
        v[0][8][x] = 1;
    for (int x = 0; x < 6; x++)
        v[8][0][x] = 1;
    img = make_image(v, LOCUS_U8, 3, 9, 9, 9);
    ws = planned(&p, &img);
    CHECK(ws->pl.box[0] == 4 && ws->pl.box[2] == 4 && ws->pl.margin[0] == 1,
          "3-D: box 4, margin 1");
    run_find(ws, v, &blank);
    size_t want3[] = {(1 * 9 + 1) * 9 + 1, (4 * 9 + 4) * 9 + 6, (7 * 9 + 2) * 9 + 7};
    CHECK(cand_equal(ws, want3, 3), "3-D: 3 candidates in raster order (%zu found)", ws->ncand);
    locus_workspace_free(ws);
}

/*
 * Random images against a brute force: narrow ones (every row's span
 * within the margins shorter than a 64-pixel chunk, the loop form) and
 * wide ones (whole chunks, the vector compare form), uint8 and uint16,
 * with local maxima equal to the threshold, which the strict comparison
 * leaves out. Large ones take several bands of D (a 2-D image's D is
 * made a band of rows at a time), and boxes of one pixel along y or x
 * skip that pass.
 */
static void box_extent(double sep, int *lo, int *hi, int *margin)
{
    int k = (int)(2 * sep / sqrt(2.0));
    *lo = k % 2 ? (k - 1) / 2 : k / 2 - 1;
    *hi = k - 1 - *lo;
    int half = (int)floor(sep / 2) - 1;
    *margin = half > 2 ? half : 2; /* diameter 5: radius and smoothing // 2 are 2 */
}

static void candidates_random(int NY, int NX, locus_dtype type, double sep_y, double sep_x)
{
    uint8_t *im8 = malloc((size_t)NY * NX);
    uint16_t *im16 = malloc((size_t)NY * NX * sizeof *im16);
    int *im = malloc((size_t)NY * NX * sizeof *im), *vals = malloc((size_t)NY * NX * sizeof *vals);
    size_t *want = malloc((size_t)NY * NX * sizeof *want);
    for (int i = 0; i < NY * NX; i++) {
        /* sparse; half the values 10, so the 30th percentile is 10 */
        im[i] = (int)(rng() % 12 ? 0 : rng() % 2 ? 10 : 11 + rng() % 49);
        im8[i] = (uint8_t)im[i];
        im16[i] = (uint16_t)im[i];
    }
    const void *buf = type == LOCUS_U8 ? (const void *)im8 : im16;
    locus_image img = make_image(buf, type, 2, (size_t)NY, (size_t)NX, 0);
    locus_params p = params_d(5);
    p.separation.count = 2;
    p.separation.v[0] = sep_y;
    p.separation.v[1] = sep_x;
    p.percentile = 30;
    locus_workspace *ws = planned(&p, &img);
    int blank, ylo, yhi, ym, xlo, xhi, xm;
    box_extent(sep_y, &ylo, &yhi, &ym);
    box_extent(sep_x, &xlo, &xhi, &xm);
    /* the threshold, by sorting the non-zero values */
    int n = 0;
    for (int i = 0; i < NY * NX; i++)
        if (im[i])
            vals[n++] = im[i];
    for (int i = 1; i < n; i++) /* insertion sort: few distinct values, mostly in order */
        for (int j = i; j > 0 && vals[j - 1] > vals[j]; j--) {
            int s = vals[j];
            vals[j] = vals[j - 1];
            vals[j - 1] = s;
        }
    double vi = (n - 1) * 0.30, fr = vi - floor(vi);
    int lo = vals[(int)floor(vi)], hi = vals[(int)floor(vi) + 1];
    double t = fr >= 0.5 ? hi - (hi - lo) * (1 - fr) : lo + (hi - lo) * fr;
    size_t nw = 0, at_floor = 0;
    for (int y = ym; y <= NY - 1 - ym; y++)
        for (int x = xm; x <= NX - 1 - xm; x++) {
            int m = 0;
            for (int b = y - ylo; b <= y + yhi; b++)
                for (int a = x - xlo; a <= x + xhi; a++)
                    if (b >= 0 && a >= 0 && b < NY && a < NX && im[b * NX + a] > m)
                        m = im[b * NX + a];
            int v = im[y * NX + x];
            at_floor += v == m && v == (int)floor(t);
            if (v == m && v > t)
                want[nw++] = (size_t)(y * NX + x);
        }
    run_find(ws, buf, &blank);
    const char *tn = type == LOCUS_U8 ? "uint8" : "uint16";
    CHECK(nw > 5 && at_floor > 0,
          "random %s %dx%d, boxes %d and %d: the brute force finds %zu candidates, %zu maxima at "
          "floor(threshold)",
          tn, NY, NX, ws->pl.box[1], ws->pl.box[2], nw, at_floor);
    CHECK(cand_equal(ws, want, nw),
          "random %s %dx%d, boxes %d and %d: candidates equal the brute force (%zu vs %zu)", tn, NY,
          NX, ws->pl.box[1], ws->pl.box[2], ws->ncand, nw);
    /* again, each band's candidates handed over as they are found */
    band_log log = {0, 0, 0};
    locus_band_sink sink = {log_band, &log, 0};
    int rc = locus_maxima_find(ws, buf, 0, &blank, &sink);
    size_t rows = ws->pl.box[1] > 1 ? (size_t)ws->pl.box[1] : 1;
    size_t band = rows * (128 * 1024 / (rows * (size_t)NX * locus_dtype_size(type)) + 1);
    int bands = (size_t)NY > band + 2 * (size_t)ws->pl.margin[1];
    CHECK(rc == LOCUS_OK && cand_equal(ws, want, nw) && log.bad == 0 && log.next == nw &&
              sink.done == nw && (!bands || log.calls > 1),
          "random %s %dx%d: the bands hand over candidates 0..%zu in order (%zu calls, %zu bad, "
          "%zu done)",
          tn, NY, NX, nw, log.calls, log.bad, sink.done);
    locus_workspace_free(ws);
    free(im8);
    free(im16);
    free(im);
    free(vals);
    free(want);
}

static void test_candidates_random(void)
{
    /* separations 4.5 and 7: boxes 6 (-2 .. +3) and 9 (-4 .. +4), margins 2 */
    candidates_random(40, 50, LOCUS_U8, 4.5, 7);
    candidates_random(40, 200, LOCUS_U8, 4.5, 7);
    candidates_random(40, 50, LOCUS_U16, 4.5, 7);
    candidates_random(40, 200, LOCUS_U16, 4.5, 7);
    /* bands of D: 2100-pixel rows, a band is a few tens of them */
    candidates_random(300, 2100, LOCUS_U16, 4.5, 7);
    candidates_random(301, 4100, LOCUS_U8, 7, 4.5);
    /* a box of one pixel along y, then along x */
    candidates_random(120, 1500, LOCUS_U16, 1, 7);
    candidates_random(120, 1500, LOCUS_U8, 7, 1);
    candidates_random(50, 70, LOCUS_U8, 1, 1);
}

/*
 * locus_maxima_percentile_u16 (two small histograms) against locus_maxima_percentile
 * on the full 65536-bin histogram of the same values: equal, bit for
 * bit, for images with many zeros, values on both sides of high-byte bin
 * boundaries, a single value, and percentiles 0, 100 and in between.
 */
static void test_percentile_u16(void)
{
    enum { NPIX = 5000 };
    static uint16_t img[NPIX];
    static uint32_t hist[65536];
    static const double pcts[] = {0, 1, 33.3, 50, 64, 99.9, 100};
    uint64_t seed = 12345;
    int failures = 0, cases = 0;
    for (int kind = 0; kind < 8; kind++)
        for (size_t pi = 0; pi < sizeof pcts / sizeof *pcts; pi++) {
            memset(hist, 0, sizeof hist);
            for (size_t i = 0; i < NPIX; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                uint32_t r = (uint32_t)(seed >> 33);
                uint16_t v = kind == 0   ? (uint16_t)r               /* anything */
                             : kind == 1 ? (uint16_t)(r % 3 ? 0 : r) /* mostly zeros */
                             : kind == 2 ? (uint16_t)(250 + r % 12)  /* across 255/256 */
                             : kind == 3 ? (uint16_t)(r % 2 ? 511 : 512 + r % 3) /* two bins */
                             : kind == 4 ? (uint16_t)(i == 7 ? 40000 : 0)        /* one value */
                             /* runs of zeros (whole chunks skipped), values in bin 0 or not */
                             : kind == 5 ? (uint16_t)(i / 40 % 2 ? 0 : r % 300)
                             : kind == 6
                                 ? (uint16_t)(i / 100 % 3 ? 0 : 1000 + r % 600)
                                 /* runs of one bin (zeros among bin 0's), then of another */
                                 : (uint16_t)(i / 64 % 2 ? r % 256 : 768 + r % 256);
                img[i] = v;
                hist[v]++;
            }
            size_t nz_full, nz_fast;
            double full = locus_maxima_percentile(hist, 65536, pcts[pi], &nz_full);
            double fast = locus_maxima_percentile_u16(img, NPIX, pcts[pi], &nz_fast);
            cases++;
            if (full != fast || nz_full != nz_fast) {
                failures++;
                printf("# kind %d, percentile %g: %.17g (%zu) vs %.17g (%zu)\n", kind, pcts[pi],
                       full, nz_full, fast, nz_fast);
            }
        }
    CHECK(failures == 0,
          "uint16 percentile from two small histograms equals the full one (%d cases)", cases);
    memset(img, 0, sizeof img);
    size_t nz;
    CHECK(locus_maxima_percentile_u16(img, NPIX, 64, &nz) == 0 && nz == 0,
          "uint16 percentile of an all-zero image: no non-zero values");
}

/*
 * locus_maxima_percentile_sampled against the full histogram of the same
 * image: equal, bit for bit, whenever it answers; it must answer on
 * ordinary images (the fast path is tested, not skipped) and decline
 * where its sample misleads it (every PCT_SAMPLE_STEP-th pixel, the ones it samples,
 * set far above the rest: only the extreme percentiles are among them)
 * or the uint8 window is too wide.
 */
static void test_percentile_sampled(void)
{
    enum { NPIX = 100003, BIG = 640000 };
    static uint16_t img16[BIG];
    static uint8_t img8[NPIX];
    static uint32_t hist[65536], scratch[65536 + 4096];
    static const double pcts[] = {0, 10, 50, 64, 99, 100};
    int failures = 0, answered = 0, declined = 0, cases = 0;
    for (int kind = 0; kind < 7; kind++)
        for (int u16 = 0; u16 < 2; u16++)
            for (size_t pi = 0; pi < sizeof pcts / sizeof *pcts; pi++) {
                size_t n = u16 && kind == 6 ? BIG : NPIX;
                memset(hist, 0, sizeof hist);
                for (size_t i = 0; i < n; i++) {
                    uint32_t r = (uint32_t)(rng() >> 20), top = u16 ? 65535 : 255;
                    uint32_t v =
                        kind == 0   ? r % (top + 1)                /* anything */
                        : kind == 1 ? (r % 3 ? 0 : r % 40 + 1)     /* mostly zeros, narrow */
                        : kind == 2 ? (r % 7 < 4 ? 0 : 10 + r % 6) /* few values */
                        : kind == 3
                            ? (i % PCT_SAMPLE_STEP ? r % 20 + 1 : top - r % 5) /* misleading */
                        : kind == 4
                            ? (i % PCT_SAMPLE_STEP ? 0 : r % 9 + 1)  /* only the sampled pixels */
                        : kind == 5 ? (i / 500 % 2 ? 0 : 1 + r % 12) /* runs of zeros */
                                    : (r % 4 ? r % 3000 + 1 : 0);    /* big (uint16) */
                    v = u16 ? (uint16_t)v : (uint8_t)v;              /* as stored */
                    if (u16)
                        img16[i] = (uint16_t)v;
                    else
                        img8[i] = (uint8_t)v;
                    hist[v]++;
                }
                size_t nz_full, nz_fast = 0;
                double full = locus_maxima_percentile(hist, u16 ? 65536 : 256, pcts[pi], &nz_full);
                double fast = -1;
                int ok = locus_maxima_percentile_sampled(u16 ? (const void *)img16 : img8,
                                                         u16 ? LOCUS_U16 : LOCUS_U8, n, pcts[pi],
                                                         scratch, 0, &fast, &nz_fast);
                cases++;
                answered += ok;
                declined += !ok;
                if (ok && (full != fast || nz_full != nz_fast)) {
                    failures++;
                    printf("# kind %d, %s, percentile %g: %.17g (%zu) vs %.17g (%zu)\n", kind,
                           u16 ? "uint16" : "uint8", pcts[pi], full, nz_full, fast, nz_fast);
                }
                if (kind == 3 && ok && pcts[pi] > 0 && pcts[pi] < 99) {
                    failures++;
                    printf("# kind 3 (misleading sample), %s, percentile %g: answered\n",
                           u16 ? "uint16" : "uint8", pcts[pi]);
                }
            }
    CHECK(failures == 0,
          "sampled percentile equals the full histogram's whenever it answers, "
          "and declines on a misleading sample (%d cases)",
          cases);
    CHECK(answered >= cases / 2 && declined > 0,
          "sampled percentile: answered %d, declined %d of %d cases (both paths taken)", answered,
          declined, cases);
}

int main(void)
{
    test_percentile();
    test_percentile_u16();
    test_percentile_sampled();
    test_box_max();
    test_even_box_by_hand();
    test_candidates();
    test_candidates_u16_3d();
    test_candidates_random();
    return check_done();
}

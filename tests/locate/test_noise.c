/*
 * Static error (LOCATE.md §9) through locus_noise_static_error: the background
 * is every pixel not within the mask of a non-zero pixel of I; black is
 * its mean, noise its population std; ep = noise / (raw_mass - N black)
 * * noise_size * sqrt(Σ o²). Small images worked out by hand, then a
 * brute-force oracle on random images.
 *
 * Diameter 3 (r = 1) in 2-D: the mask is the plus (0,0), (±1,0), (0,±1);
 * N = 5 and Σ o_y² = 2.
 */
#include "check.h"
#include "stage_helpers.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static locus_params params_axes(int n, double d0, double d1, int nn, double s0, double s1)
{
    locus_params p;
    locus_params_init(&p);
    p.diameter.count = n;
    p.diameter.v[0] = d0;
    p.diameter.v[1] = d1;
    p.noise_size.count = nn;
    p.noise_size.v[0] = s0;
    p.noise_size.v[1] = s1;
    return p;
}

/* Features with the given raw masses (ep is all locus_noise_static_error reads
 * besides raw_mass). */
static void set_features(locus_workspace *ws, const double *raw_mass, size_t n)
{
    locus_mem_reserve((void **)&ws->feat, &ws->feat_cap, (n ? n : 1) * sizeof(feature));
    for (size_t i = 0; i < n; i++) {
        memset(&ws->feat[i], 0, sizeof(feature));
        ws->feat[i].raw_mass = raw_mass[i];
        ws->feat[i].ep[0] = ws->feat[i].ep[1] = ws->feat[i].ep[2] = -12345;
    }
    ws->nfeat = n;
}

static void near_rel(double got, double want, double rel, const char *what)
{
    CHECK_NEAR(got, want, rel * fabs(want), what);
}

static void test_by_hand(void)
{
    /* 5x5; I non-zero only at (2,2), so the plus around it is "near" and
     * the other 20 pixels are background. raw: 10 everywhere, 14 at the
     * four corners, 50 at the centre, 30 on the plus's arms.
     * black = (16 * 10 + 4 * 14) / 20 = 216 / 20 = 10.8
     * var = (16 * 0.8² + 4 * 3.2²) / 20 = (10.24 + 40.96) / 20 = 2.56,
     * noise = 1.6
     * feature raw_mass 170 (= 50 + 4 * 30): mass_bg = 170 - 5 * 10.8 = 116
     * ep = 1.6 / 116 * 1 * sqrt(2) = 0.0195062... */
    static uint8_t I[5][5], raw[5][5];
    I[2][2] = 7;
    memset(raw, 10, sizeof raw);
    raw[0][0] = raw[0][4] = raw[4][0] = raw[4][4] = 14;
    raw[2][2] = 50;
    raw[1][2] = raw[3][2] = raw[2][1] = raw[2][3] = 30;
    locus_image img = make_image(raw, LOCUS_U8, 2, 5, 5, 0);
    locus_params p = params_axes(1, 3, 0, 0, 0, 0);
    locus_workspace *ws = planned(&p, &img);
    CHECK(ws->pl.nmask == 5, "diameter 3: N = 5");
    double rm[3] = {170, 10, 54};
    set_features(ws, rm, 3);
    CHECK(locus_noise_static_error(ws, I, NULL, raw) == LOCUS_OK, "locus_noise_static_error runs");
    near_rel(ws->feat[0].ep[0], 1.6 / 116 * sqrt(2.0), 1e-14, "ep = 1.6 / 116 * sqrt 2");
    near_rel(ws->feat[0].ep[0], 0.0195062, 1e-5, "ep ~ 0.0195062");
    /* raw_mass 10: mass_bg = 10 - 54 = -44, ep negative, not clipped */
    near_rel(ws->feat[1].ep[0], 1.6 / -44 * sqrt(2.0), 1e-14, "ep = 1.6 / -44 * sqrt 2 (negative)");
    /* raw_mass 54 = N * black: mass_bg 0 -> ep infinite */
    CHECK(isinf(ws->feat[2].ep[0]), "mass_bg 0: ep infinite (%g)", ws->feat[2].ep[0]);
    locus_workspace_free(ws);

    /* noise_size 2: ep doubles */
    p = params_axes(1, 3, 0, 1, 2, 0);
    ws = planned(&p, &img);
    set_features(ws, rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    near_rel(ws->feat[0].ep[0], 1.6 / 116 * 2 * sqrt(2.0), 1e-14, "noise_size 2: ep doubles");
    locus_workspace_free(ws);

    /* noise_size (1, 2): ep_y with 1, ep_x with 2 (Σ o_x² = 2 as well) */
    p = params_axes(1, 3, 0, 2, 1, 2);
    ws = planned(&p, &img);
    set_features(ws, rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    near_rel(ws->feat[0].ep[0], 1.6 / 116 * 1 * sqrt(2.0), 1e-14, "noise_size (1,2): ep_y");
    near_rel(ws->feat[0].ep[1], 1.6 / 116 * 2 * sqrt(2.0), 1e-14, "noise_size (1,2): ep_x");
    locus_workspace_free(ws);

    /* diameter (3, 5): r = (1, 2), mask (0, -2..2) and (±1, 0): N = 7,
     * Σ o_y² = 2, Σ o_x² = 4 + 1 + 1 + 4 = 10. Near: row 2 and (1,2),
     * (3,2); background 18 pixels: 14 of 10 (excluding... the plus arms
     * (1,2), (3,2), (2,1), (2,3) are all near) and 4 corners of 14.
     * black = (140 + 56) / 18 = 98/9; deviations -8/9 and 28/9:
     * var = (14 * 64 + 4 * 784) / 81 / 18 = 4032 / 1458 = 224/81,
     * noise = sqrt(224) / 9.
     * raw_mass 200: mass_bg = 200 - 7 * 98/9 = 1114/9.
     * ep_y = noise / mass_bg * sqrt(2), ep_x = noise / mass_bg * sqrt(10) */
    raw[2][0] = raw[2][4] = 10; /* already 10: row 2 outside the plus */
    p = params_axes(2, 3, 5, 0, 0, 0);
    ws = planned(&p, &img);
    CHECK(ws->pl.nmask == 7, "diameter (3,5): N = 7");
    double rm2 = 200;
    set_features(ws, &rm2, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    double noise = sqrt(224.0) / 9, mbg = 1114.0 / 9;
    near_rel(ws->feat[0].ep[0], noise / mbg * sqrt(2.0), 1e-14, "diameter (3,5): ep_y");
    near_rel(ws->feat[0].ep[1], noise / mbg * sqrt(10.0), 1e-14, "diameter (3,5): ep_x");
    locus_workspace_free(ws);
}

static void test_edges_and_nan(void)
{
    /* I non-zero at (2,0), on the left edge: near = (2,0), (1,0), (3,0),
     * (2,1); nothing wraps to (1,4). Background 21 pixels: raw 3, but
     * (1,4) = 24. black = (20 * 3 + 24) / 21 = 4; var = (20 * 1 + 20²) / 21
     * = 20; noise = sqrt(20). raw_mass 100: mass_bg = 100 - 5 * 4 = 80.
     * ep = sqrt(20) / 80 * sqrt(2) */
    static uint16_t I[5][5], raw[5][5];
    I[2][0] = 1;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++)
            raw[y][x] = 3;
    raw[1][4] = 24;
    raw[2][0] = 1000; /* near: must not count */
    locus_image img = make_image(raw, LOCUS_U16, 2, 5, 5, 0);
    locus_params p = params_axes(1, 3, 0, 0, 0, 0);
    locus_workspace *ws = planned(&p, &img);
    double rm = 100;
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    near_rel(ws->feat[0].ep[0], sqrt(20.0) / 80 * sqrt(2.0), 1e-14,
             "edge pixel: dilation does not wrap (ep = sqrt 20 / 80 * sqrt 2)");

    /* every pixel of I non-zero: no background -> black and noise NaN */
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++)
            I[y][x] = 1;
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    CHECK(isnan(ws->feat[0].ep[0]), "no background pixel: ep NaN");

    /* exactly one background pixel, (0,0): I zero at (0,0), (0,1), (1,0)
     * (the plus around (0,0)); (0,1) is near (0,2), (1,0) near (2,0).
     * noise NaN -> ep NaN */
    I[0][0] = I[0][1] = I[1][0] = 0;
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    CHECK(isnan(ws->feat[0].ep[0]), "one background pixel: ep NaN");
    /* two background pixels, (0,0) and (4,4) (raw 3 and 7): black 5,
     * noise 2; mass_bg = 100 - 25 = 75 -> ep = 2 / 75 * sqrt 2 */
    I[4][4] = I[4][3] = I[3][4] = 0;
    raw[4][4] = 7;
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, raw);
    near_rel(ws->feat[0].ep[0], 2.0 / 75 * sqrt(2.0), 1e-14, "two background pixels: ep");
    locus_workspace_free(ws);
}

static void test_float_raw(void)
{
    /* The hand example divided by 16, as float32 and float64 raw images
     * (I is uint8): black 10.8 / 16 = 0.675, noise 1.6 / 16 = 0.1,
     * raw_mass 170 / 16, mass_bg 116 / 16: ep = 0.1 / 7.25 * sqrt 2 (the
     * same as before). float32 may be accumulated in float32 (about 1e-7
     * relative). */
    static uint8_t I[5][5];
    static float r32[5][5];
    static double r64[5][5];
    I[2][2] = 7;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++)
            r64[y][x] = 10;
    r64[0][0] = r64[0][4] = r64[4][0] = r64[4][4] = 14;
    r64[2][2] = 50;
    r64[1][2] = r64[3][2] = r64[2][1] = r64[2][3] = 30;
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++) {
            r64[y][x] /= 16;
            r32[y][x] = (float)r64[y][x];
        }
    double rm = 170.0 / 16, want = 0.1 / 7.25 * sqrt(2.0);
    locus_params p = params_axes(1, 3, 0, 0, 0, 0);
    locus_image img = make_image(r32, LOCUS_F32, 2, 5, 5, 0);
    locus_workspace *ws = planned(&p, &img);
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, r32);
    near_rel(ws->feat[0].ep[0], want, 1e-6, "float32 raw: ep = 0.1 / 7.25 * sqrt 2");
    locus_workspace_free(ws);
    img = make_image(r64, LOCUS_F64, 2, 5, 5, 0);
    ws = planned(&p, &img);
    set_features(ws, &rm, 1);
    locus_noise_static_error(ws, I, NULL, r64);
    near_rel(ws->feat[0].ep[0], want, 1e-14, "float64 raw: ep = 0.1 / 7.25 * sqrt 2");
    locus_workspace_free(ws);
}

/* ------------------------------------------------------------------ */
/* Brute force on random images                                        */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x13198A2E03707344ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_case(locus_dtype t, int nd, const size_t shape[3], const double dia[3],
                        const double noise_size[3], int sparsity, const char *what)
{
    size_t sh[3] = {1, 1, 1};
    int r[3] = {0, 0, 0};
    double ns[3] = {0, 0, 0};
    for (int a = 0; a < nd; a++) {
        sh[3 - nd + a] = shape[a];
        r[3 - nd + a] = (int)dia[a] / 2;
        ns[3 - nd + a] = noise_size[a];
    }
    size_t n = sh[0] * sh[1] * sh[2];
    locus_dtype it = t == LOCUS_U16 ? LOCUS_U16 : LOCUS_U8;
    void *I = calloc(n, locus_dtype_size(it));
    void *raw = malloc(n * locus_dtype_size(t));
    for (size_t i = 0; i < n; i++) {
        if (rng() % (uint64_t)sparsity == 0) {
            if (it == LOCUS_U8)
                ((uint8_t *)I)[i] = (uint8_t)(1 + rng() % 255);
            else
                ((uint16_t *)I)[i] = (uint16_t)(1 + rng() % 65535);
        }
        uint64_t v = rng();
        switch (t) {
        case LOCUS_U8:
            ((uint8_t *)raw)[i] = (uint8_t)(v % 256);
            break;
        case LOCUS_U16:
            ((uint16_t *)raw)[i] = (uint16_t)(v % 65536);
            break;
        case LOCUS_F32:
            ((float *)raw)[i] = (float)(v % 100000) / 100000.0f;
            break;
        default:
            ((double *)raw)[i] = (double)(v % 1000003) / 1000003.0;
            break;
        }
    }
    /* the mask, from its definition */
    static int off[2048][3];
    int nm = 0;
    for (int z = -r[0]; z <= r[0]; z++)
        for (int y = -r[1]; y <= r[1]; y++)
            for (int x = -r[2]; x <= r[2]; x++) {
                int o[3] = {z, y, x};
                double s = 0;
                for (int a = 0; a < 3; a++)
                    if (r[a])
                        s += ((double)o[a] / r[a]) * ((double)o[a] / r[a]);
                if (s <= 1) {
                    memcpy(off[nm], o, sizeof o);
                    nm++;
                }
            }
    double moment[3] = {0, 0, 0};
    for (int k = 0; k < nm; k++)
        for (int a = 0; a < 3; a++)
            moment[a] += off[k][a] * off[k][a];
    /* background: no mask offset o with I[p + o] != 0 */
    double sum = 0;
    size_t count = 0;
    unsigned char *bgmask = calloc(n, 1);
    for (size_t z = 0; z < sh[0]; z++)
        for (size_t y = 0; y < sh[1]; y++)
            for (size_t x = 0; x < sh[2]; x++) {
                int is_near = 0;
                for (int k = 0; k < nm && !is_near; k++) {
                    ptrdiff_t q[3] = {(ptrdiff_t)z + off[k][0], (ptrdiff_t)y + off[k][1],
                                      (ptrdiff_t)x + off[k][2]};
                    if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= (ptrdiff_t)sh[0] ||
                        q[1] >= (ptrdiff_t)sh[1] || q[2] >= (ptrdiff_t)sh[2])
                        continue;
                    size_t j = ((size_t)q[0] * sh[1] + (size_t)q[1]) * sh[2] + (size_t)q[2];
                    is_near = pixel_get(I, it, j) != 0;
                }
                size_t i = (z * sh[1] + y) * sh[2] + x;
                if (!is_near) {
                    bgmask[i] = 1;
                    sum += pixel_get(raw, t, i);
                    count++;
                }
            }
    double black = sum / (double)count, ss = 0;
    for (size_t i = 0; i < n; i++)
        if (bgmask[i]) {
            double d = pixel_get(raw, t, i) - black;
            ss += d * d;
        }
    double noise = sqrt(ss / (double)count);

    locus_image img = make_image(raw, t, nd, shape[0], shape[1], shape[2]);
    locus_params p;
    locus_params_init(&p);
    p.diameter.count = p.noise_size.count = nd;
    for (int a = 0; a < nd; a++) {
        p.diameter.v[a] = dia[a];
        p.noise_size.v[a] = noise_size[a];
    }
    locus_workspace *ws = planned(&p, &img);
    double rm[3] = {1e4, 37.5, 5e5};
    set_features(ws, rm, 3);
    CHECK(count > n / 10 && count < n - n / 10, "%s: %zu of %zu pixels are background", what, count,
          n);
    CHECK(ws->pl.nmask == (size_t)nm, "%s: mask of %d pixels", what, nm);
    locus_noise_static_error(ws, I, NULL, raw);
    int aniso = ws->pl.rp.aniso_ep;
    double worst = 0;
    for (int f = 0; f < 3; f++) {
        double mbg = rm[f] - nm * black;
        for (int a = 0; a < (aniso ? nd : 1); a++) {
            int pa = 3 - nd + a;
            double want = noise / mbg * ns[pa] * sqrt(moment[pa]);
            double rel = fabs(ws->feat[f].ep[a] - want) / fabs(want);
            worst = rel > worst ? rel : worst;
        }
    }
    double tol = t == LOCUS_F32 ? 1e-6 : 1e-12;
    CHECK(worst <= tol, "%s: ep equals the brute force (worst rel %g)", what, worst);
    /* the same ep, to the bit, from I's non-zero bits (as the float band
     * pass leaves them) with an I of zeros: the bits are what is read */
    double ep[3][3];
    for (int f = 0; f < 3; f++)
        memcpy(ep[f], ws->feat[f].ep, sizeof ep[f]);
    uint64_t *bits = calloc((n + 63) / 64, sizeof *bits);
    void *zeros = calloc(n, locus_dtype_size(it));
    for (size_t i = 0; i < n; i++)
        bits[i / 64] |= (uint64_t)(pixel_get(I, it, i) != 0) << (i % 64);
    set_features(ws, rm, 3);
    locus_noise_static_error(ws, zeros, bits, raw);
    int same = 1;
    for (int f = 0; f < 3; f++)
        same &= memcmp(ep[f], ws->feat[f].ep, sizeof ep[f]) == 0;
    CHECK(same, "%s: ep from I's non-zero bits is ep from I, bit for bit", what);
    free(bits);
    free(zeros);
    locus_workspace_free(ws);
    free(I);
    free(raw);
    free(bgmask);
}

static void test_random(void)
{
    size_t s2[3] = {40, 53, 0}, s3[3] = {12, 17, 19};
    double d7[3] = {7, 7, 7}, d57[3] = {5, 7, 0}, d355[3] = {3, 5, 5}, d3[3] = {3, 3, 3};
    double n1[3] = {1, 1, 1}, n12[3] = {1, 2, 0}, n3[3] = {0.5, 1, 1.5};
    random_case(LOCUS_U8, 2, s2, d7, n1, 40, "uint8 2-D diameter 7");
    random_case(LOCUS_U16, 2, s2, d57, n12, 30, "uint16 2-D diameter (5,7) noise (1,2)");
    random_case(LOCUS_F64, 2, s2, d7, n12, 40, "float64 2-D diameter 7 noise (1,2)");
    random_case(LOCUS_F32, 2, s2, d57, n1, 30, "float32 2-D diameter (5,7)");
    random_case(LOCUS_U8, 3, s3, d3, n1, 12, "uint8 3-D diameter 3");
    random_case(LOCUS_U16, 3, s3, d355, n3, 25, "uint16 3-D diameter (3,5,5) noise (0.5,1,1.5)");
    random_case(LOCUS_F64, 3, s3, d355, n1, 25, "float64 3-D diameter (3,5,5)");
    /* rows of several 64-pixel blocks and a tail: where the dilation stops early */
    size_t w2[3] = {30, 203, 0}, w3[3] = {6, 9, 150};
    random_case(LOCUS_U8, 2, w2, d7, n1, 40, "uint8 2-D 30x203 diameter 7");
    random_case(LOCUS_U16, 3, w3, d355, n3, 25, "uint16 3-D 6x9x150 diameter (3,5,5)");
    /* mask rows up to 126 pixels from the centre keep 8-bit distances, wider ones 16 */
    size_t long2[3] = {20, 600, 0};
    double d253[3] = {3, 253, 0}, d257[3] = {3, 257, 0};
    random_case(LOCUS_U8, 2, long2, d253, n1, 1100, "uint8 2-D diameter (3,253), 8-bit distances");
    random_case(LOCUS_U8, 2, long2, d257, n1, 1100, "uint8 2-D diameter (3,257), 16-bit distances");
}

int main(void)
{
    test_by_hand();
    test_edges_and_nan();
    test_float_raw();
    test_random();
    return check_done();
}

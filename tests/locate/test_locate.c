/*
 * locus_locate end to end on synthetic images with Gaussian spots at
 * known positions (made here with exp()): positions, columns, plan
 * caching across calls (a reused workspace must give what a fresh one
 * gives), pixel types, 3-D volumes, shape errors, blank images, topn,
 * minmass and maxsize strictness, invert, strided views, characterize and
 * preprocess off.
 */
#include "check.h"
#include "stage_helpers.h"
#include "locus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    double z, y, x, amp;
} spot;

/* bg + amp exp(-r² / (2 sigma²)) per spot, rounded, as uint8/uint16. */
static void render(double *out, size_t nz, size_t ny, size_t nx, const spot *s, int n, double bg,
                   double sigma)
{
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            for (size_t x = 0; x < nx; x++) {
                double v = bg;
                for (int k = 0; k < n; k++) {
                    double dz = nz > 1 ? (double)z - s[k].z : 0, dy = (double)y - s[k].y,
                           dx = (double)x - s[k].x;
                    v += s[k].amp * exp(-(dz * dz + dy * dy + dx * dx) / (2 * sigma * sigma));
                }
                out[(z * ny + y) * nx + x] = v;
            }
}

/* Locate with a fresh workspace. */
static int locate_fresh(const locus_params *p, const locus_image *img, locus_table *t)
{
    locus_workspace *ws = locus_workspace_create();
    locus_error err;
    int rc = locus_locate(ws, p, img, t, &err);
    if (rc)
        printf("# locate: %s\n", err.message);
    locus_workspace_free(ws);
    return rc;
}

static const double *col(const locus_table *t, const char *name)
{
    int c = locus_table_find(t, name);
    return c < 0 ? NULL : locus_table_column(t, c);
}

/* Same columns, same rows, bit for bit (NaN equal to NaN). */
static int tables_equal(const locus_table *a, const locus_table *b)
{
    if (locus_table_cols(a) != locus_table_cols(b) || locus_table_rows(a) != locus_table_rows(b))
        return 0;
    for (int c = 0; c < locus_table_cols(a); c++) {
        if (strcmp(locus_table_name(a, c), locus_table_name(b, c)) != 0)
            return 0;
        const double *x = locus_table_column(a, c), *y = locus_table_column(b, c);
        for (size_t r = 0; r < locus_table_rows(a); r++)
            if (!(x[r] == y[r] || (isnan(x[r]) && isnan(y[r]))))
                return 0;
    }
    return 1;
}

/* Every spot matched by exactly one feature within tol on each axis, and
 * no other features. */
static int matches_spots(const locus_table *t, const spot *s, int n, int nd, double tol,
                         double *worst)
{
    const double *fz = nd == 3 ? col(t, "z") : NULL, *fy = col(t, "y"), *fx = col(t, "x");
    size_t rows = locus_table_rows(t);
    *worst = 0;
    if (!fy || !fx || rows != (size_t)n)
        return 0;
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (size_t r = 0; r < rows; r++) {
            double dz = fz ? fabs(fz[r] - s[k].z) : 0, dy = fabs(fy[r] - s[k].y),
                   dx = fabs(fx[r] - s[k].x);
            if (dz <= tol && dy <= tol && dx <= tol) {
                found++;
                double d = fmax(dz, fmax(dy, dx));
                *worst = d > *worst ? d : *worst;
            }
        }
        if (found != 1)
            return 0;
    }
    return 1;
}

static void check_spots(const locus_table *t, const spot *s, int n, int nd, double tol,
                        const char *what)
{
    double worst = 0;
    int ok = matches_spots(t, s, n, nd, tol, &worst);
    CHECK(ok, "%s: %d features, each within %g px of a spot (worst %.3f, %zu rows)", what, n, tol,
          worst, locus_table_rows(t));
}

enum { NY = 64, NX = 64 };
static const spot spots2[] = {{0, 15.3, 20.7, 200},
                              {0, 40.2, 45.6, 150},
                              {0, 20.5, 50.1, 120},
                              {0, 48.8, 12.4, 180},
                              {0, 32.0, 30.0, 100}};
enum { NSPOTS = 5 };

static double field[NY * NX];
static uint8_t img8[NY * NX];
static uint16_t img16[NY * NX];
static float imgf[NY * NX];
static double imgd[NY * NX];

static uint64_t rng_state = 0x082EFA98EC4E6C89ull;
static double noise(void) /* uniform in [-2, 2) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 4 - 2;
}

static void make_images(void)
{
    render(field, 1, NY, NX, spots2, NSPOTS, 10, 1.5);
    for (size_t i = 0; i < NY * NX; i++) {
        img8[i] = (uint8_t)lround(field[i]);
        img16[i] = (uint16_t)lround(field[i] * 256);
        imgf[i] = (float)(field[i] / 255);
        imgd[i] = field[i] / 255;
    }
}

static void test_spots(void)
{
    locus_params p = params_d(7);
    locus_image img = make_image(img8, LOCUS_U8, 2, NY, NX, 0);
    locus_table *t = locus_table_create();
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "uint8 spots: locate runs");
    static const char *const names[] = {"y",   "x",      "mass",     "size",
                                        "ecc", "signal", "raw_mass", "ep"};
    int same = locus_table_cols(t) == 8;
    for (int c = 0; same && c < 8; c++)
        same = strcmp(locus_table_name(t, c), names[c]) == 0;
    CHECK(same, "columns y, x, mass, size, ecc, signal, raw_mass, ep in order");
    check_spots(t, spots2, NSPOTS, 2, 0.1, "uint8");
    CHECK(!locus_table_blank(t), "not blank");
    /* raster order of the candidates: y ascending here (no two spots
     * share a row) */
    const double *y = col(t, "y");
    int sorted = 1;
    for (size_t r = 1; r < locus_table_rows(t); r++)
        sorted &= y[r] > y[r - 1];
    CHECK(sorted, "rows in raster order");
    /* sensible values: masses follow the amplitudes (the 200 spot at
     * (15.3, 20.7) is the heaviest, the 100 spot the lightest) */
    const double *m = col(t, "mass"), *sz = col(t, "size"), *ecc = col(t, "ecc"),
                 *sig = col(t, "signal"), *rm = col(t, "raw_mass"), *ep = col(t, "ep");
    int ok = 1;
    for (size_t r = 0; r < locus_table_rows(t); r++)
        ok &= m[r] > 0 && sz[r] > 0.8 && sz[r] < 3 && ecc[r] >= 0 && ecc[r] < 0.2 && sig[r] > 0 &&
              rm[r] > 0 && ep[r] == 0;
    /* the background is exactly 10 everywhere: noise 0, so ep 0 */
    CHECK(ok, "mass, size, ecc, signal, raw_mass in sensible ranges; ep 0 (no noise)");
    size_t heavy = 0, light = 0;
    for (size_t r = 1; r < locus_table_rows(t); r++) {
        heavy = m[r] > m[heavy] ? r : heavy;
        light = m[r] < m[light] ? r : light;
    }
    CHECK(fabs(y[heavy] - 15.3) < 0.1 && fabs(y[light] - 32.0) < 0.1,
          "heaviest is the 200 spot, lightest the 100 spot");
    /* raw_mass: the raw pixels over the 37-pixel mask (diameter 7)
     * include the background of 10 -> at least 370 */
    ok = 1;
    for (size_t r = 0; r < locus_table_rows(t); r++)
        ok &= rm[r] > 370;
    CHECK(ok, "raw_mass includes the background");
    locus_table_free(t);
}

/* The same spots with uniform noise in [-2, 2): noise peaks appear as
 * light features, minmass removes them, and ep becomes positive. */
static void test_noisy(void)
{
    static uint8_t im[NY * NX];
    for (size_t i = 0; i < NY * NX; i++)
        im[i] = (uint8_t)lround(field[i] + noise());
    locus_image img = make_image(im, LOCUS_U8, 2, NY, NX, 0);
    locus_params p = params_d(7);
    locus_table *t = locus_table_create();
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) > NSPOTS, "noisy: noise peaks found without minmass (%zu rows)",
          locus_table_rows(t));
    p.minmass = 100;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    check_spots(t, spots2, NSPOTS, 2, 0.1, "noisy, minmass 100");
    const double *ep = col(t, "ep"), *m = col(t, "mass");
    int ok = locus_table_rows(t) == NSPOTS;
    for (size_t r = 0; ok && r < NSPOTS; r++)
        ok = ep[r] > 0 && ep[r] < 0.05 && m[r] > 100;
    CHECK(ok, "noisy: 0 < ep < 0.05 and mass > 100 for every spot");
    /* the brighter spot has the smaller ep: 200 at (15.3, 20.7) vs 100 at (32, 30) */
    const double *y = col(t, "y");
    size_t bright = 0, dim = 0;
    for (size_t r = 0; r < locus_table_rows(t); r++) {
        bright = fabs(y[r] - 15.3) < 0.2 ? r : bright;
        dim = fabs(y[r] - 32.0) < 0.2 ? r : dim;
    }
    CHECK(ep[bright] < ep[dim], "noisy: brighter spot, smaller ep (%g < %g)", ep[bright], ep[dim]);
    locus_table_free(t);
}

static void test_types(void)
{
    locus_params p = params_d(7);
    struct {
        const void *data;
        locus_dtype t;
        const char *name;
    } v[] = {{img8, LOCUS_U8, "uint8"},
             {img16, LOCUS_U16, "uint16"},
             {imgf, LOCUS_F32, "float32"},
             {imgd, LOCUS_F64, "float64"}};
    locus_table *t[4];
    for (int i = 0; i < 4; i++) {
        locus_image img = make_image(v[i].data, v[i].t, 2, NY, NX, 0);
        t[i] = locus_table_create();
        CHECK(locate_fresh(&p, &img, t[i]) == LOCUS_OK, "%s: locate runs", v[i].name);
        check_spots(t[i], spots2, NSPOTS, 2, 0.1, v[i].name);
    }
    /* float32 and float64 of the same values: the same I, so the same
     * positions to float32 precision */
    const double *a = col(t[2], "x"), *b = col(t[3], "x");
    double d = 0;
    for (size_t r = 0; r < locus_table_rows(t[2]) && r < locus_table_rows(t[3]); r++)
        d = fmax(d, fabs(a[r] - b[r]));
    CHECK(d < 1e-3, "float32 and float64 versions agree (max |dx| %g)", d);
    /* float images: raw_mass in the image's units (about 1/255 of uint8's) */
    const double *r8 = col(t[0], "raw_mass"), *rf = col(t[3], "raw_mass");
    CHECK(fabs(rf[0] * 255 / r8[0] - 1) < 0.01, "float64 raw_mass = uint8 raw_mass / 255 (%g %g)",
          rf[0] * 255, r8[0]);
    /* uint16 holds 256x the uint8 values: raw_mass about 256x */
    const double *r16 = col(t[1], "raw_mass");
    CHECK(fabs(r16[0] / 256 / r8[0] - 1) < 0.01, "uint16 raw_mass ~ 256 x uint8's");
    for (int i = 0; i < 4; i++)
        locus_table_free(t[i]);
}

static void test_reuse(void)
{
    /* a second image: other spots, other shape */
    enum { MY = 48, MX = 80 };
    static const spot other[] = {{0, 10.4, 10.6, 150}, {0, 30.3, 60.2, 220}, {0, 24, 33.5, 90}};
    static double f2[MY * MX];
    static uint8_t im2[MY * MX];
    static uint16_t im2_16[MY * MX];
    render(f2, 1, MY, MX, other, 3, 5, 1.8);
    for (size_t i = 0; i < MY * MX; i++) {
        im2[i] = (uint8_t)lround(f2[i]);
        im2_16[i] = (uint16_t)lround(f2[i] * 200);
    }
    /* the first image with spots moved: same shape and type as img8 */
    static const spot moved[] = {{0, 30.6, 30.2, 160}, {0, 12.1, 44.9, 140}};
    static double f3[NY * NX];
    static uint8_t im3[NY * NX];
    render(f3, 1, NY, NX, moved, 2, 20, 1.3);
    for (size_t i = 0; i < NY * NX; i++)
        im3[i] = (uint8_t)lround(f3[i]);

    locus_image a = make_image(img8, LOCUS_U8, 2, NY, NX, 0);
    locus_image b = make_image(im2, LOCUS_U8, 2, MY, MX, 0);
    locus_image b16 = make_image(im2_16, LOCUS_U16, 2, MY, MX, 0);
    locus_image c = make_image(im3, LOCUS_U8, 2, NY, NX, 0);
    locus_image af = make_image(imgd, LOCUS_F64, 2, NY, NX, 0);
    locus_params p7 = params_d(7), p9 = params_d(9), p7s = params_d(7);
    p9.separation.count = 1;
    p9.separation.v[0] = 6.5;
    p9.noise_size.count = 2;
    p9.noise_size.v[0] = 1;
    p9.noise_size.v[1] = 1.5;
    p7s.percentile = 30;
    p7s.topn = 2;
    locus_params pan = params_d(5);
    pan.diameter.count = 2;
    pan.diameter.v[1] = 7;
    locus_params poff = params_d(7);
    poff.characterize = 0;

    struct {
        const locus_image *img;
        const locus_params *p;
        const char *what;
    } seq[] = {{&a, &p7, "image A, diameter 7"},
               {&b, &p7, "image B (other shape), diameter 7"},
               {&a, &p9, "image A, diameter 9, separation 6.5, noise (1, 1.5)"},
               {&c, &p9, "image C (same shape as A), same parameters"},
               {&b16, &p9, "image B as uint16, same parameters"},
               {&a, &pan, "image A, diameter (5, 7)"},
               {&af, &pan, "image A as float64, diameter (5, 7)"},
               {&a, &poff, "image A, characterize off"},
               {&c, &p7s, "image C, percentile 30, topn 2"},
               {&a, &p7, "image A, diameter 7 again"},
               {&b, &p7, "image B, diameter 7 again"}};
    int n = (int)(sizeof seq / sizeof *seq);
    locus_workspace *ws = locus_workspace_create();
    locus_table *reused = locus_table_create(), *fresh = locus_table_create();
    for (int i = 0; i < n; i++) {
        locus_error err;
        int rc = locus_locate(ws, seq[i].p, seq[i].img, reused, &err);
        CHECK(rc == LOCUS_OK, "reused workspace: %s runs", seq[i].what);
        CHECK(locate_fresh(seq[i].p, seq[i].img, fresh) == LOCUS_OK, "locate runs (line %d)",
              __LINE__);
        CHECK(locus_table_rows(fresh) > 0, "%s: finds features (%zu)", seq[i].what,
              locus_table_rows(fresh));
        CHECK(tables_equal(reused, fresh), "%s: reused workspace == fresh workspace", seq[i].what);
    }
    locus_workspace_free(ws);
    locus_table_free(reused);
    locus_table_free(fresh);
}

static void test_volume(void)
{
    /* Diameter 11: with smaller masks the centroid of a sigma 1.5 spot in
     * 3-D is pulled toward its integer pixel by up to 0.2 px (pixel
     * locking; it shrinks as the diameter grows: 0.11 at 7, 0.02 at 9). */
    enum { VZ = 24, VY = 36, VX = 36 };
    static const spot s3[] = {{8.3, 10.6, 12.2, 200}, {14.7, 24.4, 22.9, 160}};
    static double f[VZ * VY * VX];
    static uint8_t v[VZ * VY * VX];
    render(f, VZ, VY, VX, s3, 2, 10, 1.5);
    for (size_t i = 0; i < VZ * VY * VX; i++)
        v[i] = (uint8_t)lround(f[i]);
    locus_image img = make_image(v, LOCUS_U8, 3, VZ, VY, VX);
    locus_params p = params_d(11);
    locus_table *t = locus_table_create();
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "3-D: locate runs");
    static const char *const names[] = {"z",   "y",      "x",        "mass", "size",
                                        "ecc", "signal", "raw_mass", "ep"};
    int same = locus_table_cols(t) == 9;
    for (int c = 0; same && c < 9; c++)
        same = strcmp(locus_table_name(t, c), names[c]) == 0;
    CHECK(same, "3-D columns z, y, x, mass, size, ecc, signal, raw_mass, ep");
    check_spots(t, s3, 2, 3, 0.1, "3-D");
    const double *ecc = col(t, "ecc");
    CHECK(locus_table_rows(t) == 2 && isnan(ecc[0]) && isnan(ecc[1]), "3-D: ecc NaN");

    /* anisotropic: diameter (9, 11, 11) -> size_z/y/x and ep_z/y/x */
    p.diameter.count = 3;
    p.diameter.v[0] = 9;
    p.diameter.v[1] = p.diameter.v[2] = 11;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "3-D (9,11,11): locate runs");
    CHECK(locus_table_cols(t) == 13 && locus_table_find(t, "size_z") == 4 &&
              locus_table_find(t, "ep_x") == 12,
          "3-D (9,11,11): 13 columns, size_z 5th, ep_x last");
    check_spots(t, s3, 2, 3, 0.1, "3-D (9,11,11)");
    locus_table_free(t);

    /* too thin along z for diameter 7 */
    locus_image thin = make_image(v, LOCUS_U8, 3, 6, VY, VX);
    locus_workspace *ws = locus_workspace_create();
    locus_table *t2 = locus_table_create();
    locus_error err;
    p = params_d(7);
    CHECK(locus_locate(ws, &p, &thin, t2, &err) == LOCUS_E_SHAPE && err.status == LOCUS_E_SHAPE,
          "3-D: 6 planes with diameter 7 -> LOCUS_E_SHAPE (%s)", err.message);
    locus_workspace_free(ws);
    locus_table_free(t2);
}

static void test_errors_and_blank(void)
{
    locus_params p = params_d(7);
    locus_workspace *ws = locus_workspace_create();
    locus_table *t = locus_table_create();
    locus_error err;

    /* smaller than the diameter on one axis */
    locus_image small = make_image(img8, LOCUS_U8, 2, 5, NX, 0);
    CHECK(locus_locate(ws, &p, &small, t, &err) == LOCUS_E_SHAPE && err.status == LOCUS_E_SHAPE,
          "5 rows with diameter 7 -> LOCUS_E_SHAPE (%s)", err.message);
    small = make_image(img8, LOCUS_U8, 2, 6, 6, 0);
    CHECK(locus_locate(ws, &p, &small, t, &err) == LOCUS_E_SHAPE, "6x6 with diameter 7 -> E_SHAPE");
    small = make_image(img8, LOCUS_U8, 2, 7, 7, 0);
    CHECK(locus_locate(ws, &p, &small, t, &err) == LOCUS_OK, "7x7 with diameter 7 is accepted");
    /* an invalid parameter */
    locus_params bad = params_d(6);
    locus_image img = make_image(img8, LOCUS_U8, 2, NY, NX, 0);
    CHECK(locus_locate(ws, &bad, &img, t, &err) == LOCUS_E_PARAM, "even diameter -> E_PARAM");
    /* and the workspace still works afterwards */
    locus_table *fresh = locus_table_create();
    CHECK(locus_locate(ws, &p, &img, t, &err) == LOCUS_OK && locate_fresh(&p, &img, fresh) == 0 &&
              tables_equal(t, fresh),
          "after errors, the workspace gives the fresh result");

    /* blank: all zero -> no rows, blank flag, columns still named */
    static uint8_t zero[32 * 32];
    locus_image blank = make_image(zero, LOCUS_U8, 2, 32, 32, 0);
    CHECK(locus_locate(ws, &p, &blank, t, &err) == LOCUS_OK, "blank image: OK");
    CHECK(locus_table_rows(t) == 0 && locus_table_blank(t), "blank image: 0 rows, blank");
    CHECK(locus_table_cols(t) == 8, "blank image: 8 columns still");
    /* a flat non-zero image is blank after the band pass too */
    static uint16_t flat[32 * 32];
    for (int i = 0; i < 32 * 32; i++)
        flat[i] = 1234;
    blank = make_image(flat, LOCUS_U16, 2, 32, 32, 0);
    CHECK(locus_locate(ws, &p, &blank, t, &err) == LOCUS_OK && locus_table_rows(t) == 0,
          "flat image: 0 rows");
    /* a non-blank image clears the flag */
    CHECK(locus_locate(ws, &p, &img, t, &err) == LOCUS_OK, "then spots: locate runs");
    CHECK(!locus_table_blank(t) && locus_table_rows(t) == NSPOTS, "then spots: not blank");

    /* the stats trackpy's warnings are made from */
    locus_locate_stats st;
    locus_table_locate_stats(t, &st);
    CHECK(!st.blank && st.candidates >= NSPOTS && !st.maxima_in_margins &&
              st.refined >= st.features && st.features == NSPOTS,
          "stats of the spots: candidates, refined, features");
    static uint8_t edge[32 * 32];
    memset(edge, 1, sizeof edge);
    edge[1 * 32 + 1] = 100;
    locus_params raw = params_d(7);
    raw.preprocess = 0;
    locus_image edge_img = make_image(edge, LOCUS_U8, 2, 32, 32, 0);
    CHECK(locus_locate(ws, &raw, &edge_img, t, &err) == LOCUS_OK && locus_table_rows(t) == 0,
          "a maximum in the margins: 0 rows");
    locus_table_locate_stats(t, &st);
    CHECK(!st.blank && st.candidates == 0 && st.maxima_in_margins,
          "stats: no candidate, maxima in the margins");
    memset(edge, 5, sizeof edge);
    CHECK(locus_locate(ws, &raw, &edge_img, t, &err) == LOCUS_OK, "flat 5s without preprocess");
    locus_table_locate_stats(t, &st);
    CHECK(!st.blank && st.candidates == 0 && !st.maxima_in_margins,
          "stats: a flat image has no local maximum at all");
    locus_params heavy = params_d(7);
    heavy.minmass = 1e12;
    CHECK(locus_locate(ws, &heavy, &img, t, &err) == LOCUS_OK && locus_table_rows(t) == 0,
          "minmass 1e12: 0 rows");
    locus_table_locate_stats(t, &st);
    CHECK(st.candidates > 0 && st.refined > 0 && st.features == 0,
          "stats: refined features, none past the filter");

    locus_table_free(fresh);
    locus_table_free(t);
    locus_workspace_free(ws);
}

static void test_filters(void)
{
    locus_params p = params_d(7);
    locus_image img = make_image(img8, LOCUS_U8, 2, NY, NX, 0);
    locus_table *all = locus_table_create(), *t = locus_table_create();
    CHECK(locate_fresh(&p, &img, all) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    size_t n = locus_table_rows(all);
    const double *m = col(all, "mass"), *sz = col(all, "size");

    /* topn 2: the two largest masses, ascending */
    double m1 = -1, m2 = -1; /* largest, second */
    for (size_t r = 0; r < n; r++) {
        if (m[r] > m1) {
            m2 = m1;
            m1 = m[r];
        } else if (m[r] > m2) {
            m2 = m[r];
        }
    }
    p.topn = 2;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    const double *tm = col(t, "mass");
    CHECK(locus_table_rows(t) == 2 && tm[0] == m2 && tm[1] == m1,
          "topn 2: the two heaviest, ascending (%g %g)", m2, m1);
    p.topn = 1;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == 1 && col(t, "mass")[0] == m1, "topn 1: the heaviest");
    p.topn = (long)n;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(tables_equal(t, all), "topn = count: unchanged (raster order)");
    p.topn = 100;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(tables_equal(t, all), "topn > count: unchanged");
    p.topn = 0;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    {
        /* trackpy keeps the last -0 of the rows sorted by mass: all, sorted */
        const double *t0 = col(t, "mass");
        int sorted = locus_table_rows(t) == n;
        for (size_t r = 0; sorted && r < n; r++) {
            size_t below = 0, same = 0; /* t0[r] is the r-th smallest of m */
            for (size_t q = 0; q < n; q++)
                below += m[q] < t0[r], same += m[q] == t0[r];
            sorted = same > 0 && below <= r && r < below + same;
        }
        CHECK(sorted, "topn 0: every row, in ascending order of mass");
    }
    p.topn = -1;

    /* minmass: strict. minmass = the mass of one feature drops it */
    size_t k = 0;
    for (size_t r = 0; r < n; r++)
        if (m[r] < m[k])
            k = r;
    double lightest = m[k];
    p.minmass = lightest;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == n - 1, "minmass = a feature's mass drops it (mass > minmass)");
    p.minmass = nextafter(lightest, -INFINITY);
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == n, "minmass just below keeps it");
    p.minmass = m1;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == 0, "minmass = the largest mass: nothing left");
    p.minmass = 0;

    /* maxsize: strict */
    size_t big = 0;
    for (size_t r = 0; r < n; r++)
        if (sz[r] > sz[big])
            big = r;
    p.maxsize = sz[big];
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == n - 1, "maxsize = a feature's size drops it (size < maxsize)");
    p.maxsize = nextafter(sz[big], INFINITY);
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(locus_table_rows(t) == n, "maxsize just above keeps it");
    p.maxsize = NAN;

    /* characterize off: y, x, mass only, the same values */
    p.characterize = 0;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    int same = locus_table_cols(t) == 3 && locus_table_rows(t) == n &&
               strcmp(locus_table_name(t, 2), "mass") == 0;
    for (int c = 0; same && c < 3; c++)
        same =
            memcmp(locus_table_column(t, c), locus_table_column(all, c), n * sizeof(double)) == 0;
    CHECK(same, "characterize off: columns y, x, mass, values as with it on");
    p.characterize = 1;

    /* preprocess off on an integer image: I is the raw image, scale 1, so
     * mass (Σ I over the mask) equals raw_mass (Σ raw over the same mask) */
    p.preprocess = 0;
    CHECK(locate_fresh(&p, &img, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    const double *pm = col(t, "mass"), *prm = col(t, "raw_mass");
    int eq = locus_table_rows(t) > 0;
    for (size_t r = 0; r < locus_table_rows(t); r++)
        eq &= pm[r] == prm[r];
    CHECK(eq, "preprocess off: mass == raw_mass (%zu rows)", locus_table_rows(t));
    /* without the band pass the flat background (10) inside the mask
     * pulls each centroid toward its integer pixel: about 0.1-0.2 px */
    check_spots(t, spots2, NSPOTS, 2, 0.3, "preprocess off");
    const double *pep = col(t, "ep");
    CHECK(isnan(pep[0]), "preprocess off: I = raw has no zero pixel, so no background: ep NaN");
    p.preprocess = 1;

    /* invert: the inverted image with invert=1 is the original */
    static uint8_t inv[NY * NX];
    for (size_t i = 0; i < NY * NX; i++)
        inv[i] = (uint8_t)(255 - img8[i]);
    locus_image iimg = make_image(inv, LOCUS_U8, 2, NY, NX, 0);
    p.invert = 1;
    CHECK(locate_fresh(&p, &iimg, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(tables_equal(t, all), "invert of the inverted image == the original");
    p.invert = 0;

    /* a strided view (every other column of a wider buffer, rows
     * reversed) of a flipped copy gives the same table */
    static uint8_t wide[NY][2 * NX];
    for (size_t y = 0; y < NY; y++)
        for (size_t x = 0; x < NX; x++) {
            wide[NY - 1 - y][2 * x] = img8[y * NX + x];
            wide[NY - 1 - y][2 * x + 1] = 255;
        }
    locus_image simg = make_image(wide[NY - 1], LOCUS_U8, 2, NY, NX, 0);
    simg.strides[0] = -(ptrdiff_t)sizeof wide[0];
    simg.strides[1] = 2;
    CHECK(locate_fresh(&p, &simg, t) == LOCUS_OK, "locate runs (line %d)", __LINE__);
    CHECK(tables_equal(t, all), "strided, row-reversed view == contiguous image");

    locus_table_free(all);
    locus_table_free(t);
}

int main(void)
{
    make_images();
    test_spots();
    test_noisy();
    test_types();
    test_reuse();
    test_volume();
    test_errors_and_blank();
    test_filters();
    return check_done();
}

/*
 * Parameters (LOCATE.md §1, §5 margins and box sizes, §10 columns):
 * trackpy's defaults, the errors locus_params_check reports, the per-axis
 * values locus_params_resolve derives, and locus_columns. Expected values are
 * worked out by hand next to each check.
 */
#include "check.h"
#include "locate/plan.h"

#include <math.h>
#include <string.h>

static void set_axes(locus_axes *a, int count, double v0, double v1, double v2)
{
    a->count = count;
    a->v[0] = v0;
    a->v[1] = v1;
    a->v[2] = v2;
}

/* locus_params_check fails with LOCUS_E_PARAM, in both the return value
 * and err->status, and the message contains `needle`. */
static void expect_error(const locus_params *p, int nd, const char *needle, const char *what)
{
    locus_error err;
    memset(&err, 0, sizeof err);
    int rc = locus_params_check(p, nd, &err);
    CHECK(rc == LOCUS_E_PARAM && err.status == LOCUS_E_PARAM, "%s: LOCUS_E_PARAM (rc %d)", what,
          rc);
    CHECK(strstr(err.message, needle) != NULL, "%s: message names '%s' (\"%s\")", what, needle,
          err.message);
}

static void expect_ok(const locus_params *p, int nd, const char *what)
{
    locus_error err;
    memset(&err, 0, sizeof err);
    int rc = locus_params_check(p, nd, &err);
    CHECK(rc == LOCUS_OK, "%s: accepted (rc %d, \"%s\")", what, rc, rc ? err.message : "");
}

static void test_defaults(void)
{
    locus_params p;
    memset(&p, 0x5a, sizeof p); /* garbage that init must overwrite */
    locus_params_init(&p);
    CHECK(p.diameter.count == 0, "default diameter unset (required)");
    CHECK(p.minmass == 0, "default minmass 0");
    CHECK(isnan(p.maxsize) || p.maxsize <= 0, "default maxsize none");
    CHECK(p.separation.count == 0, "default separation: diameter + 1 (count 0)");
    CHECK(p.noise_size.count == 0, "default noise_size: 1 (count 0)");
    CHECK(p.smoothing_size.count == 0, "default smoothing_size: diameter (count 0)");
    CHECK(isnan(p.threshold), "default threshold: by image type (NaN)");
    CHECK(p.invert == 0, "default invert false");
    CHECK(p.percentile == 64, "default percentile 64");
    CHECK(p.topn < 0, "default topn none");
    CHECK(p.preprocess == 1, "default preprocess true");
    CHECK(p.max_iterations == 10, "default max_iterations 10");
    CHECK(p.characterize == 1, "default characterize true");

    /* The defaults resolved for diameter 5 in 2-D: separation 5 + 1 = 6,
     * noise_size 1, smoothing_size 5. */
    resolved_params rp;
    set_axes(&p.diameter, 1, 5, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK, "diameter 5 resolves");
    CHECK(rp.separation[0] == 6 && rp.separation[1] == 6, "default separation 6 = 5 + 1");
    CHECK(rp.noise_size[0] == 1 && rp.noise_size[1] == 1, "default noise_size 1");
    CHECK(rp.smoothing[0] == 5 && rp.smoothing[1] == 5, "default smoothing_size 5 = diameter");
    CHECK(rp.radius[0] == 2 && rp.radius[1] == 2, "radius 5 // 2 = 2");
    CHECK(rp.max_iterations == 10, "max_iterations 10");
    CHECK(rp.isotropic && rp.isotropic_noise && !rp.aniso_size && !rp.aniso_ep, "isotropic flags");
    CHECK(!rp.has_maxsize, "no maxsize by default");
    CHECK(rp.dedupe, "dedupe on (separation > 0)");

    /* max_iterations < 1 acts as 1 */
    p.max_iterations = 0;
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.max_iterations == 1,
          "max_iterations 0 acts as 1");
    p.max_iterations = -5;
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.max_iterations == 1,
          "max_iterations -5 acts as 1");

    /* separation 0 on an axis: no duplicate removal */
    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.separation, 2, 0, 6, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && !rp.dedupe,
          "separation 0 on one axis turns duplicate removal off");
}

static void test_errors(void)
{
    locus_params p;

    locus_params_init(&p);
    expect_error(&p, 2, "diameter", "diameter unset");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 4, 0, 0);
    expect_error(&p, 2, "diameter must be odd", "even diameter 4");

    locus_params_init(&p);
    set_axes(&p.diameter, 2, 5, 6, 0);
    expect_error(&p, 2, "diameter must be odd", "diameter (5, 6)");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 1, 0, 0);
    expect_error(&p, 2, "diameter", "diameter 1");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5.5, 0, 0);
    expect_error(&p, 2, "diameter", "diameter 5.5");

    locus_params_init(&p);
    set_axes(&p.diameter, 3, 5, 5, 5);
    expect_error(&p, 2, "diameter", "3 diameter values on a 2-D image");
    expect_ok(&p, 3, "3 diameter values on a 3-D image");

    locus_params_init(&p);
    set_axes(&p.diameter, 2, 5, 5, 0);
    expect_error(&p, 3, "diameter", "2 diameter values on a 3-D image");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.noise_size, 1, 5, 0, 0);
    expect_error(&p, 2, "noise_size", "noise_size 5 == smoothing_size 5");
    set_axes(&p.noise_size, 1, 6, 0, 0);
    expect_error(&p, 2, "noise_size", "noise_size 6 > smoothing_size 5");
    set_axes(&p.noise_size, 1, 4.9, 0, 0);
    expect_ok(&p, 2, "noise_size 4.9 < smoothing_size 5");
    set_axes(&p.noise_size, 2, 1, 5, 0);
    expect_error(&p, 2, "noise_size", "noise_size (1, 5) with smoothing_size 5");
    set_axes(&p.noise_size, 1, 1, 0, 0);
    set_axes(&p.smoothing_size, 2, 9, 3, 0);
    set_axes(&p.noise_size, 2, 4, 3, 0);
    expect_error(&p, 2, "noise_size", "noise_size (4, 3) with smoothing_size (9, 3)");
    set_axes(&p.noise_size, 2, 4, 2.5, 0);
    expect_ok(&p, 2, "noise_size (4, 2.5) with smoothing_size (9, 3)");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.smoothing_size, 1, 4, 0, 0);
    expect_error(&p, 2, "smoothing_size", "even smoothing_size 4");
    set_axes(&p.smoothing_size, 1, 1, 0, 0);
    set_axes(&p.noise_size, 1, 0.5, 0, 0);
    expect_ok(&p, 2, "smoothing_size 1 (no background) with noise_size 0.5");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.separation, 1, -1, 0, 0);
    expect_error(&p, 2, "separation", "negative separation");
    set_axes(&p.separation, 2, 6, -0.5, 0);
    expect_error(&p, 2, "separation", "separation (6, -0.5)");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    p.percentile = 101;
    expect_error(&p, 2, "percentile", "percentile 101");
    p.percentile = -1;
    expect_error(&p, 2, "percentile", "percentile -1");
    p.percentile = 100;
    expect_ok(&p, 2, "percentile 100");
    p.percentile = 0;
    expect_ok(&p, 2, "percentile 0");

    locus_params_init(&p);
    set_axes(&p.diameter, 2, 5, 7, 0);
    p.maxsize = 3;
    expect_error(&p, 2, "maxsize", "maxsize with diameter (5, 7)");
    p.maxsize = NAN;
    expect_ok(&p, 2, "diameter (5, 7) without maxsize");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    p.maxsize = 3;
    expect_ok(&p, 2, "maxsize with an isotropic diameter");
    p.characterize = 0;
    expect_error(&p, 2, "maxsize", "maxsize with characterize off");
    p.maxsize = NAN;
    expect_ok(&p, 2, "characterize off without maxsize");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    CHECK(locus_params_check(&p, 4, NULL) == LOCUS_E_PARAM, "4 axes rejected");
    CHECK(locus_params_check(&p, 1, NULL) == LOCUS_E_PARAM, "1 axis rejected");
}

static void test_resolve(void)
{
    locus_params p;
    resolved_params rp;

    /* Diameter 13, 2-D: r = 6, separation 14, smoothing 13.
     * box = int(2 * 14 / sqrt 2) = int(19.799) = 19;
     * margin = max(r 6, floor(14 / 2) - 1 = 6, 13 // 2 = 6) = 6. */
    locus_params_init(&p);
    set_axes(&p.diameter, 1, 13, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK, "diameter 13 resolves");
    for (int a = 0; a < 2; a++) {
        CHECK(rp.radius[a] == 6, "d13 radius[%d] %d == 6", a, rp.radius[a]);
        CHECK(rp.box[a] == 19, "d13 box[%d] %d == 19", a, rp.box[a]);
        CHECK(rp.margin[a] == 6, "d13 margin[%d] %d == 6", a, rp.margin[a]);
        CHECK(rp.smoothing[a] == 13, "d13 smoothing[%d] %d == 13", a, rp.smoothing[a]);
    }

    /* Diameter 5, separation 9.5: margin = max(2, floor(9.5 / 2) - 1 =
     * floor(4.75) - 1 = 3, 5 // 2 = 2) = 3; box = int(19 / 1.41421) =
     * int(13.435) = 13. */
    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.separation, 1, 9.5, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK, "separation 9.5 resolves");
    CHECK(rp.margin[0] == 3 && rp.margin[1] == 3, "separation 9.5: margin %d %d == 3", rp.margin[0],
          rp.margin[1]);
    CHECK(rp.box[0] == 13 && rp.box[1] == 13, "separation 9.5: box %d %d == 13", rp.box[0],
          rp.box[1]);

    /* Separation 20 with diameter 5: margin = max(2, 10 - 1 = 9, 2) = 9. */
    set_axes(&p.separation, 1, 20, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.margin[0] == 9 &&
              rp.margin[1] == 9,
          "separation 20: margin %d == 9", rp.margin[0]);
    /* box = int(40 / 1.41421) = int(28.28) = 28 (even) */
    CHECK(rp.box[0] == 28, "separation 20: box %d == 28", rp.box[0]);

    /* Diameter 3, smoothing 9: margin = max(1, floor(4 / 2) - 1 = 1,
     * 9 // 2 = 4) = 4. */
    locus_params_init(&p);
    set_axes(&p.diameter, 1, 3, 0, 0);
    set_axes(&p.smoothing_size, 1, 9, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.margin[0] == 4 &&
              rp.margin[1] == 4,
          "smoothing 9: margin %d == 4", rp.margin[0]);

    /* Separation 0.5: box = int(1 / 1.41421) = 0, treated as 1 pixel. */
    set_axes(&p.separation, 1, 0.5, 0, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.box[0] == 1,
          "separation 0.5: box %d == 1", rp.box[0]);

    /* 3-D, diameter (5, 7, 7): separation (6, 8, 8);
     * box = int(12 / 1.73205) = int(6.93) = 6, int(16 / 1.73205) =
     * int(9.24) = 9; margin = max(2, 3 - 1, 2) = 2, max(3, 4 - 1, 3) = 3. */
    locus_params_init(&p);
    set_axes(&p.diameter, 3, 5, 7, 7);
    CHECK(locus_params_resolve(&p, 3, &rp, NULL) == LOCUS_OK, "3-D (5, 7, 7) resolves");
    CHECK(rp.box[0] == 6 && rp.box[1] == 9 && rp.box[2] == 9, "3-D box %d %d %d == 6 9 9",
          rp.box[0], rp.box[1], rp.box[2]);
    CHECK(rp.margin[0] == 2 && rp.margin[1] == 3 && rp.margin[2] == 3,
          "3-D margin %d %d %d == 2 3 3", rp.margin[0], rp.margin[1], rp.margin[2]);
    CHECK(rp.radius[0] == 2 && rp.radius[1] == 3 && rp.radius[2] == 3, "3-D radius 2 3 3");
    CHECK(!rp.isotropic && rp.aniso_size && rp.aniso_ep, "3-D (5, 7, 7) anisotropic");

    /* Isotropic diameter, anisotropic noise_size: size single, ep per axis. */
    locus_params_init(&p);
    set_axes(&p.diameter, 1, 7, 0, 0);
    set_axes(&p.noise_size, 2, 1, 1.5, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.isotropic &&
              !rp.isotropic_noise && !rp.aniso_size && rp.aniso_ep,
          "noise_size (1, 1.5): isotropic size, anisotropic ep");
    CHECK(rp.noise_size[0] == 1 && rp.noise_size[1] == 1.5, "noise_size per axis kept");

    /* Per-axis separation given as 2 values */
    set_axes(&p.separation, 2, 4, 10, 0);
    CHECK(locus_params_resolve(&p, 2, &rp, NULL) == LOCUS_OK && rp.separation[0] == 4 &&
              rp.separation[1] == 10,
          "separation (4, 10) kept per axis");
    /* box = int(8 / 1.41421) = 5, int(20 / 1.41421) = 14;
     * margin = max(3, 2 - 1, 3) = 3, max(3, 5 - 1 = 4, 3) = 4 */
    CHECK(rp.box[0] == 5 && rp.box[1] == 14, "separation (4, 10): box %d %d == 5 14", rp.box[0],
          rp.box[1]);
    CHECK(rp.margin[0] == 3 && rp.margin[1] == 4, "separation (4, 10): margin %d %d == 3 4",
          rp.margin[0], rp.margin[1]);
}

static void expect_columns(const locus_params *p, int nd, const char *const *want, int nwant,
                           const char *what)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int n = locus_columns(p, nd, names);
    CHECK(n == nwant, "%s: %d columns (want %d)", what, n, nwant);
    int same = n == nwant;
    for (int i = 0; same && i < n; i++)
        same = strcmp(names[i], want[i]) == 0;
    CHECK(same, "%s: column names in order", what);
}

static void test_columns(void)
{
    locus_params p;

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    static const char *const iso2[] = {"y", "x", "mass", "size", "ecc", "signal", "raw_mass", "ep"};
    expect_columns(&p, 2, iso2, 8, "2-D isotropic");

    set_axes(&p.diameter, 2, 5, 7, 0);
    static const char *const aniso2[] = {"y",   "x",      "mass",     "size_y", "size_x",
                                         "ecc", "signal", "raw_mass", "ep_y",   "ep_x"};
    expect_columns(&p, 2, aniso2, 10, "2-D anisotropic diameter");

    /* (5, 5) given as two values is isotropic */
    set_axes(&p.diameter, 2, 5, 5, 0);
    expect_columns(&p, 2, iso2, 8, "2-D diameter (5, 5)");

    set_axes(&p.diameter, 1, 5, 0, 0);
    set_axes(&p.noise_size, 2, 1, 2, 0);
    static const char *const anoise2[] = {"y",      "x",        "mass", "size", "ecc",
                                          "signal", "raw_mass", "ep_y", "ep_x"};
    expect_columns(&p, 2, anoise2, 9, "2-D isotropic diameter, noise_size (1, 2)");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    static const char *const iso3[] = {"z",   "y",      "x",        "mass", "size",
                                       "ecc", "signal", "raw_mass", "ep"};
    expect_columns(&p, 3, iso3, 9, "3-D isotropic");

    set_axes(&p.diameter, 3, 3, 5, 5);
    static const char *const aniso3[] = {"z",      "y",      "x",   "mass",   "size_z",
                                         "size_y", "size_x", "ecc", "signal", "raw_mass",
                                         "ep_z",   "ep_y",   "ep_x"};
    expect_columns(&p, 3, aniso3, 13, "3-D anisotropic");

    locus_params_init(&p);
    set_axes(&p.diameter, 1, 5, 0, 0);
    p.characterize = 0;
    static const char *const off2[] = {"y", "x", "mass"};
    static const char *const off3[] = {"z", "y", "x", "mass"};
    expect_columns(&p, 2, off2, 3, "2-D characterize off");
    expect_columns(&p, 3, off3, 4, "3-D characterize off");
    set_axes(&p.diameter, 2, 5, 9, 0);
    expect_columns(&p, 2, off2, 3, "2-D anisotropic, characterize off");

    const char *names[LOCUS_MAX_COLUMNS];
    locus_params_init(&p);
    set_axes(&p.diameter, 1, 4, 0, 0);
    CHECK(locus_columns(&p, 2, names) == -1, "locus_columns: -1 for invalid parameters");
}

int main(void)
{
    test_defaults();
    test_errors();
    test_resolve();
    test_columns();
    return check_done();
}

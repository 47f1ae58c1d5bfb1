/*
 * Duplicate removal (LOCATE.md §7) on features set by hand: the smaller
 * mass goes; on equal mass the smaller Σ p/separation; on a full tie the
 * earlier; all pairs judged at once (not greedily); the (1 - 1e-7)
 * boundary; anisotropic and 3-D separations; and a brute-force O(n²)
 * oracle on random features.
 */
#include "check.h"
#include "locate/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t pixels[64 * 64 * 16];

/* A workspace planned for a 64x64 (or 16x64x64) image with these
 * separations (one value, or one per axis). */
static locus_workspace *planned(int nd, int nsep, const double *sep)
{
    locus_image img;
    memset(&img, 0, sizeof img);
    img.data = pixels;
    img.dtype = LOCUS_U8;
    img.ndim = nd;
    img.shape[0] = nd == 3 ? 16 : 64;
    img.shape[1] = 64;
    img.shape[2] = 64;
    locus_image_set_contiguous(&img);
    locus_params p;
    locus_params_init(&p);
    p.diameter.count = 1;
    p.diameter.v[0] = 5;
    p.separation.count = nsep;
    for (int a = 0; a < nsep; a++)
        p.separation.v[a] = sep[a];
    locus_workspace *ws = locus_workspace_create();
    locus_error err;
    if (locus_plan_build(&ws->pl, &p, &img, &err)) {
        CHECK(0, "locus_plan_build failed: %s", err.message);
        locus_workspace_free(ws);
        return NULL;
    }
    ws->planned = 1;
    /* every feature passes the mass filter, so every one is judged (the
     * rules on the full set); test_minmass sets minmass itself */
    ws->pl.params.minmass = -INFINITY;
    return ws;
}

/* 2-D feature list: {y, x, mass}; `centre` tags each feature with its
 * original index. */
static void set_features(locus_workspace *ws, const double (*f)[4], size_t n, int nd)
{
    locus_mem_reserve((void **)&ws->feat, &ws->feat_cap, (n ? n : 1) * sizeof(feature));
    for (size_t i = 0; i < n; i++) {
        feature *g = &ws->feat[i];
        memset(g, 0, sizeof *g);
        if (nd == 2) {
            g->pos[1] = f[i][0];
            g->pos[2] = f[i][1];
            g->mass = f[i][2];
        } else {
            g->pos[0] = f[i][0];
            g->pos[1] = f[i][1];
            g->pos[2] = f[i][2];
            g->mass = f[i][3];
        }
        g->centre = i;
    }
    ws->nfeat = n;
}

/* Mark the duplicates and keep the rest in ws->feat in order (as the
 * filters of §8 do). */
static int dedupe(locus_workspace *ws)
{
    size_t n = ws->nfeat, k = 0;
    int rc = locus_duplicates_mark(ws, 1.0);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (!ws->drop[i])
            ws->feat[k++] = ws->feat[i];
    ws->nfeat = k;
    return LOCUS_OK;
}

/* Run and compare the survivors' tags with `want` (in order). */
static void expect_kept(locus_workspace *ws, const size_t *want, size_t nwant, const char *what)
{
    CHECK(dedupe(ws) == LOCUS_OK, "%s: runs", what);
    int same = ws->nfeat == nwant;
    for (size_t i = 0; same && i < nwant; i++)
        same = ws->feat[i].centre == want[i];
    char got[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < ws->nfeat && len < 200; i++)
        len += (size_t)snprintf(got + len, sizeof got - len, " %zu", ws->feat[i].centre);
    CHECK(same, "%s: kept [%s ] (%zu)", what, got, ws->nfeat);
}

static void test_rules(void)
{
    double six = 6;
    locus_workspace *ws = planned(2, 1, &six);

    /* distance 3 < 6: the smaller mass (B, 3) goes */
    static const double a[][4] = {{10, 10, 5}, {10, 13, 3}};
    set_features(ws, a, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "smaller mass dropped (second)");
    static const double a2[][4] = {{10, 10, 3}, {10, 13, 5}};
    set_features(ws, a2, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "smaller mass dropped (first)");

    /* far apart (distance 7 > 6): both stay */
    static const double far[][4] = {{10, 10, 5}, {10, 17, 3}};
    set_features(ws, far, 2, 2);
    expect_kept(ws, (size_t[]){0, 1}, 2, "7 px apart with separation 6: both kept");

    /* equal masses: Σ p/sep is 20/6 for A, 23/6 for B -> A (smaller) goes,
     * whichever comes first */
    static const double b[][4] = {{10, 10, 5}, {10, 13, 5}};
    set_features(ws, b, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "equal mass: smaller coordinate sum dropped (first)");
    static const double b2[][4] = {{10, 13, 5}, {10, 10, 5}};
    set_features(ws, b2, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "equal mass: smaller coordinate sum dropped (second)");

    /* full tie: (10,13) and (13,10), equal mass, equal sums 23/6, distance
     * sqrt(18) = 4.24 < 6 -> the earlier goes */
    static const double c[][4] = {{10, 13, 5}, {13, 10, 5}};
    set_features(ws, c, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "full tie: the earlier dropped");
    static const double c2[][4] = {{13, 10, 5}, {10, 13, 5}};
    set_features(ws, c2, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "full tie, reversed: the earlier dropped");

    /* chain A-B-C, 4 px steps: A-B and B-C are pairs, A-C (8 px) is not.
     * B (5) loses to A (9); C (3) loses to B even though B is dropped:
     * only A remains (greedy would keep A and C). */
    static const double d[][4] = {{10, 10, 9}, {10, 14, 5}, {10, 18, 3}};
    set_features(ws, d, 3, 2);
    expect_kept(ws, (size_t[]){0}, 1, "chain: C dropped by the dropped B");
    /* the chain in another order, and diagonally */
    static const double d2[][4] = {{20, 38, 3}, {20, 30, 9}, {20, 34, 5}};
    set_features(ws, d2, 3, 2);
    expect_kept(ws, (size_t[]){1}, 1, "chain, shuffled order");
    /* C stronger than B: B dropped by both, A and C stay */
    static const double d3[][4] = {{10, 10, 9}, {10, 14, 5}, {10, 18, 7}};
    set_features(ws, d3, 3, 2);
    expect_kept(ws, (size_t[]){0, 2}, 2, "chain with strong ends: the middle goes");

    /* order of the survivors is kept */
    static const double e[][4] = {{50, 50, 1}, {5, 5, 2}, {30, 40, 3}, {5, 8, 1}, {60, 2, 4}};
    set_features(ws, e, 5, 2);
    expect_kept(ws, (size_t[]){0, 1, 2, 4}, 4, "survivors keep their order");

    /* no features, one feature */
    set_features(ws, e, 0, 2);
    expect_kept(ws, NULL, 0, "no features");
    set_features(ws, e, 1, 2);
    expect_kept(ws, (size_t[]){0}, 1, "one feature");
    locus_workspace_free(ws);
}

static void test_boundary(void)
{
    /* separation 2 (a power of two: p/2 is exact). B at x = 2 (1 - 1e-7):
     * scaled distance exactly 1 - 1e-7, squared as (1 - 1e-7)² -> a pair */
    double two = 2;
    locus_workspace *ws = planned(2, 1, &two);
    double edge = 2 * (1 - 1e-7);
    double f[][4] = {{5, 0, 4}, {5, edge, 3}};
    set_features(ws, f, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "distance (1 - 1e-7) sep: duplicates");
    /* a hair further: not */
    f[1][1] = nextafter(edge, 10);
    set_features(ws, f, 2, 2);
    expect_kept(ws, (size_t[]){0, 1}, 2, "distance just over (1 - 1e-7) sep: not duplicates");
    f[1][1] = 2 * (1 - 0.5e-7);
    set_features(ws, f, 2, 2);
    expect_kept(ws, (size_t[]){0, 1}, 2, "distance (1 - 0.5e-7) sep: not duplicates");
    /* exactly the separation: not duplicates */
    f[1][1] = 2;
    set_features(ws, f, 2, 2);
    expect_kept(ws, (size_t[]){0, 1}, 2, "distance = separation: not duplicates");
    /* the same along y */
    double g[][4] = {{0, 7, 4}, {edge, 7, 3}};
    set_features(ws, g, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "along y at (1 - 1e-7) sep: duplicates");
    locus_workspace_free(ws);
}

static void test_anisotropic(void)
{
    /* separation (y 2, x 8) */
    double sep[2] = {2, 8};
    locus_workspace *ws = planned(2, 2, sep);
    /* dx 5: (5/8)² = 0.39 -> pair */
    static const double a[][4] = {{10, 10, 5}, {10, 15, 3}};
    set_features(ws, a, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "aniso: 5 px along x (sep 8) is a pair");
    /* dy 2.5: (2.5/2)² = 1.56 -> not */
    static const double b[][4] = {{10, 10, 5}, {12.5, 10, 3}};
    set_features(ws, b, 2, 2);
    expect_kept(ws, (size_t[]){0, 1}, 2, "aniso: 2.5 px along y (sep 2) is not a pair");
    /* dy 1.5: 0.5625 -> pair */
    static const double b2[][4] = {{10, 10, 5}, {11.5, 10, 3}};
    set_features(ws, b2, 2, 2);
    expect_kept(ws, (size_t[]){0}, 1, "aniso: 1.5 px along y is a pair");
    /* (1, 4): 0.25 + 0.25 = 0.5 -> pair; (1.6, 5): 0.64 + 0.39 = 1.03 -> not */
    static const double c[][4] = {{10, 10, 5}, {11, 14, 3}, {30, 30, 5}, {31.6, 35, 3}};
    set_features(ws, c, 4, 2);
    expect_kept(ws, (size_t[]){0, 2, 3}, 3, "aniso: diagonal pair and non-pair");
    /* equal masses: sums y/2 + x/8: (10,10) -> 6.25, (11,6) -> 6.25:
     * a full tie, distance (0.5² + 0.5²) -> the earlier goes */
    static const double d[][4] = {{10, 10, 5}, {11, 6, 5}};
    set_features(ws, d, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "aniso: full tie on scaled sums, the earlier dropped");
    /* equal masses: (10,10) sums to 6.25, (10.5,9) to 5.25 + 1.125 = 6.375;
     * distance 0.25² + 0.125² -> a pair, and (10,10) goes */
    static const double e[][4] = {{10, 10, 5}, {10.5, 9, 5}};
    set_features(ws, e, 2, 2);
    expect_kept(ws, (size_t[]){1}, 1, "aniso: equal mass, scaled sum decides");
    locus_workspace_free(ws);

    /* 3-D, separation (z 4, y 6, x 6) */
    double s3[3] = {4, 6, 6};
    ws = planned(3, 3, s3);
    /* dz 3: 0.5625 -> pair; dz 4.5: 1.27 -> not; (2, 3, 3): 0.25 + 0.25 + 0.25 -> pair */
    static const double f[][4] = {{5, 10, 10, 5},   {8, 10, 10, 3}, {5, 30, 30, 3},
                                  {9.5, 30, 30, 5}, {5, 50, 50, 5}, {7, 53, 53, 6}};
    set_features(ws, f, 6, 3);
    expect_kept(ws, (size_t[]){0, 2, 3, 5}, 4, "3-D separation (4, 6, 6)");
    locus_workspace_free(ws);
}

/* Brute force over all pairs, straight from the spec. */
static void brute(const feature *f, size_t n, const double sep[3], int nd, unsigned char *drop)
{
    const double close = (1 - 1e-7) * (1 - 1e-7);
    memset(drop, 0, n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dd = 0, si = 0, sj = 0;
            for (int a = 3 - nd; a < 3; a++) {
                double d = f[j].pos[a] / sep[a] - f[i].pos[a] / sep[a];
                dd += d * d;
                si += f[i].pos[a] / sep[a];
                sj += f[j].pos[a] / sep[a];
            }
            if (!(dd <= close))
                continue;
            size_t lose;
            if (f[i].mass != f[j].mass)
                lose = f[i].mass < f[j].mass ? i : j;
            else if (si != sj)
                lose = si < sj ? i : j;
            else
                lose = i;
            drop[lose] = 1;
        }
}

static uint64_t rng_state = 0xB7E151628AED2A6Bull;
static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void random_case(int nd, const double *sep, size_t n, int grid, const char *what)
{
    double s[3] = {1, 1, 1};
    for (int a = 0; a < nd; a++)
        s[3 - nd + a] = sep[a];
    locus_workspace *ws = planned(nd, nd, sep);
    /* about one neighbour within the separation per feature */
    double span = nd == 2 ? 400 : 120;
    locus_mem_reserve((void **)&ws->feat, &ws->feat_cap, n * sizeof(feature));
    feature *copy = malloc(n * sizeof *copy);
    unsigned char *drop = malloc(n);
    for (size_t i = 0; i < n; i++) {
        feature *g = &ws->feat[i];
        memset(g, 0, sizeof *g);
        for (int a = 3 - nd; a < 3; a++)
            /* grid: positions on a coarse lattice so that coordinate sums
             * tie, and some pairs sit exactly at a lattice distance */
            g->pos[a] = grid ? floor(uniform() * span) * 0.5 : uniform() * span * 0.5;
        g->mass = floor(uniform() * (grid ? 3 : 50));
        g->centre = i;
        copy[i] = *g;
    }
    ws->nfeat = n;
    brute(copy, n, s, nd, drop);
    size_t ndrop = 0;
    for (size_t i = 0; i < n; i++)
        ndrop += drop[i];
    dedupe(ws);
    int same = 1;
    size_t k = 0;
    for (size_t i = 0; i < n && same; i++)
        if (!drop[i])
            same = k < ws->nfeat && ws->feat[k++].centre == i;
    same &= k == ws->nfeat;
    CHECK(ndrop > 0 && ndrop < n, "%s: the oracle drops %zu of %zu", what, ndrop, n);
    CHECK(same, "%s: survivors equal the brute force (%zu kept)", what, ws->nfeat);
    locus_workspace_free(ws);
    free(copy);
    free(drop);
}

static void test_random(void)
{
    double iso[3] = {6, 6, 0}, aniso[3] = {3, 9, 0}, s3[3] = {4, 6, 5};
    random_case(2, iso, 300, 0, "random 2-D separation 6");
    random_case(2, aniso, 300, 0, "random 2-D separation (3, 9)");
    random_case(2, iso, 300, 1, "lattice 2-D separation 6 (ties)");
    random_case(2, aniso, 200, 1, "lattice 2-D separation (3, 9) (ties)");
    random_case(3, s3, 400, 0, "random 3-D separation (4, 6, 5)");
    random_case(3, s3, 400, 1, "lattice 3-D separation (4, 6, 5) (ties)");
}

/*
 * Judging only the features that pass minmass (and NaN masses) marks the
 * same features among those that pass as judging all of them: random
 * features, some of NaN mass, a minmass that about half fail, scales of
 * 1 and 3; and a NaN-mass partner that drops a passing feature is still
 * judged.
 */
static void minmass_case(size_t n, double minmass, double scale, int nans, const char *what)
{
    double sep[3] = {6, 6, 0};
    locus_workspace *ws = planned(2, 2, sep);
    locus_mem_reserve((void **)&ws->feat, &ws->feat_cap, n * sizeof(feature));
    for (size_t i = 0; i < n; i++) {
        feature *g = &ws->feat[i];
        memset(g, 0, sizeof *g);
        g->pos[1] = uniform() * 200;
        g->pos[2] = uniform() * 200;
        g->mass = nans && i % 17 == 5 ? NAN : floor(uniform() * 60) * scale;
    }
    ws->nfeat = n;
    unsigned char *all = malloc(n);
    CHECK(locus_duplicates_mark(ws, scale) == LOCUS_OK, "%s: runs on every feature", what);
    memcpy(all, ws->drop, n);
    ws->pl.params.minmass = minmass;
    CHECK(locus_duplicates_mark(ws, scale) == LOCUS_OK, "%s: runs on those passing", what);
    size_t pass = 0, differ = 0, dropped = 0, left_out_marked = 0;
    for (size_t i = 0; i < n; i++) {
        if (locus_passes_minmass(&ws->pl, ws->feat[i].mass, scale)) {
            pass++;
            differ += ws->drop[i] != all[i];
            dropped += all[i];
        } else if (!isnan(ws->feat[i].mass)) {
            left_out_marked += ws->drop[i];
        }
    }
    CHECK(pass > n / 4 && pass < n - n / 4 && dropped > 0,
          "%s: %zu of %zu pass minmass, %zu of them duplicates", what, pass, n, dropped);
    CHECK(differ == 0, "%s: the same duplicates among those passing (%zu differ)", what, differ);
    CHECK(left_out_marked == 0, "%s: features that fail are not judged (%zu marked)", what,
          left_out_marked);
    locus_workspace_free(ws);
    free(all);
}

static void test_minmass(void)
{
    minmass_case(2000, 30, 1, 0, "minmass 30");
    minmass_case(2000, 30, 3, 0, "minmass 30, scale 3");
    minmass_case(2000, 29.5, 1, 1, "minmass 29.5, NaN masses");
    /* a passing feature and a later NaN-mass one 3 px away: NaN compares
     * false, so the pair drops the first (the passing one) */
    double six = 6;
    locus_workspace *ws = planned(2, 1, &six);
    ws->pl.params.minmass = 10;
    static const double nan_pair[][4] = {{10, 10, 50}, {10, 13, NAN}};
    set_features(ws, nan_pair, 2, 2);
    CHECK(locus_duplicates_mark(ws, 1.0) == LOCUS_OK && ws->drop[0] == 1,
          "a NaN-mass partner is judged: it drops the passing feature as on the full set");
    locus_workspace_free(ws);
}

int main(void)
{
    test_rules();
    test_boundary();
    test_anisotropic();
    test_random();
    test_minmass();
    return check_done();
}

/*
 * The candidate search against brute force (LINK.md §3): random points in
 * 1-D, 2-D and 3-D, clusters that pass the 10-nearest cut, the 1e-7 slack
 * at exactly R, sources with non-finite positions.
 */
#include "check.h"
#include "link/link.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

typedef struct {
    uint32_t src, dst;
    double d2;
} pair;

static int cmp_dest_near(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->d2 != y->d2)
        return x->d2 < y->d2 ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

static int cmp_source_list(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    double dx = sqrt(x->d2), dy = sqrt(y->d2);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return (x->dst > y->dst) - (x->dst < y->dst);
}

/* Brute force: per destination the 10 nearest with d² < (R+1e-7)², then
 * per source sorted by d, ties by destination. Returns the pair count. */
static size_t brute(int ndim, double R, const double *s, size_t ns, const double *q, size_t nq,
                    pair *out)
{
    double b = R + 1e-7, b2 = b * b;
    size_t n = 0;
    pair *tmp = malloc((ns ? ns : 1) * sizeof *tmp);
    for (size_t j = 0; j < nq; j++) {
        size_t m = 0;
        for (size_t i = 0; i < ns; i++) {
            double d2 = 0;
            for (int a = 0; a < ndim; a++) {
                double diff = s[i * (size_t)ndim + (size_t)a] - q[j * (size_t)ndim + (size_t)a];
                d2 += diff * diff;
            }
            if (d2 < b2)
                tmp[m++] = (pair){(uint32_t)i, (uint32_t)j, d2};
        }
        qsort(tmp, m, sizeof *tmp, cmp_dest_near);
        for (size_t k = 0; k < m && k < 10; k++)
            out[n++] = tmp[k];
    }
    free(tmp);
    qsort(out, n, sizeof *out, cmp_source_list);
    return n;
}

/* The search's answer equals brute force, pair for pair, d to the bit. */
static int same(const locus_link_cands *c, const pair *want, size_t n)
{
    if (c->start[c->nsrc] != n)
        return 0;
    for (size_t i = 0, e = 0; i < c->nsrc; i++)
        for (; e < c->start[i + 1]; e++)
            if (want[e].src != i || want[e].dst != c->dst[e] || sqrt(want[e].d2) != c->d[e])
                return 0;
    return 1;
}

static int run_case(locus_link_grid *g, locus_link_cands *c, int ndim, double R, double *s,
                    size_t ns, double *q, size_t nq)
{
    pair *want = malloc((nq * 10 + 1) * sizeof *want);
    size_t n = brute(ndim, R, s, ns, q, nq, want);
    int ok = locus_link_candidates(g, c, ndim, R, s, ns, q, nq) == 0 && same(c, want, n);
    free(want);
    return ok;
}

/* Random points; `clustered` puts many near a few centres (> 10 in range). */
static void random_cases(locus_link_grid *g, locus_link_cands *c, int ndim, int clustered)
{
    int bad = 0, cases = 300;
    for (int k = 0; k < cases; k++) {
        size_t ns = (size_t)(uniform() * 300), nq = (size_t)(uniform() * 300);
        double box = 10 + 200 * uniform(), R = 0.5 + 8 * uniform();
        double *s = malloc((ns + 1) * 3 * sizeof *s), *q = malloc((nq + 1) * 3 * sizeof *q);
        double centre[3] = {box * uniform(), box * uniform(), box * uniform()};
        for (size_t i = 0; i < ns * (size_t)ndim; i++)
            s[i] =
                clustered ? centre[i % (size_t)ndim] + 3 * R * (uniform() - 0.5) : box * uniform();
        for (size_t j = 0; j < nq * (size_t)ndim; j++)
            q[j] =
                clustered ? centre[j % (size_t)ndim] + 3 * R * (uniform() - 0.5) : box * uniform();
        bad += !run_case(g, c, ndim, R, s, ns, q, nq);
        free(s);
        free(q);
    }
    CHECK(bad == 0, "%d-D %s: %d random searches equal brute force (%d differ)", ndim,
          clustered ? "clusters (10-nearest cut)" : "uniform", cases, bad);
}

/* A step of exactly R is a candidate (the slack); R + 2e-7 is not. */
static void slack(locus_link_grid *g, locus_link_cands *c)
{
    double s[2] = {10, 20}, q[6] = {10, 25, 10, 25 + 0.5e-7, 10, 25 + 2e-7};
    locus_link_candidates(g, c, 2, 5, s, 1, q, 3);
    CHECK(c->start[1] == 2 && c->dst[0] == 0 && c->dst[1] == 1,
          "range 5: steps of exactly 5 and 5 + 0.5e-7 are candidates, 5 + 2e-7 is not");
    CHECK(c->d[0] == 5, "d of an exact step is 5 (got %.17g)", c->d[0]);
}

/* Eleven sources around one destination: only the 10 nearest are kept,
 * while one source may be listed by many destinations. */
static void ten_nearest(locus_link_grid *g, locus_link_cands *c)
{
    double s[22], q[2] = {0, 0}, q12[24];
    for (int i = 0; i < 11; i++) {
        s[2 * i] = 0.1 * (i + 1);
        s[2 * i + 1] = 0;
    }
    locus_link_candidates(g, c, 2, 5, s, 11, q, 1);
    CHECK(c->start[10] == 10 && c->start[11] == 10, "11 sources in range: the 10 nearest kept");
    for (int j = 0; j < 12; j++) {
        q12[2 * j] = 0.01 * j;
        q12[2 * j + 1] = 1;
    }
    locus_link_candidates(g, c, 2, 5, s, 1, q12, 12);
    CHECK(c->start[1] == 12, "one source, 12 destinations: it lists all 12 (no per-source cut)");
}

/* A source whose position is not finite (a NaN prediction) has no candidates. */
static void non_finite(locus_link_grid *g, locus_link_cands *c)
{
    double s[4] = {NAN, NAN, 1, 1}, q[2] = {1, 1.5};
    locus_link_candidates(g, c, 2, 5, s, 2, q, 1);
    CHECK(c->start[1] == 0 && c->start[2] == 1, "a NaN source has no candidates, others do");
    double s2[2] = {NAN, 0};
    CHECK(locus_link_candidates(g, c, 2, 5, s2, 1, q, 1) == 0 && c->start[1] == 0,
          "only NaN sources: no candidates");
}

/* Far-flung points must not make the grid huge. */
static void far_apart(locus_link_grid *g, locus_link_cands *c)
{
    double s[4] = {0, 0, 1e12, 1e12}, q[4] = {1, 0, 1e12, 1e12 + 2};
    int ok = locus_link_candidates(g, c, 2, 5, s, 2, q, 2) == 0;
    CHECK(ok && c->start[1] == 1 && c->start[2] == 2 && g->cells <= 16 * 2 + 64,
          "points 1e12 apart: found, with %zu cells", g->cells);
}

int main(void)
{
    locus_link_grid g;
    locus_link_cands c;
    memset(&g, 0, sizeof g);
    memset(&c, 0, sizeof c);
    for (int ndim = 1; ndim <= 3; ndim++) {
        random_cases(&g, &c, ndim, 0);
        random_cases(&g, &c, ndim, 1);
    }
    slack(&g, &c);
    ten_nearest(&g, &c);
    non_finite(&g, &c);
    far_apart(&g, &c);
    locus_link_grid_free(&g);
    locus_link_cands_free(&c);
    return check_done();
}

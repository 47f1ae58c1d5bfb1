/*
 * The linker through the public API: memory windows, frame gaps, negative
 * frame numbers, streaming against the whole table, per-axis ranges,
 * non-finite positions, parameters, the size rules and their policies.
 */
#include "check.h"
#include "locus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static locus_link_params params(double R, long memory)
{
    locus_link_params p;
    locus_link_params_init(&p);
    p.search_range.v[0] = R;
    p.search_range.count = 1;
    p.memory = memory;
    return p;
}

/* One particle, seen at frame 0 and again at frame `later`. */
static int links_after(long memory, int64_t later)
{
    locus_link_params p = params(5, memory);
    int64_t frames[2] = {0, later}, ids[2];
    double pos[4] = {10, 10, 11, 11};
    locus_error err;
    if (locus_link_table(&p, frames, pos, 2, ids, NULL, &err))
        return -1;
    return ids[1] == ids[0];
}

static void memory_window(void)
{
    CHECK(links_after(0, 1) == 1, "memory 0: the next frame links");
    CHECK(links_after(0, 2) == 0, "memory 0: two frames later does not");
    CHECK(links_after(3, 4) == 1, "memory 3: memory + 1 = 4 frames later links");
    CHECK(links_after(3, 5) == 0, "memory 3: memory + 2 = 5 frames later does not");
    CHECK(links_after(1000000000000L, 1000000000001LL) == 1,
          "memory 1e12: a gap of 1e12 frames links (and takes no time)");
}

/* Empty frame numbers count towards memory (§2.2), pushed or not. */
static void gaps_count(void)
{
    locus_link_params p = params(5, 2);
    locus_linker *lk;
    locus_error err;
    double a[2] = {0, 0}, b[2] = {1, 1};
    int64_t id0, id1;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, -7, a, 1, &id0, &err);
    locus_linker_push(lk, -6, NULL, 0, NULL, &err); /* an empty frame pushed */
    locus_linker_push(lk, -4, b, 1, &id1, &err);    /* -5 not pushed at all */
    CHECK(id1 == id0, "negative frames -7 → -4 with memory 2 link (an empty frame pushed)");
    locus_linker_free(lk);
    int64_t frames[2] = {-3, 1000000000000LL}, ids[2];
    double pos[4] = {0, 0, 0, 0};
    clock_t t0 = clock();
    int rc = locus_link_table(&p, frames, pos, 2, ids, NULL, &err);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(rc == 0 && ids[0] == 0 && ids[1] == 1 && secs < 0.5,
          "frames -3 and 1e12: separate trajectories, in %.3f s", secs);
}

/* A random movie of Brownian particles with turnover and blinking. */
typedef struct {
    size_t n;
    int64_t *frames;
    double *pos;
} movie;

static movie make_movie(int ndim, int nframes, int nparticles, double step, double box)
{
    movie m = {0};
    m.frames = malloc((size_t)nframes * (size_t)nparticles * sizeof *m.frames);
    m.pos = malloc((size_t)nframes * (size_t)nparticles * 3 * sizeof *m.pos);
    double *x = malloc((size_t)nparticles * 3 * sizeof *x);
    for (int i = 0; i < nparticles * ndim; i++)
        x[i] = box * uniform();
    for (int f = 0; f < nframes; f++) {
        if (f == 5 || f == 6)
            continue; /* frame numbers with no rows */
        for (int i = 0; i < nparticles; i++) {
            for (int a = 0; a < ndim; a++)
                x[i * ndim + a] += step * (uniform() - 0.5);
            if (uniform() < 0.1)
                continue; /* missing */
            m.frames[m.n] = f;
            memcpy(m.pos + m.n * (size_t)ndim, x + i * ndim, (size_t)ndim * sizeof *x);
            m.n++;
        }
    }
    free(x);
    return m;
}

static void movie_free(movie *m)
{
    free(m->frames);
    free(m->pos);
}

/* Streaming frame by frame gives the whole table's IDs; shuffled rows too. */
static void streaming_equals_table(void)
{
    movie m = make_movie(2, 30, 200, 3, 100);
    locus_link_params p = params(4, 2);
    int64_t *a = malloc(m.n * sizeof *a), *b = malloc(m.n * sizeof *b);
    locus_error err;
    locus_link_table(&p, m.frames, m.pos, m.n, a, NULL, &err);
    locus_linker *lk;
    locus_linker_create(&lk, &p, &err);
    int ok = 1;
    for (size_t i = 0; i < m.n;) {
        size_t j = i;
        while (j < m.n && m.frames[j] == m.frames[i])
            j++;
        ok &= locus_linker_push(lk, m.frames[i], m.pos + 2 * i, j - i, b + i, &err) == 0;
        i = j;
    }
    locus_linker_free(lk);
    ok &= !memcmp(a, b, m.n * sizeof *a);
    CHECK(ok, "streaming frame by frame = whole table (%zu rows)", m.n);
    /* reverse the rows of the table: the frames get sorted again, stably */
    movie r = {m.n, malloc(m.n * sizeof *r.frames), malloc(m.n * 2 * sizeof *r.pos)};
    for (size_t i = 0; i < m.n; i++) {
        r.frames[i] = m.frames[m.n - 1 - i];
        memcpy(r.pos + 2 * i, m.pos + 2 * (m.n - 1 - i), 2 * sizeof *r.pos);
    }
    locus_link_table(&p, r.frames, r.pos, r.n, b, NULL, &err);
    /* canonical: walked in (frame, row) order, IDs first appear as 0, 1, 2, ... */
    int64_t next = 0;
    int canon = 1, same = 1;
    int64_t *map = malloc(m.n * sizeof *map);
    for (size_t i = 0; i < m.n; i++)
        map[i] = -1;
    for (int64_t f = 0; f < 30; f++)
        for (size_t i = 0; i < r.n; i++)
            if (r.frames[i] == f && b[i] >= next)
                canon &= b[i] == next++;
    /* the same partition as the unreversed table: IDs map one to one */
    for (size_t i = 0; i < m.n; i++) {
        int64_t x = a[m.n - 1 - i], y = b[i];
        same &= map[x] < 0 || map[x] == y;
        map[x] = y;
    }
    free(map);
    CHECK(canon && same, "reversed rows: same trajectories, IDs canonical in (frame, row) order");
    movie_free(&r);
    movie_free(&m);
    free(a);
    free(b);
}

/* Per-axis ranges equal an isotropic range 1 on coordinates divided first. */
static void per_axis(void)
{
    movie m = make_movie(3, 20, 150, 2, 60);
    locus_link_params p = params(1, 1);
    p.ndim = 3;
    p.search_range = (locus_axes){{1.5, 3, 4}, 3};
    int64_t *a = malloc(m.n * sizeof *a), *b = malloc(m.n * sizeof *b);
    locus_error err;
    int rc = locus_link_table(&p, m.frames, m.pos, m.n, a, NULL, &err);
    for (size_t i = 0; i < m.n * 3; i++)
        m.pos[i] /= p.search_range.v[i % 3];
    locus_link_params q = params(1, 1);
    q.ndim = 3;
    rc |= locus_link_table(&q, m.frames, m.pos, m.n, b, NULL, &err);
    CHECK(rc == 0 && !memcmp(a, b, m.n * sizeof *a),
          "per-axis range (1.5, 3, 4) = rescaled coordinates");
    movie_free(&m);
    free(a);
    free(b);
}

static void one_dimension(void)
{
    locus_link_params p = params(2, 0);
    p.ndim = 1;
    int64_t frames[4] = {0, 0, 1, 1}, ids[4];
    double pos[4] = {0, 10, 9, 1.5};
    locus_error err;
    int rc = locus_link_table(&p, frames, pos, 4, ids, NULL, &err);
    CHECK(rc == 0 && ids[2] == 1 && ids[3] == 0, "1-D: 0 → 1.5 and 10 → 9");
}

static void non_finite(void)
{
    locus_link_params p = params(5, 0);
    int64_t frames[3] = {0, 1, 1}, ids[3];
    double pos[6] = {0, 0, 1, 1, INFINITY, 2};
    locus_error err = {0};
    int rc = locus_link_table(&p, frames, pos, 3, ids, NULL, &err);
    CHECK(rc == LOCUS_E_PARAM && strstr(err.message, "row 2") && strstr(err.message, "frame 1"),
          "an infinite position: error naming the row (%s)", err.message);
    pos[4] = NAN;
    locus_linker *lk;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, 0, pos, 1, ids, &err);
    rc = locus_linker_push(lk, 1, pos + 2, 2, ids, &err);
    CHECK(rc == LOCUS_E_PARAM && strstr(err.message, "frame 1, row 1"),
          "push with a NaN: error naming frame and row (%s)", err.message);
    CHECK(locus_linker_push(lk, 2, pos, 1, ids, &err) == 0,
          "a frame refused for its input changes nothing: the next one links");
    locus_linker_free(lk);
}

static void empty_and_order(void)
{
    locus_link_params p = params(5, 0);
    locus_error err;
    locus_link_stats st;
    CHECK(locus_link_table(&p, NULL, NULL, 0, NULL, &st, &err) == 0 && st.features == 0,
          "an empty table links to nothing");
    locus_linker *lk;
    locus_linker_create(&lk, &p, &err);
    double x[2] = {0, 0};
    int64_t id;
    locus_linker_push(lk, 3, x, 1, &id, &err);
    CHECK(locus_linker_push(lk, 3, x, 1, &id, &err) == LOCUS_E_PARAM, "frames must increase: %s",
          err.message);
    locus_linker_free(lk);
}

/* Each bad parameter is refused with a message naming it. */
static void bad_params(void)
{
    struct {
        const char *name;
        void (*spoil)(locus_link_params *);
    } cases[] = {
        {"search_range", NULL},  {"memory", NULL},      {"adaptive_step", NULL},
        {"adaptive_stop", NULL}, {"pos_columns", NULL}, {"link_strategy", NULL},
    };
    locus_link_params ps[6];
    for (int k = 0; k < 6; k++)
        ps[k] = params(5, 0);
    ps[0].search_range.v[0] = -1;
    ps[1].memory = -1;
    ps[2].adaptive_step = 1;
    ps[3].adaptive_stop = 0;
    ps[4].ndim = 4;
    ps[5].strategy = (locus_link_strategy)99;
    for (int k = 0; k < 6; k++) {
        locus_error err = {0};
        int rc = locus_link_params_check(&ps[k], &err);
        CHECK(rc == LOCUS_E_PARAM && strstr(err.message, cases[k].name), "bad %s: %s",
              cases[k].name, err.message);
    }
    locus_link_params q = params(5, 0);
    q.predict.kind = LOCUS_PREDICT_CHANNEL;
    q.predict.bin_size = 10;
    q.ndim = 3;
    locus_error err = {0};
    CHECK(locus_link_params_check(&q, &err) == LOCUS_E_PARAM && strstr(err.message, "2-D"),
          "ChannelPredict in 3-D: %s", err.message);
    locus_link_strategy s;
    CHECK(locus_link_strategy_parse("auto", &s) == 0 && s == LOCUS_LINK_HYBRID &&
              locus_link_strategy_parse("nonrecursive", &s) == 0 && s == LOCUS_LINK_NONRECURSIVE &&
              locus_link_strategy_parse("kdtree", &s) == -1,
          "strategy names: auto is hybrid; unknown names refused");
}

/*
 * Two sources, the first with 9 destinations in range and the second
 * sharing one: not small, so hybrid refuses it (c >= 9), recursive does not.
 */
static void size_rules(void)
{
    double f0[4] = {0, 0, 0, 3};
    double f1[18];
    for (int k = 0; k < 9; k++) {
        f1[2 * k] = 0.3 * k;
        f1[2 * k + 1] = 0.2 * k;
    }
    int64_t ids[9];
    locus_error err = {0};
    locus_link_strategy strat[3] = {LOCUS_LINK_HYBRID, LOCUS_LINK_NUMBA, LOCUS_LINK_RECURSIVE};
    int want_fail[3] = {1, 1, 0};
    for (int k = 0; k < 3; k++) {
        locus_link_params p = params(5, 0);
        p.strategy = strat[k];
        p.oversize = LOCUS_OVERSIZE_RAISE;
        locus_linker *lk;
        locus_linker_create(&lk, &p, &err);
        locus_linker_push(lk, 10, f0, 2, ids, &err);
        int rc = locus_linker_push(lk, 11, f1, 9, ids, &err);
        CHECK(want_fail[k] ? rc == LOCUS_E_OVERSIZE && strstr(err.message, "frame 11") &&
                                 strstr(err.message, "10 forward candidates")
                           : rc == 0,
              "%s, raise: %s", locus_link_strategy_name(strat[k]), rc ? err.message : "linked");
        if (want_fail[k])
            CHECK(locus_linker_push(lk, 12, f0, 2, ids, &err) == LOCUS_E_PARAM,
                  "after an oversize failure the linker refuses further frames");
        locus_linker_free(lk);
    }
    /* one source with 9 destinations is small: hybrid solves it, numba refuses */
    for (int k = 0; k < 2; k++) {
        locus_link_params p = params(5, 0);
        p.strategy = k ? LOCUS_LINK_NUMBA : LOCUS_LINK_HYBRID;
        p.oversize = LOCUS_OVERSIZE_RAISE;
        locus_linker *lk;
        locus_linker_create(&lk, &p, &err);
        locus_linker_push(lk, 10, f0, 1, ids, &err);
        int rc = locus_linker_push(lk, 11, f1, 9, ids, &err);
        CHECK(k ? rc == LOCUS_E_OVERSIZE : rc == 0 && ids[0] == 0,
              "1 source, 9 destinations, %s: %s", k ? "numba" : "hybrid (small subnet)",
              rc ? err.message : "linked");
        locus_linker_free(lk);
    }
    locus_link_params p = params(5, 0);
    locus_linker *lk;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, 10, f0, 2, ids, &err);
    int rc = locus_linker_push(lk, 11, f1, 9, ids, &err);
    locus_link_stats last;
    locus_linker_stats(lk, &last, NULL);
    CHECK(rc == 0 && last.oversize == 1 && last.largest_oversize == 2 && ids[0] == 0,
          "hybrid, solve: solved, counted (oversize %llu, largest %llu)",
          (unsigned long long)last.oversize, (unsigned long long)last.largest_oversize);
    locus_linker_free(lk);
}

/*
 * Adaptive search (§7): 16 sources 3 apart, each with its own destination
 * exactly 4 away (neighbours' at 5): one subnet of 16 > 15 sources. With
 * range 8 and step 0.5 the range becomes exactly 4, and pruning keeps
 * d <= 4 (inclusive): 16 trivial links.
 */
static void adaptive_exact(void)
{
    double f0[32], f1[32];
    for (int k = 0; k < 16; k++) {
        f0[2 * k] = 0, f0[2 * k + 1] = 3 * k;
        f1[2 * k] = 4, f1[2 * k + 1] = 3 * k;
    }
    int64_t a[16], b[16];
    locus_error err = {0};
    locus_link_params p = params(8, 0);
    p.adaptive_stop = 1;
    p.adaptive_step = 0.5;
    locus_linker *lk;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, 0, f0, 16, a, &err);
    int rc = locus_linker_push(lk, 1, f1, 16, b, &err);
    locus_link_stats last;
    locus_linker_stats(lk, &last, NULL);
    CHECK(rc == 0 && !memcmp(a, b, sizeof a) && last.adaptive_shrinks == 1,
          "adaptive: shrunk once to range 4, candidates at exactly 4 kept, all 16 linked");
    locus_linker_free(lk);
    /* adaptive_stop at the full range: the first oversize subnet gives up */
    p.adaptive_stop = 8;
    p.oversize = LOCUS_OVERSIZE_RAISE;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, 0, f0, 16, a, &err);
    rc = locus_linker_push(lk, 1, f1, 16, b, &err);
    CHECK(rc == LOCUS_E_OVERSIZE && strstr(err.message, "16 sources"),
          "adaptive_stop = range: raise at once (%s)", err.message);
    locus_linker_free(lk);
    /* 15 sources fit the adaptive limit: solved at range 8, no shrink */
    p.adaptive_stop = 1;
    locus_linker_create(&lk, &p, &err);
    locus_linker_push(lk, 0, f0, 15, a, &err);
    rc = locus_linker_push(lk, 1, f1, 15, b, &err);
    locus_linker_stats(lk, &last, NULL);
    CHECK(rc == 0 && last.adaptive_shrinks == 0 && last.subnets == 1 &&
              !memcmp(a, b, 15 * sizeof *a),
          "adaptive: a subnet of 15 sources is solved whole");
    locus_linker_free(lk);
}

int main(void)
{
    adaptive_exact();
    memory_window();
    gaps_count();
    streaming_equals_table();
    per_axis();
    one_dimension();
    non_finite();
    empty_and_order();
    bad_params();
    size_rules();
    return check_done();
}

/*
 * The thread team (common/pool.c) and the ordered window
 * (common/window.c): items are emitted exactly once each, in order,
 * whatever order workers complete them in; never more than `capacity`
 * are in flight; runs are consecutive; a stop or a cut ends every claim
 * and the first stop's status and error are the ones kept.
 */
#include "check.h"
#include "common/pool.h"
#include "common/window.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A window that loses track of its slots waits forever; a hang must be a
 * failure the runner sees, not a stuck suite. */
static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "not ok - the window test did not finish in 60 s: a claim or "
                              "an emit waited forever\n";
    ssize_t w = write(1, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

/* What the consumer saw. */
typedef struct {
    locus_window w;
    pthread_mutex_t lock;
    size_t emitted, out_of_order, max_in_flight, claimed;
    size_t fail_at; /* emit returns an error at this item (SIZE_MAX: never) */
    size_t max_run, bad_runs;
    size_t nitems;
} window_job;

static int record_emit(void *user, size_t item, locus_error *err)
{
    window_job *j = user;
    if (item != j->emitted)
        j->out_of_order++;
    j->emitted = item + 1;
    if (item == j->fail_at) {
        locus_error_set(err, LOCUS_E_IO, "emit failed at %zu", item);
        return LOCUS_E_IO;
    }
    return LOCUS_OK;
}

/* A pseudo-random short pause, so that completions come out of order. */
static void jitter(size_t item, int member)
{
    unsigned v = (unsigned)(item * 2654435761u) ^ (unsigned)member * 40503u;
    struct timespec ts = {0, (long)(v % 50) * 1000};
    nanosleep(&ts, NULL);
}

static void note_claim(window_job *j, size_t first, size_t count)
{
    pthread_mutex_lock(&j->lock);
    j->claimed += count;
    /* in flight: claimed up to first + count, emitted up to j->emitted
     * (read under the window's lock would be exact; the window's own
     * bound is what is checked, so read it there) */
    pthread_mutex_lock(&j->w.lock);
    size_t in_flight = first + count - j->w.next_emit;
    pthread_mutex_unlock(&j->w.lock);
    if (in_flight > j->max_in_flight)
        j->max_in_flight = in_flight;
    if (count > j->max_run)
        j->max_run = count;
    pthread_mutex_unlock(&j->lock);
}

static void worker_single(void *arg, int member, int size)
{
    (void)size;
    window_job *j = arg;
    size_t item;
    while (locus_window_claim(&j->w, &item)) {
        note_claim(j, item, 1);
        jitter(item, member);
        locus_window_complete(&j->w, item);
    }
}

static void worker_runs(void *arg, int member, int size)
{
    window_job *j = arg;
    size_t first, count;
    while (locus_window_claim_run(&j->w, 4, 2 * (size_t)size, &first, &count)) {
        note_claim(j, first, count);
        if (count == 0 || first + count > j->nitems)
            j->bad_runs++;
        for (size_t k = 0; k < count; k++) {
            jitter(first + k, member);
            locus_window_complete(&j->w, first + k);
        }
    }
}

static int run_window(size_t n, size_t capacity, int threads, size_t fail_at, int runs,
                      window_job *j)
{
    memset(j, 0, sizeof *j);
    j->fail_at = fail_at;
    j->nitems = n;
    pthread_mutex_init(&j->lock, NULL);
    if (locus_window_init(&j->w, n, capacity, record_emit, j) != LOCUS_OK)
        return -1;
    locus_pool *p = locus_pool_create(threads);
    if (!p)
        return -1;
    locus_pool_run(p, runs ? worker_runs : worker_single, j);
    locus_pool_free(p);
    return 0;
}

static void test_order(void)
{
    static const int threads[] = {1, 2, 7};
    for (int t = 0; t < 3; t++)
        for (int runs = 0; runs < 2; runs++) {
            window_job j;
            size_t cap = runs ? 8 : 5;
            int ok = run_window(1000, cap, threads[t], SIZE_MAX, runs, &j) == 0;
            locus_error err = {0};
            CHECK(ok && j.emitted == 1000 && j.out_of_order == 0 && j.claimed == 1000,
                  "%d threads%s: 1000 items emitted once each, in order (%zu emitted, %zu out "
                  "of order)",
                  threads[t], runs ? ", runs of 4" : "", j.emitted, j.out_of_order);
            CHECK(j.max_in_flight <= cap, "%d threads%s: at most %zu in flight (saw %zu)",
                  threads[t], runs ? ", runs" : "", cap, j.max_in_flight);
            CHECK(locus_window_status(&j.w, &err) == LOCUS_OK && locus_window_finished(&j.w),
                  "%d threads%s: finished, status OK", threads[t], runs ? ", runs" : "");
            if (runs)
                CHECK(j.bad_runs == 0 && j.max_run <= 4 && j.max_run >= 1,
                      "%d threads: runs are 1..4 consecutive items inside the window (max %zu)",
                      threads[t], j.max_run);
            locus_window_destroy(&j.w);
            pthread_mutex_destroy(&j.lock);
        }
}

static int no_emit(void *user, size_t item, locus_error *err)
{
    (void)user, (void)item, (void)err;
    return LOCUS_OK;
}

/* Runs of at most max, and at most 1/share of the items left, rounded up. */
static void test_run_shares(void)
{
    static const size_t shares[] = {0, 1, 4, 3};
    for (int s = 0; s < 4; s++) {
        size_t share = shares[s], n = 23, first, count, next = 0, bad = 0, runs = 0;
        locus_window w;
        locus_window_init(&w, n, 64, no_emit, NULL);
        while (locus_window_claim_run(&w, 4, share, &first, &count)) {
            size_t left = n - next, want = share > 1 ? (left + share - 1) / share : 4;
            want = want < 4 ? want : 4;
            want = want < left ? want : left;
            bad += first != next || count != want;
            for (size_t k = 0; k < count; k++)
                locus_window_complete(&w, first + k);
            next += count;
            runs++;
        }
        CHECK(bad == 0 && next == n,
              "claim_run, share %zu: each run is min(4, ceil(left / share)) (%zu of %zu runs "
              "differ, %zu items claimed)",
              share, bad, runs, next);
        locus_window_destroy(&w);
    }
}

static void test_emit_failure(void)
{
    window_job j;
    int ok = run_window(500, 6, 3, 100, 0, &j) == 0;
    locus_error err = {0};
    int st = locus_window_status(&j.w, &err);
    CHECK(ok && st == LOCUS_E_IO && strstr(err.message, "emit failed at 100"),
          "an emit failure stops the window with its status and error (%d: %s)", st, err.message);
    CHECK(j.emitted == 101 && j.out_of_order == 0,
          "nothing is emitted after the failing item (last emitted %zu)", j.emitted);
    CHECK(j.claimed < 500, "claims stop soon after (claimed %zu of 500)", j.claimed);
    locus_window_destroy(&j.w);
    pthread_mutex_destroy(&j.lock);
}

static void test_stop_and_cut(void)
{
    locus_window w;
    window_job j;
    memset(&j, 0, sizeof j);
    j.fail_at = SIZE_MAX;
    CHECK(locus_window_init(&w, 10, 4, record_emit, &j) == LOCUS_OK, "window of 10, capacity 4");
    size_t a, b, c, d, e;
    CHECK(locus_window_try_claim(&w, &a) == 1 && locus_window_try_claim(&w, &b) == 1 &&
              locus_window_try_claim(&w, &c) == 1 && locus_window_try_claim(&w, &d) == 1 &&
              a == 0 && d == 3,
          "four claims fill the window in order");
    CHECK(locus_window_try_claim(&w, &e) == -1, "a fifth try_claim: the window is full");
    locus_window_complete(&w, 1);
    CHECK(locus_window_try_claim(&w, &e) == -1, "completing item 1 frees nothing: 0 is pending");
    locus_window_complete(&w, 0);
    CHECK(locus_window_try_claim(&w, &e) == 1 && e == 4,
          "completing 0 emits 0 and 1 and frees two slots");
    locus_window_cut(&w, 5);
    CHECK(locus_window_try_claim(&w, &e) == 0, "after cut(5) nothing past item 4 is claimed");
    locus_window_complete(&w, 2), locus_window_complete(&w, 3), locus_window_complete(&w, 4);
    CHECK(locus_window_finished(&w) && j.emitted == 5, "finished with items 0..4 emitted (%zu)",
          j.emitted);
    locus_window_destroy(&w);

    CHECK(locus_window_init(&w, 10, 4, record_emit, &j) == LOCUS_OK, "a second window");
    locus_error e1 = {0}, e2 = {0}, got = {0};
    locus_error_set(&e1, LOCUS_E_FORMAT, "first reason");
    locus_error_set(&e2, LOCUS_E_IO, "second reason");
    locus_window_stop(&w, LOCUS_E_FORMAT, &e1);
    locus_window_stop(&w, LOCUS_E_IO, &e2);
    CHECK(locus_window_claim(&w, &a) == 0, "a stopped window gives no claims");
    CHECK(locus_window_status(&w, &got) == LOCUS_E_FORMAT && strstr(got.message, "first reason"),
          "the first stop's status and error are kept (%s)", got.message);
    locus_window_destroy(&w);
}

/* Every member runs the job once, with its own index. */
static void mark_member(void *arg, int member, int size)
{
    int *seen = arg;
    __atomic_add_fetch(&seen[member], 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&seen[63], size, __ATOMIC_SEQ_CST);
}

static void test_pool(void)
{
    locus_pool *p = locus_pool_create(5);
    CHECK(p && locus_pool_size(p) >= 1 && locus_pool_size(p) <= 5, "a team of up to 5");
    int n = p ? locus_pool_size(p) : 0;
    for (int round = 0; round < 3; round++) {
        int seen[64] = {0};
        locus_pool_run(p, mark_member, seen);
        int once = 1;
        for (int m = 0; m < n; m++)
            once &= seen[m] == 1;
        CHECK(once && seen[63] == n * n,
              "job %d: every one of %d members ran it once, each told the size", round, n);
    }
    locus_pool_free(p);
    locus_pool *one = locus_pool_create(0);
    CHECK(one && locus_pool_size(one) == 1, "a team asked for 0 threads has the caller alone");
    locus_pool_free(one);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(60);
    test_order();
    test_run_shares();
    test_emit_failure();
    test_stop_and_cut();
    test_pool();
    return check_done();
}

/*
 * locus_batch (src/run/batch.c) through the public API, on frames made in
 * memory: results reach the sink once each, in frame order, equal to
 * locating each frame alone, for 1, 2 and 5 threads; a frame that fails
 * stops the batch with its error (or, with skip_bad, reaches the sink as
 * a failure and the rest go on); a sink that says stop stops it; the
 * stop flag interrupts; caller-kept workspaces carry over; progress
 * counts every frame.
 */
#include "check.h"
#include "locus.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { H = 48, W = 64, NFRAMES = 40, SPOTS = 4 };

/* Frame i: SPOTS Gaussian spots that move with i, on a flat background. */
static void make_frame(size_t i, uint8_t *px)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v = 10;
            for (int s = 0; s < SPOTS; s++) {
                double cy = 10 + 9 * s + 0.13 * (double)i, cx = 12 + 12 * s + 0.21 * (double)i;
                double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                v += 200 * exp(-d2 / (2 * 1.5 * 1.5));
            }
            px[y * W + x] = (uint8_t)(v > 255 ? 255 : v);
        }
}

typedef struct {
    size_t bad; /* this frame fails to "read" (SIZE_MAX: none) */
    int fail_status;
} movie;

static int get_frame(void *user, size_t frame, void **scratch, locus_image *img, locus_error *err)
{
    const movie *m = user;
    if (frame == m->bad) {
        snprintf(err->message, sizeof err->message, "frame %zu is unreadable", frame);
        err->status = m->fail_status;
        return m->fail_status;
    }
    if (!*scratch && !(*scratch = malloc(H * W)))
        return LOCUS_E_NOMEM;
    make_frame(frame, *scratch);
    *img = (locus_image){*scratch, LOCUS_U8, 2, {H, W}, {0}};
    locus_image_set_contiguous(img);
    return LOCUS_OK;
}

static void release_frame(void *user, void *scratch)
{
    (void)user;
    free(scratch);
}

/* What the sink saw. */
typedef struct {
    size_t calls, out_of_order, next, failed_frame, failures;
    size_t stop_after; /* return nonzero after this many calls (0: never) */
    double xsum[NFRAMES];
    size_t rows[NFRAMES];
    volatile int *raise_stop; /* set after 5 frames, if given */
} seen;

static int sink(void *user, size_t frame, const locus_table *t, const locus_error *err)
{
    seen *s = user;
    if (frame != s->next)
        s->out_of_order++;
    s->next = frame + 1;
    s->calls++;
    if (!t) {
        s->failures++;
        s->failed_frame = frame;
        if (!err || !strstr(err->message, "unreadable"))
            s->out_of_order += 1000; /* a failure must carry its reason */
    } else if (frame < NFRAMES) {
        int c = locus_table_find(t, "x");
        s->rows[frame] = locus_table_rows(t);
        for (size_t r = 0; c >= 0 && r < locus_table_rows(t); r++)
            s->xsum[frame] += locus_table_column(t, c)[r];
    }
    if (s->raise_stop && s->calls == 5)
        *s->raise_stop = 1;
    return s->stop_after && s->calls >= s->stop_after;
}

static locus_frames frames_of(movie *m)
{
    locus_frames f = {NFRAMES, m, get_frame, release_frame, NULL};
    return f;
}

static void params(locus_params *p)
{
    locus_params_init(p);
    p->diameter = (locus_axes){{7}, 1};
    p->minmass = 100;
}

/* The reference: every frame located alone, in order. */
static void locate_alone(seen *ref)
{
    memset(ref, 0, sizeof *ref);
    locus_params p;
    params(&p);
    static uint8_t px[H * W];
    locus_workspace *ws = locus_workspace_create();
    locus_table *t = locus_table_create();
    locus_error err;
    for (size_t i = 0; i < NFRAMES; i++) {
        make_frame(i, px);
        locus_image img = {px, LOCUS_U8, 2, {H, W}, {0}};
        locus_image_set_contiguous(&img);
        if (locus_locate(ws, &p, &img, t, &err) == LOCUS_OK)
            sink(ref, i, t, NULL);
    }
    locus_table_free(t);
    locus_workspace_free(ws);
}

static int same_results(const seen *a, const seen *b)
{
    for (int i = 0; i < NFRAMES; i++)
        if (a->rows[i] != b->rows[i] || a->xsum[i] != b->xsum[i])
            return 0;
    return 1;
}

static void count_progress(void *user, size_t done, size_t total)
{
    size_t *last = user;
    if (total == NFRAMES && done > *last)
        *last = done;
}

static void test_order_and_equality(const seen *ref)
{
    static const int threads[] = {1, 2, 5};
    for (int k = 0; k < 3; k++) {
        movie m = {SIZE_MAX, 0};
        locus_frames f = frames_of(&m);
        locus_params p;
        params(&p);
        locus_batch_opts o;
        locus_batch_opts_init(&o);
        o.threads = threads[k];
        size_t progress = 0;
        o.progress = count_progress;
        o.progress_user = &progress;
        seen s = {0};
        locus_error err = {0};
        int st = locus_batch(&p, &o, &f, sink, &s, &err);
        CHECK(st == LOCUS_OK && s.calls == NFRAMES && s.out_of_order == 0,
              "%d threads: %d frames to the sink once each, in order (%d: %s)", threads[k], NFRAMES,
              st, err.message);
        CHECK(same_results(&s, ref), "%d threads: each frame's table as located alone", threads[k]);
        CHECK(progress == NFRAMES, "%d threads: progress reaches %d (%zu)", threads[k], NFRAMES,
              progress);
    }
    CHECK(ref->rows[0] == SPOTS && ref->rows[NFRAMES - 1] == SPOTS,
          "the reference finds the %d spots (%zu, %zu)", SPOTS, ref->rows[0],
          ref->rows[NFRAMES - 1]);
}

static void test_failures(const seen *ref)
{
    locus_params p;
    params(&p);
    movie m = {17, LOCUS_E_FORMAT};
    locus_frames f = frames_of(&m);
    locus_batch_opts o;
    locus_batch_opts_init(&o);
    o.threads = 2;
    seen s = {0};
    locus_error err = {0};
    int st = locus_batch(&p, &o, &f, sink, &s, &err);
    CHECK(st == LOCUS_E_FORMAT && strstr(err.message, "frame 17 is unreadable"),
          "a bad frame stops the batch with its status and reason (%d: %s)", st, err.message);
    CHECK(s.calls == 17 && s.out_of_order == 0,
          "every frame before it reached the sink, nothing after (%zu)", s.calls);

    o.skip_bad = 1;
    seen k = {0};
    st = locus_batch(&p, &o, &f, sink, &k, &err);
    CHECK(st == LOCUS_OK && k.calls == NFRAMES && k.failures == 1 && k.failed_frame == 17 &&
              k.out_of_order == 0,
          "skip_bad: the bad frame reaches the sink as a failure with its reason, the rest go "
          "on (%d, %zu calls, %zu failures)",
          st, k.calls, k.failures);
    k.rows[17] = ref->rows[17], k.xsum[17] = ref->xsum[17];
    CHECK(same_results(&k, ref), "skip_bad: the other frames' tables are unchanged");

    m.bad = SIZE_MAX;
    seen early = {0};
    early.stop_after = 6;
    o.skip_bad = 0;
    st = locus_batch(&p, &o, &f, sink, &early, &err);
    CHECK(st == LOCUS_E_ABORTED && early.calls == 6,
          "a sink that says stop after 6 frames: LOCUS_E_ABORTED, 6 calls (%d, %zu)", st,
          early.calls);

    volatile int stop = 0;
    seen intr = {0};
    intr.raise_stop = &stop;
    o.stop = &stop;
    st = locus_batch(&p, &o, &f, sink, &intr, &err);
    CHECK(st == LOCUS_E_INTERRUPTED && intr.calls >= 5 && intr.calls < NFRAMES &&
              intr.out_of_order == 0,
          "the stop flag interrupts between frames: LOCUS_E_INTERRUPTED after %zu in order",
          intr.calls);
}

static void test_kept_workspaces(const seen *ref)
{
    locus_params p;
    params(&p);
    movie m = {SIZE_MAX, 0};
    locus_frames f = frames_of(&m);
    locus_workspace *ws[2] = {NULL, NULL};
    locus_batch_opts o;
    locus_batch_opts_init(&o);
    o.threads = 2;
    o.workspaces = ws;
    int ok = 1;
    for (int round = 0; round < 3; round++) {
        seen s = {0};
        locus_error err = {0};
        ok &= locus_batch(&p, &o, &f, sink, &s, &err) == LOCUS_OK && same_results(&s, ref);
    }
    CHECK(ok && ws[0] && ws[1],
          "caller-kept workspaces: filled in, reused over three batches, same results");
    locus_workspace_free(ws[0]);
    locus_workspace_free(ws[1]);
}

int main(void)
{
    seen ref;
    locate_alone(&ref);
    test_order_and_equality(&ref);
    test_failures(&ref);
    test_kept_workspaces(&ref);
    return check_done();
}

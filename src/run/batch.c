/*
 * locus_batch: many frames on many threads, results in frame order.
 *
 * A team of workers (common/pool.h) claims frames from an ordered window
 * (common/window.h); each reads and locates its own frame with its own
 * workspace and leaves the result in the frame's slot. The window hands
 * results to the sink in frame order and never lets a worker run more
 * than WINDOW_PER_WORKER frames per worker ahead of the sink, so memory
 * stays bounded whatever the number of frames.
 */
#include "common/internal.h"
#include "common/pool.h"
#include "common/window.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frames in flight per worker: enough to absorb uneven frame times, and
 * for each worker to hold a run of RUN consecutive frames (a video is
 * decoded forward through a run from one keyframe, not sought per frame).
 * Runs shrink to 1/RUN_SHARE_PER_WORKER per worker of the frames left
 * near the end: with whole runs of 4 to the last, one worker of two went
 * on alone for about two frames (bulk_water, 100 frames, -j2: the run's
 * wall time 1.5% longer than with runs of 1, medians of 21 alternating
 * runs). */
enum { WINDOW_PER_WORKER = 8, RUN = 4, RUN_SHARE_PER_WORKER = 2 };

typedef struct {
    int failed;
    locus_table *table;
    locus_error error;
} slot;

typedef struct {
    const locus_params *params;
    const locus_batch_opts *opts;
    const locus_frames *frames;
    locus_sink sink;
    void *sink_user;
    locus_window window;
    slot *slots; /* by frame % window capacity */
} batch;

/* ------------------------------------------------------------------ */
/* A view of some frames of another source                             */
/* ------------------------------------------------------------------ */

static size_t view_frame(const locus_frames_view *v, size_t k)
{
    return v->map ? v->map[k] : v->first + k;
}

static int view_get(void *user, size_t k, void **scratch, locus_image *img, locus_error *err)
{
    locus_frames_view *v = user;
    return v->all.get(v->all.user, view_frame(v, k), scratch, img, err);
}

static void view_release(void *user, void *scratch)
{
    locus_frames_view *v = user;
    if (v->all.release)
        v->all.release(v->all.user, scratch);
}

static void view_name(void *user, size_t k, char *buf, size_t n)
{
    locus_frames_view *v = user;
    if (v->all.name)
        v->all.name(v->all.user, view_frame(v, k), buf, n);
    else
        snprintf(buf, n, "frame %zu", view_frame(v, k));
}

locus_frames locus_frames_subset(locus_frames_view *view, const locus_frames *all,
                                 const size_t *map, size_t first, size_t n)
{
    view->all = *all;
    view->map = map;
    view->first = first;
    return (locus_frames){n, view, view_get, view_release, view_name};
}

void locus_batch_opts_init(locus_batch_opts *o)
{
    memset(o, 0, sizeof *o);
}

int locus_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

/* The window's consumer: frames reach the sink in order. */
static int emit_frame(void *user, size_t frame, locus_error *err)
{
    batch *b = user;
    slot *s = &b->slots[frame % b->window.capacity];
    if (s->failed && !b->opts->skip_bad) {
        *err = s->error;
        return s->error.status ? s->error.status : LOCUS_E_PARAM;
    }
    int stop =
        b->sink(b->sink_user, frame, s->failed ? NULL : s->table, s->failed ? &s->error : NULL);
    if (b->opts->progress)
        b->opts->progress(b->opts->progress_user, frame + 1, b->frames->nframes);
    return stop ? locus_error_set(err, LOCUS_E_ABORTED, "%s", locus_strerror(LOCUS_E_ABORTED))
                : LOCUS_OK;
}

/* A failure that names no file yet is about this frame: its label
 * (its file, say) becomes where it happened. */
static void name_error(const batch *b, size_t frame, locus_error *err)
{
    if (err->path[0] || !b->frames->name)
        return;
    b->frames->name(b->frames->user, frame, err->path, sizeof err->path);
    locus_error_compose(err);
}

static void process(batch *b, size_t frame, locus_workspace *ws, void **scratch)
{
    slot *s = &b->slots[frame % b->window.capacity];
    locus_image img;
    int rc = b->frames->get(b->frames->user, frame, scratch, &img, &s->error);
    if (rc == LOCUS_OK)
        rc = locus_locate(ws, b->params, &img, s->table, &s->error);
    if (rc != LOCUS_OK)
        name_error(b, frame, &s->error);
    s->failed = rc != LOCUS_OK;
    if (s->failed && !b->opts->skip_bad)
        locus_window_cut(&b->window, frame + 1); /* nothing after a fatal frame is needed */
    locus_window_complete(&b->window, frame);
}

/* This worker's workspace: from the caller's pool if there is one. */
static locus_workspace *take_workspace(batch *b, int member)
{
    locus_workspace **pool = b->opts->workspaces;
    if (!pool)
        return locus_workspace_create();
    if (!pool[member])
        pool[member] = locus_workspace_create();
    return pool[member];
}

static void worker(void *arg, int member, int size)
{
    batch *b = arg;
    void *scratch = NULL;
    size_t frame;
    locus_workspace *ws = take_workspace(b, member);
    if (!ws) {
        locus_window_stop(&b->window, LOCUS_E_NOMEM, NULL);
        return;
    }
    size_t n;
    size_t share = (size_t)size * RUN_SHARE_PER_WORKER;
    while (locus_window_claim_run(&b->window, RUN, share, &frame, &n))
        for (size_t k = 0; k < n; k++)
            process(b, frame + k, ws, &scratch);
    if (b->frames->release && scratch)
        b->frames->release(b->frames->user, scratch);
    if (!b->opts->workspaces)
        locus_workspace_free(ws);
}

static int slots_create(batch *b, size_t n)
{
    b->slots = calloc(n, sizeof *b->slots);
    if (!b->slots)
        return LOCUS_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(b->slots[i].table = locus_table_create()))
            return LOCUS_E_NOMEM;
    return LOCUS_OK;
}

static void slots_free(batch *b, size_t n)
{
    if (!b->slots)
        return;
    for (size_t i = 0; i < n; i++)
        locus_table_free(b->slots[i].table);
    free(b->slots);
}

int locus_batch(const locus_params *p, const locus_batch_opts *opts, const locus_frames *frames,
                locus_sink sink, void *sink_user, locus_error *err)
{
    locus_batch_opts defaults;
    locus_error_clear(err);
    if (!opts) {
        locus_batch_opts_init(&defaults);
        opts = &defaults;
    }
    if (!p || !frames || !frames->get || !sink)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_batch: NULL argument");
    if (opts->workspaces && opts->threads <= 0)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "locus_batch: a workspace pool needs threads > 0");
    int threads = opts->threads > 0 ? opts->threads : locus_cpu_count();
    if ((size_t)threads > frames->nframes)
        threads = frames->nframes ? (int)frames->nframes : 1;
    batch b = {.params = p, .opts = opts, .frames = frames, .sink = sink, .sink_user = sink_user};
    size_t capacity = (size_t)threads * WINDOW_PER_WORKER;
    locus_pool *pool = NULL;
    int rc = slots_create(&b, capacity);
    if (rc == LOCUS_OK)
        rc = locus_window_init(&b.window, frames->nframes, capacity, emit_frame, &b);
    if (rc == LOCUS_OK && !(pool = locus_pool_create(threads)))
        rc = LOCUS_E_NOMEM;
    if (rc == LOCUS_OK) {
        b.window.stop_flag = opts->stop;
        locus_pool_run(pool, worker, &b);
        rc = locus_window_status(&b.window, err);
    } else {
        locus_error_set(err, rc, "out of memory");
    }
    locus_pool_free(pool);
    locus_window_destroy(&b.window);
    slots_free(&b, capacity);
    return rc;
}

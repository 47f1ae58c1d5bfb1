/*
 * locus_batch: many frames on many threads, results in frame order.
 *
 * Workers claim frames in increasing order, each reading and locating
 * its own frame with its own workspace. A result waits in a slot of a
 * reorder window until every earlier frame has been handed to the sink;
 * a worker never claims a frame more than `window` ahead of the next one
 * to hand over, so memory stays bounded whatever the number of frames.
 * Whichever worker completes the frame the sink is waiting for becomes
 * the emitter and hands over every consecutive completed frame, without
 * holding the lock, so the others keep computing meanwhile.
 */
#include "common/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Frames in flight per worker: enough to absorb uneven frame times. */
enum { WINDOW_PER_WORKER = 4 };

typedef enum { SLOT_EMPTY, SLOT_DONE, SLOT_FAILED } slot_state;

typedef struct {
    slot_state state;
    locus_table *table;
    locus_error error;
} slot;

typedef struct {
    const locus_params *params;
    const locus_batch_opts *opts;
    const locus_frames *frames;
    locus_sink sink;
    void *sink_user;

    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next_claim; /* next frame to hand to a worker */
    size_t next_emit;  /* next frame the sink expects */
    size_t limit;      /* no frame at or past this is claimed */
    int emitting;      /* a worker is running the sink */
    int status;        /* first failure, or LOCUS_OK */
    locus_error error;

    slot *slots;
    size_t window;
    int next_workspace; /* in opts->workspaces */
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

/* Stop claiming new frames, recording why (the first reason wins). */
static void fail_locked(batch *b, int status, const locus_error *err)
{
    if (b->status == LOCUS_OK) {
        b->status = status;
        if (err)
            b->error = *err;
        else
            locus_error_set(&b->error, status, "%s", locus_strerror(status));
    }
    if (b->next_claim < b->limit)
        b->limit = b->next_claim;
    pthread_cond_broadcast(&b->changed);
}

static int stop_requested(const batch *b)
{
    return b->opts->stop && *b->opts->stop;
}

/* Claim the next frame, waiting while the window is full. Returns 0 when
 * there is nothing left to do. */
static int claim(batch *b, size_t *frame)
{
    pthread_mutex_lock(&b->lock);
    for (;;) {
        if (stop_requested(b) && b->status == LOCUS_OK)
            fail_locked(b, LOCUS_E_INTERRUPTED, NULL);
        if (b->next_claim >= b->limit) {
            pthread_mutex_unlock(&b->lock);
            return 0;
        }
        if (b->next_claim < b->next_emit + b->window)
            break;
        pthread_cond_wait(&b->changed, &b->lock);
    }
    *frame = b->next_claim++;
    pthread_mutex_unlock(&b->lock);
    return 1;
}

/* Hand every consecutive completed frame to the sink. Called with the
 * lock held by the worker that completed frame next_emit. */
static void emit_locked(batch *b)
{
    b->emitting = 1;
    for (;;) {
        slot *s = &b->slots[b->next_emit % b->window];
        if (s->state == SLOT_EMPTY)
            break;
        size_t frame = b->next_emit;
        if (s->state == SLOT_FAILED && !b->opts->skip_bad) {
            fail_locked(b, s->error.status, &s->error);
            break;
        }
        if (b->status != LOCUS_OK)
            break;
        pthread_mutex_unlock(&b->lock);
        int stop = b->sink(b->sink_user, frame, s->state == SLOT_DONE ? s->table : NULL,
                           s->state == SLOT_FAILED ? &s->error : NULL);
        if (b->opts->progress)
            b->opts->progress(b->opts->progress_user, frame + 1, b->frames->nframes);
        pthread_mutex_lock(&b->lock);
        s->state = SLOT_EMPTY;
        b->next_emit++;
        pthread_cond_broadcast(&b->changed);
        if (stop) {
            fail_locked(b, LOCUS_E_ABORTED, NULL);
            break;
        }
    }
    b->emitting = 0;
}

/* "LABEL: message", so a failure names the frame's file. */
static void name_error(const batch *b, size_t frame, locus_error *err)
{
    char label[LOCUS_ERROR_MAX], message[LOCUS_ERROR_MAX];
    b->frames->name(b->frames->user, frame, label, sizeof label);
    memcpy(message, err->message, sizeof message);
    locus_error_set(err, err->status, "%s: %s", label, message);
}

static void process(batch *b, size_t frame, locus_workspace *ws, void **scratch)
{
    slot *s = &b->slots[frame % b->window];
    locus_image img;
    int rc = b->frames->get(b->frames->user, frame, scratch, &img, &s->error);
    if (rc == LOCUS_OK) {
        rc = locus_locate(ws, b->params, &img, s->table, &s->error);
        if (rc != LOCUS_OK && b->frames->name)
            name_error(b, frame, &s->error);
    }
    pthread_mutex_lock(&b->lock);
    s->state = rc == LOCUS_OK ? SLOT_DONE : SLOT_FAILED;
    if (rc != LOCUS_OK && !b->opts->skip_bad && frame + 1 < b->limit)
        b->limit = frame + 1; /* nothing after a fatal frame is needed */
    if (frame == b->next_emit && !b->emitting)
        emit_locked(b);
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

/* This worker's workspace: from the caller's pool if there is one. */
static locus_workspace *take_workspace(batch *b)
{
    locus_workspace **pool = b->opts->workspaces;
    if (!pool)
        return locus_workspace_create();
    pthread_mutex_lock(&b->lock);
    locus_workspace **mine = &pool[b->next_workspace++];
    pthread_mutex_unlock(&b->lock);
    if (!*mine)
        *mine = locus_workspace_create();
    return *mine;
}

static void *worker(void *arg)
{
    batch *b = arg;
    void *scratch = NULL;
    size_t frame;
    locus_workspace *ws = take_workspace(b);
    if (!ws) {
        pthread_mutex_lock(&b->lock);
        fail_locked(b, LOCUS_E_NOMEM, NULL);
        pthread_mutex_unlock(&b->lock);
        return NULL;
    }
    while (claim(b, &frame))
        process(b, frame, ws, &scratch);
    if (b->frames->release && scratch)
        b->frames->release(b->frames->user, scratch);
    if (!b->opts->workspaces)
        locus_workspace_free(ws);
    return NULL;
}

static int slots_create(batch *b)
{
    b->slots = calloc(b->window, sizeof *b->slots);
    if (!b->slots)
        return LOCUS_E_NOMEM;
    for (size_t i = 0; i < b->window; i++)
        if (!(b->slots[i].table = locus_table_create()))
            return LOCUS_E_NOMEM;
    return LOCUS_OK;
}

static void slots_free(batch *b)
{
    if (!b->slots)
        return;
    for (size_t i = 0; i < b->window; i++)
        locus_table_free(b->slots[i].table);
    free(b->slots);
}

/* Run the workers: the calling thread is one of them. */
static int run_workers(batch *b, int threads)
{
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    int started = 0;
    if (!tid)
        return LOCUS_E_NOMEM;
    for (; started < threads - 1; started++)
        if (pthread_create(&tid[started], NULL, worker, b)) {
            pthread_mutex_lock(&b->lock);
            fail_locked(b, LOCUS_E_SYSTEM, NULL);
            pthread_mutex_unlock(&b->lock);
            break;
        }
    worker(b);
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    return LOCUS_OK;
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
    batch b = {.params = p,
               .opts = opts,
               .frames = frames,
               .sink = sink,
               .sink_user = sink_user,
               .limit = frames->nframes,
               .window = (size_t)threads * WINDOW_PER_WORKER};
    int rc = slots_create(&b);
    if (rc == LOCUS_OK) {
        pthread_mutex_init(&b.lock, NULL);
        pthread_cond_init(&b.changed, NULL);
        rc = run_workers(&b, threads);
        pthread_cond_destroy(&b.changed);
        pthread_mutex_destroy(&b.lock);
    }
    slots_free(&b);
    if (rc == LOCUS_OK)
        rc = b.status;
    if (rc != LOCUS_OK && err)
        *err = b.status != LOCUS_OK ? b.error : (locus_error){rc, "out of memory"};
    return rc;
}

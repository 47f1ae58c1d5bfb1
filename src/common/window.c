/* The ordered window: see window.h. */
#include "common/window.h"

#include <stdlib.h>
#include <string.h>

int locus_window_init(locus_window *w, size_t nitems, size_t capacity, locus_window_emit emit,
                      void *user)
{
    memset(w, 0, sizeof *w);
    w->nitems = w->limit = nitems;
    w->capacity = capacity ? capacity : 1;
    w->emit = emit;
    w->user = user;
    if (!(w->complete = calloc(w->capacity, 1)))
        return LOCUS_E_NOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    return LOCUS_OK;
}

void locus_window_destroy(locus_window *w)
{
    if (!w->complete)
        return;
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    free(w->complete);
    w->complete = NULL;
}

static void stop_locked(locus_window *w, int status, const locus_error *err)
{
    if (w->status == LOCUS_OK && status != LOCUS_OK) {
        w->status = status;
        if (err && err->status == status)
            w->error = *err;
        else
            locus_error_set(&w->error, status, "%s", locus_strerror(status));
    }
    if (w->next_claim < w->limit)
        w->limit = w->next_claim;
    pthread_cond_broadcast(&w->changed);
}

/* 1 claimed, 0 none left, -1 full. Called with the lock held. */
static int claim_locked(locus_window *w, size_t *item)
{
    if (w->stop_flag && *w->stop_flag && w->status == LOCUS_OK)
        stop_locked(w, LOCUS_E_INTERRUPTED, NULL);
    if (w->next_claim >= w->limit)
        return 0;
    if (w->next_claim >= w->next_emit + w->capacity)
        return -1;
    *item = w->next_claim++;
    return 1;
}

int locus_window_claim(locus_window *w, size_t *item)
{
    pthread_mutex_lock(&w->lock);
    int r;
    while ((r = claim_locked(w, item)) < 0)
        pthread_cond_wait(&w->changed, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return r;
}

int locus_window_claim_run(locus_window *w, size_t max, size_t share, size_t *first, size_t *count)
{
    pthread_mutex_lock(&w->lock);
    int r;
    while ((r = claim_locked(w, first)) < 0)
        pthread_cond_wait(&w->changed, &w->lock);
    *count = r;
    if (r && share > 1) {
        size_t left = w->limit - *first; /* this item included */
        size_t part = (left + share - 1) / share;
        max = part < max ? part : max;
    }
    /* the rest of the run as far as the window and the items allow */
    while (r && *count < max && w->next_claim < w->limit &&
           w->next_claim < w->next_emit + w->capacity) {
        w->next_claim++;
        ++*count;
    }
    pthread_mutex_unlock(&w->lock);
    return r;
}

int locus_window_try_claim(locus_window *w, size_t *item)
{
    pthread_mutex_lock(&w->lock);
    int r = claim_locked(w, item);
    pthread_mutex_unlock(&w->lock);
    return r;
}

/* Hand every consecutive completed item to the consumer. Called with the
 * lock held, by the thread that completed item next_emit. */
static void emit_locked(locus_window *w)
{
    w->emitting = 1;
    while (w->status == LOCUS_OK && w->next_emit < w->next_claim &&
           w->complete[w->next_emit % w->capacity]) {
        size_t item = w->next_emit;
        locus_error err;
        locus_error_clear(&err);
        pthread_mutex_unlock(&w->lock);
        int rc = w->emit(w->user, item, &err);
        pthread_mutex_lock(&w->lock);
        w->complete[item % w->capacity] = 0;
        w->next_emit++;
        pthread_cond_broadcast(&w->changed);
        if (rc != LOCUS_OK)
            stop_locked(w, rc, &err);
    }
    w->emitting = 0;
}

void locus_window_complete(locus_window *w, size_t item)
{
    pthread_mutex_lock(&w->lock);
    w->complete[item % w->capacity] = 1;
    if (item == w->next_emit && !w->emitting)
        emit_locked(w);
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

void locus_window_cut(locus_window *w, size_t limit)
{
    pthread_mutex_lock(&w->lock);
    if (limit < w->limit)
        w->limit = limit < w->next_claim ? w->next_claim : limit;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
}

void locus_window_stop(locus_window *w, int status, const locus_error *err)
{
    pthread_mutex_lock(&w->lock);
    stop_locked(w, status, err);
    pthread_mutex_unlock(&w->lock);
}

int locus_window_finished(locus_window *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->stop_flag && *w->stop_flag && w->status == LOCUS_OK)
        stop_locked(w, LOCUS_E_INTERRUPTED, NULL);
    int done = w->next_claim >= w->limit && !w->emitting &&
               (w->next_emit >= w->next_claim || w->status != LOCUS_OK);
    /* after a stop, items still in flight are completed by their workers
     * but not emitted; `finished` then waits only for the workers, which
     * the caller joins */
    pthread_mutex_unlock(&w->lock);
    return done;
}

int locus_window_status(locus_window *w, locus_error *err)
{
    pthread_mutex_lock(&w->lock);
    int st = w->status;
    if (err) {
        if (st != LOCUS_OK)
            *err = w->error;
        else
            locus_error_clear(err);
    }
    pthread_mutex_unlock(&w->lock);
    return st;
}

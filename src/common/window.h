/*
 * An ordered window: items 0 .. n-1 are claimed by workers in increasing
 * order, completed in any order, and handed to a consumer (`emit`) in
 * item order, one at a time. At most `capacity` items are in flight
 * (claimed and not yet emitted), so a caller that keeps one result per
 * slot (item % capacity) holds bounded memory whatever n is.
 *
 * The worker that completes the item the consumer is waiting for becomes
 * the emitter: it hands over every consecutive completed item without
 * holding the lock, so the other workers keep computing meanwhile.
 *
 * The invariant that makes waiting safe: a claim waits only while the
 * window is full, i.e. while item next_emit is claimed but not complete.
 * Every claimed item is completed by whoever claimed it (with a failure,
 * if need be), so the wait always ends. Callers must therefore complete
 * every item they claim, including items they have nothing to compute
 * for (a checkpointed chunk is claimed and completed at once).
 */
#ifndef LOCUS_COMMON_WINDOW_H
#define LOCUS_COMMON_WINDOW_H

#include "common/internal.h"

#include <pthread.h>

/* Hand item over; return LOCUS_OK, or a status (with *err) that stops the window. */
typedef int (*locus_window_emit)(void *user, size_t item, locus_error *err);

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t nitems, capacity;
    size_t next_claim; /* the next item to hand to a worker */
    size_t next_emit;  /* the next item the consumer expects */
    size_t limit;      /* no item at or past this is claimed */
    unsigned char *complete;
    int emitting;
    int status; /* the first reason to stop, or LOCUS_OK */
    locus_error error;
    volatile const int *stop_flag; /* polled by claims; nonzero: interrupted */
    locus_window_emit emit;
    void *user;
} locus_window;

int locus_window_init(locus_window *w, size_t nitems, size_t capacity, locus_window_emit emit,
                      void *user);
void locus_window_destroy(locus_window *w);

/* Claim the next item, waiting while the window is full. 0: none left. */
int locus_window_claim(locus_window *w, size_t *item);
/*
 * Claim up to max consecutive items (*first, *count), waiting while the
 * window is full; 0: none left. A worker that reads a video decodes a run
 * of frames forward from one keyframe instead of seeking for each.
 * share > 1: and no more than 1/share of the items left (rounded up), so
 * the runs shrink towards the end and the workers finish together
 * instead of one finishing a whole run alone (share = 2 x workers).
 */
int locus_window_claim_run(locus_window *w, size_t max, size_t share, size_t *first, size_t *count);
/* Claim without waiting: 1 claimed, 0 none left, -1 the window is full. */
int locus_window_try_claim(locus_window *w, size_t *item);
/* The item's result is in its slot; emit what has become consecutive. */
void locus_window_complete(locus_window *w, size_t item);
/* Nothing at or after item `limit` will be needed. */
void locus_window_cut(locus_window *w, size_t limit);
/* Claim no more (the first status given is kept, with its error). */
void locus_window_stop(locus_window *w, int status, const locus_error *err);
/* Nothing is in flight and nothing more will be claimed. */
int locus_window_finished(locus_window *w);
/* How the window ended: LOCUS_OK, or the first stop's status with *err. */
int locus_window_status(locus_window *w, locus_error *err);

#endif

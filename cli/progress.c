/* Progress on stderr, redrawn in place with a carriage return. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct progress_meter {
    const char *label;
    double start, last;
    int shown;
};

double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

progress_meter *progress_create(const char *label)
{
    progress_meter *m = calloc(1, sizeof *m);
    if (m) {
        m->label = label;
        m->start = progress_now();
    }
    return m;
}

void progress_free(progress_meter *m)
{
    free(m);
}

void progress_update(progress_meter *m, size_t done, size_t total)
{
    if (!m)
        return;
    double now = progress_now();
    if (done < total && now - m->last < 0.1)
        return;
    m->last = now;
    double elapsed = now - m->start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%s: %zu/%zu frames, %.1f frames/s, %.0f s left   ", m->label, done, total,
            rate, left);
    m->shown = 1;
}

void progress_clear(progress_meter *m)
{
    if (m && m->shown) {
        fprintf(stderr, "\r%*s\r", 70, "");
        m->shown = 0;
    }
}

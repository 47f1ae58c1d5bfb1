/* A one-line progress meter on stderr: frames done/total, frames/s, time left. */
#ifndef LOCUS_CLI_PROGRESS_H
#define LOCUS_CLI_PROGRESS_H

#include <stddef.h>

typedef struct progress_meter progress_meter;

progress_meter *progress_create(const char *label);
void progress_free(progress_meter *m);
/* Redraw (at most ten times a second, and at the end). m may be NULL. */
void progress_update(progress_meter *m, size_t done, size_t total);
/* Erase the line so other messages print cleanly. m may be NULL. */
void progress_clear(progress_meter *m);
/* Monotonic seconds. */
double progress_now(void);

#endif

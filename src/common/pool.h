/*
 * A team of threads that runs one job at a time on every member and
 * waits for all of them: the caller's thread is member 0, the others are
 * started once and sleep between jobs. Used wherever locus works on
 * several threads (batches of frames, rank 0 of locus-mpi, the synthetic
 * noise), so threads are started, joined and accounted for in one place.
 */
#ifndef LOCUS_COMMON_POOL_H
#define LOCUS_COMMON_POOL_H

typedef struct locus_pool locus_pool;

/*
 * A team of `threads` members (at least 1). If the system refuses some
 * threads the team is smaller (locus_pool_size says how large); jobs
 * split their work by the size they are given, so results do not change.
 * NULL only when out of memory.
 */
locus_pool *locus_pool_create(int threads);
void locus_pool_free(locus_pool *p);
int locus_pool_size(const locus_pool *p);

/* Run fn(arg, member, size) on every member at once; return when all have. */
void locus_pool_run(locus_pool *p, void (*fn)(void *arg, int member, int size), void *arg);

#endif

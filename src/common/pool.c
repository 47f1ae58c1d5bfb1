/* The thread team: see pool.h. */
#include "common/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct locus_pool {
    int size; /* members, the caller's thread included */
    pthread_t *tid;
    pthread_mutex_t lock;
    pthread_cond_t go;   /* a new job, or quit */
    pthread_cond_t idle; /* a member finished its part of the job */
    unsigned long job;   /* counts jobs, so a member runs each one once */
    int busy;            /* members other than 0 still running the job */
    int quit;
    void (*fn)(void *, int, int);
    void *arg;
};

typedef struct {
    locus_pool *pool;
    int member;
} member_start;

static void *member_main(void *arg)
{
    member_start *ms = arg;
    locus_pool *p = ms->pool;
    int member = ms->member;
    free(ms);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && p->job == seen)
            pthread_cond_wait(&p->go, &p->lock);
        if (p->quit)
            break;
        seen = p->job;
        void (*fn)(void *, int, int) = p->fn;
        void *fn_arg = p->arg;
        int size = p->size;
        pthread_mutex_unlock(&p->lock);
        fn(fn_arg, member, size);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0)
            pthread_cond_signal(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

locus_pool *locus_pool_create(int threads)
{
    locus_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (threads < 1)
        threads = 1;
    p->tid = calloc((size_t)threads, sizeof *p->tid);
    if (!p->tid) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->size = 1;
    /* a thread the system refuses leaves a smaller team, not a failure:
     * every job divides its work by the size it is handed */
    for (int m = 1; m < threads; m++) {
        member_start *ms = malloc(sizeof *ms);
        if (!ms)
            break;
        *ms = (member_start){p, m};
        if (pthread_create(&p->tid[m], NULL, member_main, ms)) {
            free(ms);
            break;
        }
        p->size++;
    }
    return p;
}

int locus_pool_size(const locus_pool *p)
{
    return p ? p->size : 1;
}

void locus_pool_run(locus_pool *p, void (*fn)(void *arg, int member, int size), void *arg)
{
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->busy = p->size - 1;
    p->job++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    fn(arg, 0, p->size);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0)
        pthread_cond_wait(&p->idle, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void locus_pool_free(locus_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    for (int m = 1; m < p->size; m++)
        pthread_join(p->tid[m], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->lock);
    free(p->tid);
    free(p);
}

/*
 * Linking a whole table: rows sorted by frame (stably, so input order
 * within a frame, docs/LINKING.md §2.1), pushed frame by frame.
 */
#include "link/linker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t frame;
    size_t row;
} keyed_row;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* A counting sort when the frames span few numbers (the usual case). */
static int counting_order(const int64_t *frames, size_t n, int64_t lo, uint64_t span, size_t *order)
{
    size_t *count = calloc(span + 2, sizeof *count);
    if (!count)
        return -1;
    for (size_t i = 0; i < n; i++)
        count[(uint64_t)frames[i] - (uint64_t)lo + 1]++;
    for (uint64_t k = 0; k <= span; k++)
        count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++)
        order[count[(uint64_t)frames[i] - (uint64_t)lo]++] = i;
    free(count);
    return 0;
}

void locus_link_order(const int64_t *frames, size_t n, size_t *order)
{
    int sorted = 1;
    int64_t lo = n ? frames[0] : 0, hi = lo;
    for (size_t i = 0; i < n; i++) {
        order[i] = i;
        sorted &= i == 0 || frames[i - 1] <= frames[i];
        lo = frames[i] < lo ? frames[i] : lo;
        hi = frames[i] > hi ? frames[i] : hi;
    }
    if (sorted)
        return;
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span <= 4 * (uint64_t)n && counting_order(frames, n, lo, span, order) == 0)
        return;
    keyed_row *k = malloc(size_mul(n, sizeof *k));
    if (k) {
        for (size_t i = 0; i < n; i++)
            k[i] = (keyed_row){frames[i], i};
        qsort(k, n, sizeof *k, cmp_keyed);
        for (size_t i = 0; i < n; i++)
            order[i] = k[i].row;
        free(k);
        return;
    }
    /* no memory for keys: an insertion sort of the indices, slow but stable */
    for (size_t i = 1; i < n; i++) {
        size_t r = order[i], m = i;
        while (m > 0 && frames[order[m - 1]] > frames[r]) {
            order[m] = order[m - 1];
            m--;
        }
        order[m] = r;
    }
}

/* Push the frames of the sorted rows, scattering the IDs back. */
static int push_all(locus_linker *lk, const int64_t *frames, const double *pos, size_t n,
                    const size_t *order, double *buf, int64_t *idbuf, int64_t *ids,
                    locus_error *err)
{
    size_t nd = (size_t)lk->ndim;
    for (size_t a = 0; a < n;) {
        size_t b = a;
        int64_t f = frames[order[a]];
        while (b < n && frames[order[b]] == f) {
            for (size_t q = 0; q < nd; q++)
                buf[(b - a) * nd + q] = pos[order[b] * nd + q];
            b++;
        }
        int rc = locus_linker_push(lk, f, buf, b - a, idbuf, err);
        if (rc == LOCUS_E_PARAM && err)
            /* name the table's row rather than the frame's */
            for (size_t k = a; k < b; k++)
                for (size_t q = 0; q < nd; q++)
                    if (!isfinite(pos[order[k] * nd + q]))
                        return locus_error_set(err, LOCUS_E_PARAM,
                                               "row %zu (frame %lld): position is not finite",
                                               order[k], (long long)f);
        if (rc)
            return rc;
        for (size_t k = a; k < b; k++)
            ids[order[k]] = idbuf[k - a];
        a = b;
    }
    return 0;
}

int locus_link_table(const locus_link_params *p, const int64_t *frames, const double *pos, size_t n,
                     int64_t *ids, locus_link_stats *stats, locus_error *err)
{
    if (stats)
        memset(stats, 0, sizeof *stats);
    locus_linker *lk;
    int rc = locus_linker_create(&lk, p, err);
    if (rc || n == 0) {
        locus_linker_free(lk);
        return rc;
    }
    size_t *order = malloc(size_mul(n, sizeof *order));
    double *buf = malloc(size_mul(n, (size_t)p->ndim * sizeof *buf));
    int64_t *idbuf = malloc(size_mul(n, sizeof *idbuf));
    if (!order || !buf || !idbuf)
        rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    else {
        locus_link_order(frames, n, order);
        rc = push_all(lk, frames, pos, n, order, buf, idbuf, ids, err);
    }
    if (rc == 0 && stats)
        locus_linker_stats(lk, NULL, stats);
    free(order);
    free(buf);
    free(idbuf);
    locus_linker_free(lk);
    return rc;
}

/*
 * bench_link: the link-only cost of a feature table, through the public
 * API (locus_link_table). Used by bench/run.sh.
 *
 *   bench_link FEATURES.csv --search-range R [--memory M] [--runs N]
 *
 * The table (columns y, x and frame, or z, y, x and frame) is read once;
 * then locus_link_table runs N times (default 5). Prints
 *
 *   rows N
 *   trajectories T
 *   link MEDIAN MIN MAX      seconds per run
 *   rate FEATURES_PER_S      rows / median
 */
#include "locus.h"

#include "io/csv_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The table as the API wants it: frames and rows of positions. */
static int load(const char *path, int64_t **frames, double **pos, size_t *n, int *ndim)
{
    static const char *const want[4] = {"z", "y", "x", "frame"};
    features_table t;
    locus_error err;
    if (locus_features_csv_read(path, want, 4, &t, &err)) {
        fprintf(stderr, "bench_link: %s\n", err.message);
        return -1;
    }
    int nd = locus_features_column(&t, "z") ? 3 : 2;
    const double *col[3], *fr = locus_features_column(&t, "frame");
    for (int a = 0; a < nd; a++)
        col[a] = locus_features_column(&t, want[3 - nd + a]);
    *n = t.nrows;
    *ndim = nd;
    *frames = malloc((*n ? *n : 1) * sizeof **frames);
    *pos = malloc((*n ? *n : 1) * (size_t)nd * sizeof **pos);
    if (!fr || !col[nd - 1] || !col[nd - 2] || !*frames || !*pos) {
        fprintf(stderr, "bench_link: %s: needs y, x and frame (or out of memory)\n", path);
        locus_features_table_free(&t);
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        (*frames)[i] = (int64_t)fr[i];
        for (int a = 0; a < nd; a++)
            (*pos)[i * (size_t)nd + (size_t)a] = col[a][i];
    }
    locus_features_table_free(&t);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    locus_link_params p;
    locus_link_params_init(&p);
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--search-range") && i + 1 < argc) {
            p.search_range.v[0] = atof(argv[++i]);
            p.search_range.count = 1;
        } else if (!strcmp(argv[i], "--memory") && i + 1 < argc) {
            p.memory = atol(argv[++i]);
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            runs = atoi(argv[++i]);
        } else {
            path = argv[i];
        }
    }
    int64_t *frames;
    double *pos;
    size_t n;
    if (!path || runs < 1 || load(path, &frames, &pos, &n, &p.ndim))
        return 2;
    int64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    double *t = malloc((size_t)runs * sizeof *t);
    locus_link_stats st = {0};
    for (int r = 0; r < runs; r++) {
        locus_error err;
        double t0 = now();
        if (locus_link_table(&p, frames, pos, n, ids, &st, &err)) {
            fprintf(stderr, "bench_link: %s\n", err.message);
            return 1;
        }
        t[r] = now() - t0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    printf("rows %zu\ntrajectories %llu\nlink %.6f %.6f %.6f\nrate %.0f\n", n,
           (unsigned long long)st.trajectories, med, t[0], t[runs - 1], (double)n / med);
    free(ids);
    free(t);
    free(frames);
    free(pos);
    return 0;
}

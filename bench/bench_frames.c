/*
 * bench_frames: the decode floor and the locate-only cost of a workload,
 * through the public API only (include/locus.h). Used by bench/run.sh.
 *
 *   bench_frames [options] INPUT...
 *     -d D[,D..]      diameter (required; as `locus locate -d`)
 *     --minmass M     as `locus locate --minmass`
 *     --invert        as `locus locate --invert`
 *     --channel N     as `locus locate --channel`
 *     --runs R        repetitions of each measurement (default 5)
 *     --threads N     also time decoding on N threads (default 0: skip)
 *     --no-locate     decode only
 *
 * Prints one `key value...` line per result, for the script to parse:
 *
 *   frames N
 *   decode1 MEDIAN MIN MAX   frames/s, every frame read with locus_source_read
 *                            on one thread (one reader), nothing else
 *   decodeN N MEDIAN MIN MAX the same on N threads (a reader each, frames
 *                            claimed in order from a shared counter)
 *   locate MEDIAN MEAN RUNMIN RUNMAX FEATURES
 *                            ms per frame of locus_locate alone, on frames
 *                            decoded into memory beforehand (same pixel
 *                            layout as the reader gives), one workspace
 *                            warmed on frame 0: MEDIAN and MEAN over every
 *                            frame of every run, RUNMIN/RUNMAX the least and
 *                            greatest per-run median, FEATURES per frame
 *   locatecpu MEDIAN         the same median in CPU time of the thread
 *                            (CLOCK_THREAD_CPUTIME_ID): what the wall time
 *                            would be with a core to itself
 */
#include "locus.h"

#include <pthread.h>
#include <stdatomic.h>
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

static void die(const char *what, const locus_error *err)
{
    fprintf(stderr, "bench_frames: %s: %s\n", what, err ? err->message : "failed");
    exit(2);
}

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* ---- decode only ---------------------------------------------------- */

typedef struct {
    const locus_source *src;
    size_t nframes;
    atomic_size_t next;
    atomic_int failed;
} decode_job;

static void *decode_worker(void *arg)
{
    decode_job *j = arg;
    locus_reader *rd = locus_reader_create();
    locus_error err;
    locus_image img;
    if (!rd) {
        atomic_store(&j->failed, 1);
        return NULL;
    }
    for (;;) {
        size_t f = atomic_fetch_add(&j->next, 1);
        if (f >= j->nframes)
            break;
        if (locus_source_read(j->src, f, rd, &img, &err) != LOCUS_OK) {
            fprintf(stderr, "bench_frames: %s\n", err.message);
            atomic_store(&j->failed, 1);
            break;
        }
    }
    locus_reader_free(rd);
    return NULL;
}

/* Seconds to decode every frame on `threads` threads. */
static double decode_all(const locus_source *src, int threads)
{
    decode_job j = {.src = src, .nframes = locus_source_frames(src)};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!tid)
        die("decode", NULL);
    double t0 = now();
    for (int i = 1; i < threads; i++)
        if (pthread_create(&tid[i], NULL, decode_worker, &j))
            die("pthread_create", NULL);
    decode_worker(&j);
    for (int i = 1; i < threads; i++)
        pthread_join(tid[i], NULL);
    double t = now() - t0;
    free(tid);
    if (atomic_load(&j.failed))
        die("decode", NULL);
    return t;
}

static void bench_decode(const locus_source *src, int threads, int runs, const char *key)
{
    double *fps = calloc((size_t)runs, sizeof *fps);
    size_t n = locus_source_frames(src);
    for (int r = 0; r < runs; r++)
        fps[r] = (double)n / decode_all(src, threads);
    double med = median(fps, (size_t)runs);
    if (threads > 1)
        printf("%s %d %.6g %.6g %.6g\n", key, threads, med, fps[0], fps[runs - 1]);
    else
        printf("%s %.6g %.6g %.6g\n", key, med, fps[0], fps[runs - 1]);
    free(fps);
}

/* ---- locate only ---------------------------------------------------- */

/* A private copy of a decoded frame, with the reader's strides kept. */
typedef struct {
    void *mem;
    locus_image img;
} held_frame;

static void hold(held_frame *h, const locus_image *img)
{
    /* The byte range the view spans, whatever the signs of its strides. */
    ptrdiff_t lo = 0, hi = 0;
    for (int a = 0; a < img->ndim; a++) {
        ptrdiff_t ext = (ptrdiff_t)(img->shape[a] - 1) * img->strides[a];
        if (ext < 0)
            lo += ext;
        else
            hi += ext;
    }
    size_t bytes = (size_t)(hi - lo) + locus_dtype_size(img->dtype);
    h->mem = malloc(bytes);
    if (!h->mem)
        die("out of memory holding frames", NULL);
    memcpy(h->mem, (const char *)img->data + lo, bytes);
    h->img = *img;
    h->img.data = (const char *)h->mem - lo;
}

static void bench_locate(const locus_source *src, const locus_params *p, int runs)
{
    size_t n = locus_source_frames(src);
    held_frame *frames = calloc(n, sizeof *frames);
    double *ms = calloc(n * (size_t)runs, sizeof *ms);
    double *cpu_ms = calloc(n * (size_t)runs, sizeof *cpu_ms);
    double *run_med = calloc((size_t)runs, sizeof *run_med);
    locus_reader *rd = locus_reader_create();
    locus_workspace *ws = locus_workspace_create();
    locus_table *t = locus_table_create();
    locus_error err;
    if (!frames || !ms || !cpu_ms || !run_med || !rd || !ws || !t)
        die("out of memory", NULL);
    for (size_t f = 0; f < n; f++) {
        locus_image img;
        if (locus_source_read(src, f, rd, &img, &err) != LOCUS_OK)
            die("read", &err);
        hold(&frames[f], &img);
    }
    locus_reader_free(rd);
    if (locus_locate(ws, p, &frames[0].img, t, &err) != LOCUS_OK) /* plan, warm */
        die("locate", &err);
    size_t features = 0;
    double sum = 0;
    for (int r = 0; r < runs; r++) {
        double *row = ms + (size_t)r * n;
        for (size_t f = 0; f < n; f++) {
            double c0 = thread_cpu(), t0 = now();
            if (locus_locate(ws, p, &frames[f].img, t, &err) != LOCUS_OK)
                die("locate", &err);
            row[f] = 1e3 * (now() - t0);
            cpu_ms[(size_t)r * n + f] = 1e3 * (thread_cpu() - c0);
            sum += row[f];
            if (r == 0)
                features += locus_table_rows(t);
        }
        double *copy = malloc(n * sizeof *copy);
        if (!copy)
            die("out of memory", NULL);
        memcpy(copy, row, n * sizeof *copy);
        run_med[r] = median(copy, n);
        free(copy);
    }
    double med = median(ms, n * (size_t)runs);
    qsort(run_med, (size_t)runs, sizeof *run_med, cmp_double);
    printf("locate %.6g %.6g %.6g %.6g %.6g\n", med, sum / (double)(n * (size_t)runs), run_med[0],
           run_med[runs - 1], (double)features / (double)n);
    printf("locatecpu %.6g\n", median(cpu_ms, n * (size_t)runs));
    for (size_t f = 0; f < n; f++)
        free(frames[f].mem);
    free(frames);
    free(ms);
    free(cpu_ms);
    free(run_med);
    locus_table_free(t);
    locus_workspace_free(ws);
}

/* ---- options -------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: bench_frames -d D [--minmass M] [--invert] [--channel N] "
                    "[--runs R] [--threads N] [--no-locate] INPUT...\n");
    exit(2);
}

static void parse_axes(const char *s, locus_axes *a)
{
    char *end;
    a->count = 0;
    for (;;) {
        if (a->count == 3)
            usage();
        a->v[a->count++] = strtod(s, &end);
        if (end == s)
            usage();
        if (*end != ',')
            break;
        s = end + 1;
    }
    if (*end)
        usage();
}

int main(int argc, char **argv)
{
    locus_params p;
    locus_params_init(&p);
    locus_source_opts so = {.channel = -1, .volume = 0};
    int runs = 5, threads = 0, do_locate = 1, i;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "-d") && more)
            parse_axes(argv[++i], &p.diameter);
        else if (!strcmp(a, "--minmass") && more)
            p.minmass = atof(argv[++i]);
        else if (!strcmp(a, "--invert"))
            p.invert = 1;
        else if (!strcmp(a, "--channel") && more)
            so.channel = atoi(argv[++i]);
        else if (!strcmp(a, "--runs") && more)
            runs = atoi(argv[++i]);
        else if (!strcmp(a, "--threads") && more)
            threads = atoi(argv[++i]);
        else if (!strcmp(a, "--no-locate"))
            do_locate = 0;
        else
            usage();
    }
    if (i == argc || p.diameter.count == 0 || runs < 1)
        usage();
    locus_source *src = NULL;
    locus_error err;
    if (locus_source_open(&src, (const char *const *)(argv + i), (size_t)(argc - i), &so, &err) ||
        locus_source_check(src, &err))
        die("open", &err);
    if (locus_params_check(&p, locus_source_ndim(src), &err))
        die("parameters", &err);
    printf("frames %zu\n", locus_source_frames(src));
    fflush(stdout);
    decode_all(src, 1); /* warm the page cache and the reader paths */
    bench_decode(src, 1, runs, "decode1");
    fflush(stdout);
    if (threads > 1) {
        bench_decode(src, threads, runs, "decodeN");
        fflush(stdout);
    }
    if (do_locate)
        bench_locate(src, &p, runs);
    locus_source_free(src);
    return 0;
}

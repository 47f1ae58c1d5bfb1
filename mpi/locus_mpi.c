/*
 * locus-mpi: `locus locate` and `locus track` across the ranks of an MPI
 * job.
 *
 *   mpirun -n 8 build/locus-mpi locate -d 13 --invert --channel 0 movie/ -o out.csv
 *   mpirun -n 8 build/locus-mpi track -d 13 --invert --channel 0 --search-range 5 \
 *       movie/ -o tracks.csv
 *
 * Rank 0 lists the inputs once (so a thousand ranks do not each walk
 * the directories) and sends the frame list to every rank. Work goes out
 * in chunks of frames, on demand: a rank asks, rank 0 answers with the
 * next chunk, the rank reads and locates it with its own threads and
 * sends back the chunk's CSV rows, which is also its next request. So a
 * slow node simply takes fewer chunks. Rank 0 computes chunks too (on a
 * thread of its own), puts results in frame order, makes each finished
 * chunk durable in the checkpoint if asked, and writes the same bytes as
 * `locus locate`. Memory stays bounded: no chunk is dealt more than a
 * window ahead of the output.
 *
 * `track` is the same run with the output's tracker (run/track.h), as in
 * `locus track`: rank 0 links each chunk's rows as the output writes
 * them, in frame order, checkpointed chunks included (the checkpoint
 * holds locate's rows), so the table is `locus track`'s byte for byte.
 * The other ranks only locate.
 *
 * MPI is called only from each rank's main thread (MPI_THREAD_FUNNELED).
 */
#include "commands.h"
#include "options.h"
#include "run/run.h"
#include "progress.h"
#include "run.h"

#include <errno.h>
#include <mpi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* "locus-mpi locate" or "locus-mpi track": how every message begins */
static const char *prog = "locus-mpi";

enum { TAG_REQUEST = 1, TAG_RESULT, TAG_ASSIGN };
enum { ASSIGN_STOP = -1 };

/* ------------------------------------------------------------------ */
/* One chunk, on this rank's threads                                  */
/* ------------------------------------------------------------------ */

typedef struct {
    locus_chunk *result;
    size_t first;
    locus_error error;
} chunk_sink;

static int take_frame(void *user, size_t k, const locus_table *t, const locus_error *err)
{
    chunk_sink *s = user;
    return locus_chunk_add_frame(s->result, s->first + k, t, err, &s->error) != LOCUS_OK;
}

/* One per computing thread of a rank, kept from chunk to chunk so plans
 * and buffers are made once per run, not once per chunk. */
typedef struct {
    int threads;
    locus_workspace **ws;
} workspace_pool;

static int pool_init(workspace_pool *pool, const locate_options *o)
{
    pool->threads = o->threads > 0 ? o->threads : locus_cpu_count();
    pool->ws = calloc((size_t)pool->threads, sizeof *pool->ws);
    return pool->ws ? 0 : -1;
}

static void pool_free(workspace_pool *pool)
{
    for (int i = 0; pool->ws && i < pool->threads; i++)
        locus_workspace_free(pool->ws[i]);
    free(pool->ws);
}

/* Locate the frames of chunk c into r. On failure r holds the frames
 * before the failing one. */
static int compute_chunk(const locate_options *o, const locus_source *src, size_t c,
                         workspace_pool *pool, locus_chunk *r, locus_error *err)
{
    size_t n = locus_source_frames(src), first = c * o->chunk;
    size_t count = first + o->chunk < n ? o->chunk : n - first;
    locus_frames all = locus_source_frames_of(src), frames;
    locus_frames_view range;
    frames = locus_frames_subset(&range, &all, NULL, first, count);
    chunk_sink sink = {r, first, {0}};
    locus_batch_opts bo;
    locus_batch_opts_init(&bo);
    bo.threads = pool->threads;
    bo.workspaces = pool->ws;
    bo.skip_bad = o->skip_bad;
    bo.stop = run_stop_flag();
    locus_chunk_clear(r);
    r->index = c;
    int rc = locus_batch(&o->params, &bo, &frames, take_frame, &sink, err);
    if (rc == LOCUS_E_ABORTED) /* the sink stopped it: say why */
        *err = sink.error, rc = sink.error.status;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/* A result: this header (the error as its facts), the skip lines, the
 * rows. Every rank runs the same binary, so the struct travels as bytes. */
typedef struct {
    int64_t index, status, frames, features, blank, skipped, skips_len, rows_len;
    locus_error error;
} result_header;

static int send_result(const locus_chunk *r, int status, const locus_error *err)
{
    result_header h = {(int64_t)r->index,
                       status,
                       (int64_t)r->frames,
                       (int64_t)r->features,
                       (int64_t)r->blank,
                       (int64_t)r->skipped,
                       (int64_t)r->skips.len,
                       (int64_t)r->rows.len,
                       {0}};
    if (status != LOCUS_OK)
        h.error = *err;
    size_t len = sizeof h + r->skips.len + r->rows.len;
    char *msg = malloc(len);
    if (!msg)
        return -1;
    memcpy(msg, &h, sizeof h);
    if (r->skips.len)
        memcpy(msg + sizeof h, r->skips.data, r->skips.len);
    if (r->rows.len)
        memcpy(msg + sizeof h + r->skips.len, r->rows.data, r->rows.len);
    /* chunks are far below 2 GiB: a chunk of 16 frames of 10^5 features is ~20 MB */
    int rc = MPI_Send(msg, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    free(msg);
    return rc == MPI_SUCCESS ? 0 : -1;
}

static int unpack_result(const char *msg, size_t len, locus_chunk *r, locus_error *err)
{
    result_header h;
    if (len < sizeof h)
        return -1;
    memcpy(&h, msg, sizeof h);
    if (sizeof h + (size_t)h.skips_len + (size_t)h.rows_len != len)
        return -1;
    locus_chunk_clear(r);
    r->index = (size_t)h.index;
    r->frames = (size_t)h.frames;
    r->features = (size_t)h.features;
    r->blank = (size_t)h.blank;
    r->skipped = (size_t)h.skipped;
    if (locus_buffer_append(&r->skips, msg + sizeof h, (size_t)h.skips_len) ||
        locus_buffer_append(&r->rows, msg + sizeof h + h.skips_len, (size_t)h.rows_len))
        return -1;
    *err = h.error;
    err->status = (int)h.status;
    /* whatever came over the wire, the strings end inside their arrays */
    err->param[sizeof err->param - 1] = err->other[sizeof err->other - 1] = '\0';
    err->path[sizeof err->path - 1] = err->reason[sizeof err->reason - 1] = '\0';
    locus_error_compose(err);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Workers: ranks 1..n-1                                               */
/* ------------------------------------------------------------------ */

/* "rank R on HOST: FILE: reason": the file was there for rank 0, maybe
 * not here; the rank becomes part of where the error happened. */
static void name_rank(locus_error *err, int rank)
{
    char host[64] = "?", where[LOCUS_ERROR_PATH_MAX];
    gethostname(host, sizeof host - 1);
    int n = snprintf(where, sizeof where, "rank %d on %s%s", rank, host, err->path[0] ? ": " : "");
    snprintf(where + n, sizeof where - (size_t)n, "%.*s", (int)(sizeof where - (size_t)n - 1),
             err->path);
    memcpy(err->path, where, sizeof err->path);
    locus_error_compose(err);
}

static void worker(const locate_options *o, const locus_source *src, int rank)
{
    locus_chunk r = {0};
    locus_error err = {0};
    workspace_pool pool;
    int64_t c;
    if (pool_init(&pool, o))
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_REQUEST, MPI_COMM_WORLD);
    for (;;) {
        MPI_Recv(&c, 1, MPI_INT64_T, 0, TAG_ASSIGN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (c == ASSIGN_STOP)
            break;
        int rc = compute_chunk(o, src, (size_t)c, &pool, &r, &err);
        if (rc != LOCUS_OK && rc != LOCUS_E_INTERRUPTED)
            name_rank(&err, rank);
        if (send_result(&r, rc, &err)) {
            fprintf(stderr, "%s: out of memory sending a result\n", prog);
            MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
        }
    }
    locus_chunk_free(&r);
    pool_free(&pool);
}

/* ------------------------------------------------------------------ */
/* Rank 0: dealing, computing, writing                                 */
/* ------------------------------------------------------------------ */

/* A chunk's result, waiting in the window for its turn in the output. */
typedef struct {
    locus_chunk r;
    int status;
    int checkpointed; /* nothing to write: the output copies it from the checkpoint */
    locus_error error;
} slot;

/*
 * Rank 0's view of the run: an ordered window over the chunks (see
 * common/window.h), fed by the ranks' results and by rank 0's own thread.
 * A chunk the checkpoint holds is claimed and completed at once, so the
 * window's invariant holds: whenever a claim must wait, the chunk the
 * output waits for has been dealt and its result is on its way.
 */
typedef struct {
    const locate_options *o;
    const locus_source *src;
    locus_output *out;
    locus_window window;
    slot *slots; /* by chunk % window capacity */
    size_t done_frames;
    progress_meter *meter;
} coordinator;

/* The window's consumer: a chunk's turn has come. */
static int emit_chunk(void *user, size_t c, locus_error *err)
{
    coordinator *k = user;
    slot *s = &k->slots[c % k->window.capacity];
    size_t n = locus_source_frames(k->src), first = c * k->o->chunk;
    k->done_frames = first + k->o->chunk < n ? first + k->o->chunk : n;
    progress_update(k->meter, k->done_frames, n);
    if (s->checkpointed)
        return LOCUS_OK;
    /* a chunk cut short by a failure: its frames before the failure go
     * out (not into the checkpoint), then the run ends */
    int rc = locus_output_chunk(k->out, &s->r, s->status == LOCUS_OK, err);
    if (rc == LOCUS_OK && s->status != LOCUS_OK)
        *err = s->error, rc = s->status;
    return rc;
}

/* The next chunk to compute: 1 (in *c), 0 none left, -1 not yet (the
 * window is full). Checkpointed chunks are passed over, completed. */
static int next_chunk(coordinator *k, int wait, size_t *c)
{
    for (;;) {
        int r = wait ? locus_window_claim(&k->window, c) : locus_window_try_claim(&k->window, c);
        if (r != 1)
            return r;
        slot *s = &k->slots[*c % k->window.capacity];
        s->checkpointed = locus_output_has_chunk(k->out, *c);
        if (!s->checkpointed)
            return 1;
        locus_window_complete(&k->window, *c);
    }
}

/* Rank 0's own share of the work, on its own thread (no MPI here). */
static void local_work(coordinator *k)
{
    locus_error err = {0};
    workspace_pool pool;
    if (pool_init(&pool, k->o)) {
        locus_window_stop(&k->window, LOCUS_E_NOMEM, NULL);
        return;
    }
    size_t c;
    while (next_chunk(k, 1, &c) == 1) {
        slot *s = &k->slots[c % k->window.capacity];
        s->status = compute_chunk(k->o, k->src, c, &pool, &s->r, &err);
        if (s->status != LOCUS_OK)
            s->error = err;
        locus_window_complete(&k->window, c);
    }
    pool_free(&pool);
}

typedef struct {
    int size, stopped; /* workers told to stop */
    unsigned char *waiting;
    char *buf;
    int cap;
} mailbox;

/* Answer worker `rank`: a chunk, stop, or (window full) later. */
static void answer(coordinator *k, mailbox *m, int rank)
{
    size_t c;
    int r = next_chunk(k, 0, &c);
    m->waiting[rank] = r < 0;
    if (r < 0)
        return;
    int64_t msg = r == 1 ? (int64_t)c : ASSIGN_STOP;
    MPI_Send(&msg, 1, MPI_INT64_T, rank, TAG_ASSIGN, MPI_COMM_WORLD);
    m->stopped += r == 0;
}

/* A request or a result (which is also a request) from a worker. */
static void receive(coordinator *k, mailbox *m, const MPI_Status *st)
{
    int len;
    MPI_Get_count(st, MPI_BYTE, &len);
    if (len > m->cap) {
        free(m->buf);
        m->cap = len;
        if (!(m->buf = malloc((size_t)len))) {
            fprintf(stderr, "%s: out of memory receiving a result\n", prog);
            MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
        }
    }
    MPI_Recv(m->buf, len, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st->MPI_TAG == TAG_RESULT) {
        result_header h = {0};
        if ((size_t)len >= sizeof h)
            memcpy(&h, m->buf, sizeof h);
        size_t c = (size_t)h.index;
        slot *s = (size_t)len >= sizeof h && h.index >= 0 && c < k->window.nitems
                      ? &k->slots[c % k->window.capacity]
                      : NULL;
        if (!s || unpack_result(m->buf, (size_t)len, &s->r, &s->error)) {
            fprintf(stderr, "%s: a malformed result from rank %d\n", prog, st->MPI_SOURCE);
            MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
        }
        s->status = s->error.status;
        locus_window_complete(&k->window, c);
    }
    answer(k, m, st->MPI_SOURCE);
}

/* Until every worker is told to stop and rank 0's own thread is done. */
static void coordinate(coordinator *k, mailbox *m, volatile int *local_done)
{
    for (;;) {
        int flag;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            receive(k, m, &st);
            continue;
        }
        for (int w = 1; w < m->size; w++)
            if (m->waiting[w])
                answer(k, m, w);
        if (m->stopped == m->size - 1 && __atomic_load_n(local_done, __ATOMIC_ACQUIRE))
            break;
        /* nothing to do: results take milliseconds to seconds to come */
        nanosleep(&(struct timespec){0, 200000}, NULL);
    }
}

typedef struct {
    coordinator *k;
    mailbox *m;
    volatile int local_done;
} rank0_team;

/* Member 0 (this, the MPI thread) coordinates; member 1 computes. */
static void rank0_member(void *arg, int member, int size)
{
    rank0_team *t = arg;
    if (member == 0) {
        if (size < 2) /* no second thread: compute here first, then serve */
            local_work(t->k), __atomic_store_n(&t->local_done, 1, __ATOMIC_RELEASE);
        coordinate(t->k, t->m, &t->local_done);
    } else {
        local_work(t->k);
        __atomic_store_n(&t->local_done, 1, __ATOMIC_RELEASE);
    }
}

static int rank0(const locate_options *o, const locus_source *src, int size, locus_output *out)
{
    coordinator k = {.o = o, .src = src, .out = out};
    mailbox m = {.size = size};
    size_t nchunks = locus_output_chunks(out), capacity = 4 * (size_t)size + 4;
    locus_error err = {0};
    k.slots = calloc(capacity, sizeof *k.slots);
    m.waiting = calloc((size_t)size, 1);
    locus_pool *team = locus_pool_create(2);
    if (!k.slots || !m.waiting || !team ||
        locus_window_init(&k.window, nchunks, capacity, emit_chunk, &k)) {
        fprintf(stderr, "%s: out of memory\n", prog);
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
    }
    k.window.stop_flag = run_stop_flag();
    int show = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress;
    k.meter = show && !o->quiet ? progress_create(prog) : NULL;
    double t0 = progress_now();
    rank0_team t = {&k, &m, 0};
    locus_pool_run(team, rank0_member, &t);
    locus_pool_free(team);
    progress_clear(k.meter);
    int rc = locus_window_status(&k.window, &err);
    int status = run_finish(prog, o, out, rc, &err, progress_now() - t0);
    locus_window_destroy(&k.window);
    for (size_t i = 0; i < capacity; i++)
        locus_chunk_free(&k.slots[i].r);
    free(k.slots);
    free(m.waiting);
    free(m.buf);
    progress_free(k.meter);
    return status;
}

/* ------------------------------------------------------------------ */
/* Start: rank 0 checks the command and lists the inputs for everyone  */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: mpirun [-n RANKS] locus-mpi locate -d DIAMETER [options] INPUT...\n"
               "       mpirun [-n RANKS] locus-mpi track -d DIAMETER --search-range R [options] "
               "INPUT...\n"
               "\n"
               "`locus locate` and `locus track` across the ranks of an MPI job: the same\n"
               "options, the same output, byte for byte. Rank 0 deals chunks of frames\n"
               "(--chunk) to ranks on demand; each rank reads and locates its frames with -j\n"
               "threads (default: one per core of its node). With track, rank 0 links the\n"
               "frames into trajectories as it writes them, in frame order; --checkpoint\n"
               "resumes either. `locus-mpi locate --help` and `locus-mpi track --help` list\n"
               "the options.\n");
}

/* The command's options: `locate` fills o->locate only. */
static int parse_options(int tracking, int argc, char **argv, track_options *o)
{
    if (tracking)
        return track_options_parse(prog, argc - 1, argv + 1, o);
    link_setup_init(&o->link);
    return locate_options_parse(prog, argc - 1, argv + 1, &o->locate);
}

/* Parse on rank 0 (which reports errors) and list the inputs; -1 to go
 * on, or the exit status for everyone. A track run gets its tracker. */
static int start_rank0(int argc, char **argv, track_options *t, locus_source **src,
                       locus_buffer *packed, locus_tracker **tracker, locus_output **out)
{
    const char *cmd = argc < 2 ? "" : argv[1];
    if (strcmp(cmd, "locate") && strcmp(cmd, "track") && strcmp(cmd, "-h") &&
        strcmp(cmd, "--help") && strcmp(cmd, "--version")) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("locus-mpi %s\n", locus_version());
        return EXIT_OK;
    }
    int tracking = !strcmp(cmd, "track");
    locate_options *o = &t->locate;
    int rc = parse_options(tracking, argc, argv, t);
    if (rc >= 0)
        return rc;
    /* the pictures need a frame's pixels where its table is; on a
     * cluster that is some other rank */
    if (o->annotate_dir) {
        fprintf(stderr, "%s: --annotate: not supported by locus-mpi (use locus %s)\n", prog, cmd);
        return EXIT_USAGE;
    }
    if ((rc = run_open_source(prog, o, src)) >= 0)
        return rc;
    /* chunks are the unit of work here, checkpoint or not */
    if (tracking && (rc = run_open_tracker(prog, t, *src, o->chunk, tracker)) >= 0)
        return rc;
    if ((rc = run_open_output(prog, o, *src, o->chunk, *tracker, out)) >= 0)
        return rc;
    if (locus_source_pack(*src, packed)) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return EXIT_FAILURE_;
    }
    return -1;
}

/* Everyone receives rank 0's verdict, then the frame list. */
static int share_inputs(int rank, int argc, char **argv, track_options *t, locus_source **src,
                        locus_buffer *packed, int verdict)
{
    MPI_Bcast(&verdict, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (verdict >= 0)
        return verdict;
    uint64_t len = packed->len;
    MPI_Bcast(&len, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        MPI_Bcast(packed->data, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD);
        return -1;
    }
    /* rank 0 has parsed the very same arguments without complaint */
    parse_options(!strcmp(argv[1], "track"), argc, argv, t);
    char *data = malloc(len ? len : 1);
    if (!data)
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
    MPI_Bcast(data, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD);
    locus_error err = {0};
    if (locus_source_unpack(src, data, len, &err)) {
        fprintf(stderr, "%s: rank %d: %s\n", prog, rank, err.message);
        MPI_Abort(MPI_COMM_WORLD, EXIT_FAILURE_);
    }
    free(data);
    return -1;
}

int main(int argc, char **argv)
{
    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc >= 2 && !strcmp(argv[1], "locate"))
        prog = "locus-mpi locate";
    else if (argc >= 2 && !strcmp(argv[1], "track"))
        prog = "locus-mpi track";
    track_options t;
    locus_source *src = NULL;
    locus_buffer packed = {0};
    locus_tracker *tracker = NULL;
    locus_output *out = NULL;
    int status = rank == 0 ? start_rank0(argc, argv, &t, &src, &packed, &tracker, &out) : -1;
    status = share_inputs(rank, argc, argv, &t, &src, &packed, status);
    if (status < 0) {
        run_install_signals();
        if (rank == 0) {
            status = rank0(&t.locate, src, size, out);
            if (tracker && (status == EXIT_OK || status == EXIT_SKIPPED))
                run_link_summary(prog, &t, tracker);
        } else {
            worker(&t.locate, src, rank);
        }
    } else if (out) {
        locus_output_close(out, 0, NULL);
        locus_output_free(out);
    }
    /* every rank leaves with rank 0's status, so mpirun reports it */
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    locus_tracker_free(tracker);
    locus_source_free(src);
    locus_buffer_free(&packed);
    MPI_Finalize();
    return status;
}

/* `locus locate`: image files in, one CSV table out. */
#include "annotate_frame.h"
#include "commands.h"
#include "options.h"
#include "run/output.h"
#include "progress.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "locus locate"

typedef struct {
    run_output out;
    const size_t *map;
    chunk_result chunk; /* the chunk being filled */
    locus_error error;  /* why writing stopped */
    progress_meter *meter;
    annotate_hook annotate; /* --annotate DIR: frames drawn as they come */
} sink_state;

/* Frames arrive in order: each goes into its chunk, which is written
 * (after any checkpointed chunks before it) once complete. */
static int take_frame(void *user, size_t k, const locus_table *t, const locus_error *err)
{
    sink_state *s = user;
    size_t frame = s->map[k], c = locus_run_output_chunk_of(&s->out, frame);
    if (locus_run_output_resume(&s->out, c, &s->error))
        return 1;
    s->chunk.index = c;
    if (run_frame_rows(&s->chunk, frame, t, err)) {
        error_from_errno(&s->error, ENOMEM, "out of memory");
        return 1;
    }
    if (annotate_hook_frame(&s->annotate, frame, t, &s->error))
        return 1;
    if (!locus_run_output_last_in_chunk(&s->out, frame))
        return 0;
    int rc = locus_run_output_write(&s->out, &s->chunk, 1, &s->error);
    locus_chunk_result_clear(&s->chunk);
    return rc != LOCUS_OK;
}

static void on_progress(void *user, size_t done, size_t total)
{
    progress_update(user, done, total);
}

/* Run the batch over the frames not yet checkpointed. */
static int compute(const locate_options *o, const locus_source *src, sink_state *s,
                   locus_error *err)
{
    size_t n = locus_source_frames(src), ntodo = 0;
    size_t *map = malloc((n ? n : 1) * sizeof *map);
    if (!map)
        return error_from_errno(err, ENOMEM, "out of memory");
    for (size_t f = 0; f < n; f++)
        if (!s->out.ckpt ||
            !locus_checkpoint_has(s->out.ckpt, locus_run_output_chunk_of(&s->out, f)))
            map[ntodo++] = f;
    /* the frames still to compute: a resumed run skips checkpointed chunks */
    locus_frames all = locus_source_frames_of(src), frames;
    locus_frames_view todo;
    frames = locus_frames_subset(&todo, &all, map, 0, ntodo);
    locus_batch_opts bo;
    locus_batch_opts_init(&bo);
    bo.threads = o->threads;
    bo.skip_bad = o->skip_bad;
    bo.stop = run_stop_flag();
    if (s->meter) {
        bo.progress = on_progress;
        bo.progress_user = s->meter;
    }
    s->map = map;
    int rc = locus_batch(&o->params, &bo, &frames, take_frame, s, err);
    if (rc == LOCUS_E_ABORTED) /* the sink stopped it: say why */
        *err = s->error, rc = s->error.status;
    /* frames of a chunk cut short still go out (not into the checkpoint) */
    if (rc != LOCUS_OK && s->chunk.rows.len &&
        locus_run_output_write(&s->out, &s->chunk, 0, &s->error) && rc == LOCUS_OK)
        *err = s->error, rc = s->error.status;
    if (rc == LOCUS_OK)
        rc = locus_run_output_resume(&s->out, s->out.nchunks, err);
    free(map);
    return rc;
}

static int run(const locate_options *o, locus_source *src)
{
    sink_state s = {0};
    locus_error err = {0};
    FILE *out;
    checkpoint *ckpt = NULL;
    int rc = annotate_hook_open(&s.annotate, o, src, &err);
    if (rc == LOCUS_OK)
        rc = run_open_checkpoint(o, src, &ckpt, &err);
    if (rc != LOCUS_OK) {
        report_error(PROG, &err);
        annotate_hook_close(&s.annotate);
        return rc == LOCUS_E_NOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
    }
    if ((rc = run_open_output(PROG, o, &out)) != -1) {
        locus_checkpoint_close(ckpt);
        annotate_hook_close(&s.annotate);
        return rc;
    }
    locus_run_output_init(&s.out, out, o->output ? o->output : "standard output", ckpt,
                          ckpt ? o->chunk : 1, locus_source_frames(src));
    int show = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress;
    s.meter = show && !o->quiet ? progress_create(PROG) : NULL;
    double t0 = progress_now();
    run_install_signals();
    rc = run_write_header(&o->params, src, &s.out, &err);
    if (rc == LOCUS_OK)
        rc = compute(o, src, &s, &err);
    progress_clear(s.meter);
    int status = run_finish(PROG, o, &s.out, rc, &err, progress_now() - t0);
    progress_free(s.meter);
    locus_chunk_result_free(&s.chunk);
    locus_run_output_free(&s.out);
    locus_checkpoint_close(ckpt);
    annotate_hook_close(&s.annotate);
    return status;
}

int cmd_locate(int argc, char **argv)
{
    locate_options o;
    int rc = locate_options_parse(PROG, argc, argv, &o);
    if (rc >= 0)
        return rc;
    locus_source *src = NULL;
    rc = run_open_source(PROG, &o, &src);
    if (rc >= 0)
        return rc;
    rc = run(&o, src);
    locus_source_free(src);
    return rc;
}

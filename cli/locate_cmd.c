/* `locus locate`: image files in, one CSV table out. */
#include "annotate_frame.h"
#include "commands.h"
#include "options.h"
#include "run/run.h"
#include "progress.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "locus locate"

typedef struct {
    locus_output *out;
    const size_t *map; /* batch frame k is frame map[k] */
    locus_error error; /* why writing stopped */
    progress_meter *meter;
    annotate_hook annotate; /* --annotate DIR: frames drawn as they come */
} sink_state;

/* Frames arrive in order; the output module puts them into chunks. */
static int take_frame(void *user, size_t k, const locus_table *t, const locus_error *err)
{
    sink_state *s = user;
    size_t frame = s->map[k];
    if (locus_output_frame(s->out, frame, t, err, &s->error))
        return 1;
    return annotate_hook_frame(&s->annotate, frame, t, &s->error) != LOCUS_OK;
}

static void on_progress(void *user, size_t done, size_t total)
{
    progress_update(user, done, total);
}

/* Run the batch over the frames not yet checkpointed. */
static int compute(const locate_options *o, const locus_source *src, sink_state *s,
                   locus_error *err)
{
    size_t n = locus_source_frames(src);
    size_t *map = malloc((n ? n : 1) * sizeof *map);
    if (!map)
        return error_from_errno(err, ENOMEM, "out of memory");
    size_t ntodo = locus_output_todo(s->out, map);
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
    free(map);
    return rc;
}

int locate_run(const char *prog, const locate_options *o, locus_source *src, locus_tracker *tracker)
{
    sink_state s = {0};
    locus_error err = {0};
    int rc = annotate_hook_open(&s.annotate, o, src, &err);
    if (rc != LOCUS_OK) {
        cli_report(prog, &err);
        annotate_hook_close(&s.annotate);
        return cli_exit_status(rc);
    }
    /* without a checkpoint every frame goes out as soon as it is done */
    if ((rc = run_open_output(prog, o, src, o->checkpoint ? o->chunk : 1, tracker, &s.out)) != -1) {
        annotate_hook_close(&s.annotate);
        return rc;
    }
    int show = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress;
    s.meter = show && !o->quiet ? progress_create(prog) : NULL;
    double t0 = progress_now();
    run_install_signals();
    rc = compute(o, src, &s, &err);
    progress_clear(s.meter);
    int status = run_finish(prog, o, s.out, rc, &err, progress_now() - t0);
    progress_free(s.meter);
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
    rc = locate_run(PROG, &o, src, NULL);
    locus_source_free(src);
    return rc;
}

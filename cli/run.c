/* Around a run: see run.h. */
#include "run.h"

#include "commands.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Set by SIGINT/SIGTERM; the batch polls it between frames. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

void run_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

volatile const int *run_stop_flag(void)
{
    _Static_assert(sizeof(sig_atomic_t) == sizeof(int), "sig_atomic_t is an int here");
    return (volatile const int *)&stop_signal;
}

int error_from_errno(locus_error *err, int errnum, const char *what)
{
    cli_error(err, errnum == ENOMEM ? LOCUS_E_NOMEM : LOCUS_E_IO, "%s", what);
    err->sys_errno = errnum;
    return err->status;
}

int run_open_source(const char *prog, const locate_options *o, locus_source **src)
{
    locus_error err = {0};
    int rc = locus_source_open(src, (const char *const *)o->inputs, (size_t)o->ninputs, &o->source,
                               &err);
    if (rc == LOCUS_OK && !o->skip_bad)
        rc = locus_source_check(*src, &err);
    if (rc == LOCUS_OK)
        rc = locus_params_check(&o->params, locus_source_ndim(*src), &err);
    if (rc == LOCUS_OK)
        return -1;
    cli_report(prog, &err);
    locus_source_free(*src);
    *src = NULL;
    return cli_exit_status(rc);
}

/* The CSV header: the columns of these parameters, then `frame`. */
static int header_of(const locate_options *o, const locus_source *src, locus_buffer *b)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int n = locus_columns(&o->params, locus_source_ndim(src), names);
    return n < 0 || locus_csv_header(b, names, n);
}

int run_open_output(const char *prog, const locate_options *o, const locus_source *src,
                    size_t chunk, locus_tracker *tracker, locus_output **out)
{
    locus_buffer header = {0}, manifest = {0};
    locus_error err = {0};
    int rc =
        header_of(o, src, &header) ? error_from_errno(&err, ENOMEM, "out of memory") : LOCUS_OK;
    if (rc == LOCUS_OK && tracker) { /* the trajectory after locate's columns */
        header.len--;
        if (locus_buffer_append(&header, ",particle\n", 10))
            rc = error_from_errno(&err, ENOMEM, "out of memory");
    }
    if (rc == LOCUS_OK && o->checkpoint)
        rc = locus_run_manifest(&o->params, &o->source, src, o->chunk, NULL, &manifest, &err);
    locus_output_opts oo = {.path = o->output,
                            .header = header.data,
                            .checkpoint = o->checkpoint,
                            .manifest = manifest.data,
                            .chunk = chunk,
                            .nframes = locus_source_frames(src),
                            .transform = tracker ? locus_tracker_rows : NULL,
                            .transform_user = tracker};
    if (rc == LOCUS_OK)
        rc = locus_output_open(out, &oo, &err);
    locus_buffer_free(&header);
    locus_buffer_free(&manifest);
    if (rc == LOCUS_OK)
        return -1;
    cli_report(prog, &err);
    return cli_exit_status(rc);
}

int run_open_tracker(const char *prog, const track_options *o, const locus_source *src,
                     size_t chunk, locus_tracker **t)
{
    locus_link_params p = o->link.params;
    locus_error err = {0};
    double *guess = NULL;
    int ndim = locus_source_ndim(src);
    int rc = locus_link_fit(&p, ndim, NULL, o->link.flow_axis, o->link.guess, o->link.guess_file,
                            &guess, &err);
    if (rc == LOCUS_OK)
        rc = locus_tracker_create(t, &p, chunk, locus_source_frames(src), &err);
    free(guess); /* the linker keeps its own copy */
    if (rc == LOCUS_OK)
        return -1;
    cli_report(prog, &err);
    return cli_exit_status(rc);
}

void run_link_summary(const char *prog, const track_options *o, const locus_tracker *t)
{
    locus_link_stats s;
    locus_tracker_stats(t, &s);
    if (s.oversize)
        fprintf(stderr,
                "%s: %llu subnet%s larger than trackpy's limit %s solved exactly (largest: "
                "%llu sources); trackpy would fail (--oversize raise does)\n",
                prog, (unsigned long long)s.oversize, s.oversize == 1 ? "" : "s",
                s.oversize == 1 ? "was" : "were", (unsigned long long)s.largest_oversize);
    if (!o->locate.quiet)
        fprintf(stderr, "%s: %llu trajectories\n", prog, (unsigned long long)s.trajectories);
}

static void print_summary(const char *prog, const locus_output_stats *out, double seconds)
{
    /* the rate is of the frames computed, not of those copied */
    size_t computed = out->frames + out->skipped - out->resumed;
    fprintf(stderr, "%s: %zu frames, %zu features, %.2f s, %.1f frames/s", prog, out->frames,
            out->features, seconds, seconds > 0 ? (double)computed / seconds : 0.0);
    if (out->resumed)
        fprintf(stderr, " (%zu from the checkpoint)", out->resumed);
    if (out->blank)
        fprintf(stderr, " (%zu blank: no signal after the band pass)", out->blank);
    fprintf(stderr, "\n");
}

/* Print every skipped frame, one line each, after the summary. */
static void print_skips(const char *prog, const locus_output_stats *out)
{
    const char *p = out->skips;
    for (size_t k = 0; k < out->skipped && p && *p; k++) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "%s: skipped %.*s\n", prog, len, p);
        p += len + (nl != NULL);
    }
    fprintf(stderr, "%s: %zu of %zu frames skipped (--skip-bad)\n", prog, out->skipped,
            out->skipped + out->frames);
}

int run_finish(const char *prog, const locate_options *o, locus_output *output, int rc,
               const locus_error *err, double seconds)
{
    locus_error close_err = {0};
    int closed = locus_output_close(output, rc == LOCUS_OK, &close_err);
    locus_output_stats st = locus_output_get_stats(output);
    int status;
    if (closed != LOCUS_OK) {
        cli_report(prog, &close_err);
        status = cli_exit_status(closed);
    } else if (rc == LOCUS_E_INTERRUPTED) {
        int sig = stop_signal ? stop_signal : SIGINT;
        fprintf(stderr, "%s: stopped by %s after %zu frames; the output holds them whole\n", prog,
                sig == SIGTERM ? "SIGTERM" : "SIGINT", st.frames);
        status = 128 + sig;
    } else if (rc != LOCUS_OK) {
        cli_report(prog, err);
        if (st.frames)
            fprintf(stderr, "%s: the output holds the %zu frame%s before it\n", prog, st.frames,
                    st.frames == 1 ? "" : "s");
        status = cli_exit_status(rc);
    } else {
        if (!o->quiet)
            print_summary(prog, &st, seconds);
        status = EXIT_OK;
        if (st.skipped) {
            print_skips(prog, &st);
            status = EXIT_SKIPPED;
        }
    }
    locus_output_free(output);
    return status;
}

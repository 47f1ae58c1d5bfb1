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
    err->status = errnum == ENOMEM ? LOCUS_E_NOMEM : LOCUS_E_IO;
    snprintf(err->message, sizeof err->message, "%s", what);
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
    report_error(prog, &err);
    locus_source_free(*src);
    *src = NULL;
    return rc == LOCUS_E_NOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
}

int run_open_output(const char *prog, const locate_options *o, FILE **out)
{
    *out = stdout;
    if (!o->output || !strcmp(o->output, "-"))
        return -1;
    if (!(*out = fopen(o->output, "w"))) {
        fprintf(stderr, "%s: %s: cannot write: %s\n", prog, o->output, strerror(errno));
        return EXIT_USAGE;
    }
    return -1;
}

int run_open_checkpoint(const locate_options *o, const locus_source *src, checkpoint **ckpt,
                        locus_error *err)
{
    *ckpt = NULL;
    if (!o->checkpoint)
        return LOCUS_OK;
    locus_buffer manifest = {0};
    size_t nchunks = (locus_source_frames(src) + o->chunk - 1) / o->chunk;
    int rc = locus_checkpoint_manifest(&o->params, &o->source, src, o->chunk, &manifest, err);
    if (rc == LOCUS_OK)
        rc = locus_checkpoint_open(ckpt, o->checkpoint, manifest.data, nchunks, err);
    locus_buffer_free(&manifest);
    return rc;
}

int run_write_header(const locus_params *p, const locus_source *src, run_output *out,
                     locus_error *err)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int n = locus_columns(p, locus_source_ndim(src), names);
    chunk_result header = {0};
    int rc = n < 0 || locus_csv_header(&header.rows, names, n)
                 ? error_from_errno(err, ENOMEM, "out of memory")
                 : LOCUS_OK;
    if (rc == LOCUS_OK && fwrite(header.rows.data, 1, header.rows.len, out->out) != header.rows.len)
        rc = error_from_errno(err, errno, "write failed"), out->write_errno = errno ? errno : EIO;
    locus_chunk_result_free(&header);
    return rc;
}

int run_frame_rows(chunk_result *r, size_t frame, const locus_table *t, const locus_error *err)
{
    if (!t) {
        char line[LOCUS_ERROR_MAX + 64];
        int n = snprintf(line, sizeof line, "frame %zu: %s\n", frame, err->message);
        r->skipped++;
        return n > 0 && locus_buffer_append(&r->skips, line, (size_t)n) != LOCUS_OK;
    }
    r->frames++;
    r->features += locus_table_rows(t);
    r->blank += locus_table_blank(t) != 0;
    return locus_csv_rows(&r->rows, t, (long)frame) != LOCUS_OK;
}

static void print_summary(const char *prog, const run_output *out, double seconds)
{
    fprintf(stderr, "%s: %zu frames, %zu features, %.2f s, %.1f frames/s", prog, out->frames,
            out->features, seconds, seconds > 0 ? (double)out->frames / seconds : 0.0);
    if (out->resumed)
        fprintf(stderr, " (%zu from the checkpoint)", out->resumed);
    if (out->blank)
        fprintf(stderr, " (%zu blank: no signal after the band pass)", out->blank);
    fprintf(stderr, "\n");
}

/* Print every skipped frame, one line each, after the summary. */
static void print_skips(const char *prog, const run_output *out)
{
    const char *p = out->skips.data;
    for (size_t k = 0; k < out->skipped && p && *p; k++) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        fprintf(stderr, "%s: skipped %.*s\n", prog, len, p);
        p += len + (nl != NULL);
    }
    fprintf(stderr, "%s: %zu of %zu frames skipped (--skip-bad)\n", prog, out->skipped,
            out->skipped + out->frames);
}

int run_finish(const char *prog, const locate_options *o, run_output *out, int rc,
               const locus_error *err, double seconds)
{
    int close_failed = out->out != stdout ? fclose(out->out) : fflush(out->out);
    if (out->write_errno || close_failed) {
        fprintf(stderr, "%s: %s: write failed: %s\n", prog, out->out_name,
                strerror(out->write_errno ? out->write_errno : errno));
        return EXIT_USAGE;
    }
    if (rc == LOCUS_E_INTERRUPTED) {
        int sig = stop_signal ? stop_signal : SIGINT;
        fprintf(stderr, "%s: stopped by %s after %zu frames; the output holds them whole\n", prog,
                sig == SIGTERM ? "SIGTERM" : "SIGINT", out->frames);
        return 128 + sig;
    }
    if (rc != LOCUS_OK) {
        report_error(prog, err);
        if (out->frames)
            fprintf(stderr, "%s: the output holds the %zu frame%s before it\n", prog, out->frames,
                    out->frames == 1 ? "" : "s");
        return rc == LOCUS_E_NOMEM || rc == LOCUS_E_SYSTEM ? EXIT_FAILURE_ : EXIT_USAGE;
    }
    if (!o->quiet)
        print_summary(prog, out, seconds);
    if (out->skipped) {
        print_skips(prog, out);
        return EXIT_SKIPPED;
    }
    return EXIT_OK;
}

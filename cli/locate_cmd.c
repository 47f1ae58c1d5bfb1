/* `locus locate`: image files in, one CSV table out. */
#include "commands.h"
#include "options.h"
#include "progress.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "locus locate"

/* Set by SIGINT/SIGTERM; the batch polls it between frames. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct {
    FILE *out;
    const char *out_name;
    const locus_source *src;
    locus_buffer text;
    size_t frames, features, blank, skipped;
    locus_buffer skip_list; /* one line per skipped frame, printed at the end */
    int write_failed;
    progress_meter *meter;
} sink_state;

/* Append to a locus_buffer; nonzero when out of memory. */
static int buffer_append(locus_buffer *b, const char *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + len + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return 1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

static int write_all(sink_state *s, const char *data, size_t len)
{
    if (len && fwrite(data, 1, len, s->out) != len) {
        s->write_failed = errno ? errno : EIO;
        return 1;
    }
    return 0;
}

/* One frame's rows, written whole; a skipped frame is reported on stderr. */
static int write_frame(void *user, size_t frame, const locus_table *t, const locus_error *err)
{
    sink_state *s = user;
    if (!t) {
        char line[LOCUS_ERROR_MAX + 64];
        int n = snprintf(line, sizeof line, PROG ": skipped frame %zu: %s\n", frame, err->message);
        s->skipped++;
        return buffer_append(&s->skip_list, line, (size_t)n);
    }
    s->text.len = 0;
    if (locus_csv_rows(&s->text, t, (long)frame)) {
        s->write_failed = ENOMEM;
        return 1;
    }
    s->frames++;
    s->features += locus_table_rows(t);
    s->blank += locus_table_blank(t) != 0;
    return write_all(s, s->text.data, s->text.len);
}

static void on_progress(void *user, size_t done, size_t total)
{
    progress_update(user, done, total);
}

static int open_output(const locate_options *o, sink_state *s)
{
    s->out = stdout;
    s->out_name = "standard output";
    if (!o->output || !strcmp(o->output, "-"))
        return 0;
    s->out = fopen(o->output, "w");
    s->out_name = o->output;
    if (!s->out) {
        fprintf(stderr, PROG ": %s: cannot write: %s\n", o->output, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

static int write_header(const locate_options *o, const locus_source *src, sink_state *s)
{
    const char *names[LOCUS_MAX_COLUMNS];
    int n = locus_columns(&o->params, locus_source_ndim(src), names);
    locus_buffer b = {0};
    int rc = n < 0 || locus_csv_header(&b, names, n) || write_all(s, b.data, b.len);
    locus_buffer_free(&b);
    return rc;
}

static void print_summary(const sink_state *s, double seconds)
{
    fprintf(stderr, PROG ": %zu frames, %zu features, %.2f s, %.1f frames/s", s->frames,
            s->features, seconds, seconds > 0 ? (double)s->frames / seconds : 0.0);
    if (s->blank)
        fprintf(stderr, " (%zu blank: no signal after the band pass)", s->blank);
    fprintf(stderr, "\n");
}

/* Exit status for how the batch ended. */
static int finish(const locate_options *o, sink_state *s, int rc, const locus_error *err,
                  double seconds)
{
    progress_clear(s->meter);
    if (s->write_failed || (s->out != stdout ? fclose(s->out) : fflush(s->out))) {
        fprintf(stderr, PROG ": %s: write failed: %s\n", s->out_name,
                strerror(s->write_failed ? s->write_failed : errno));
        return EXIT_USAGE;
    }
    if (rc == LOCUS_E_INTERRUPTED) {
        int sig = stop_signal ? stop_signal : SIGINT;
        fprintf(stderr, PROG ": stopped by %s after %zu frames; the output holds them whole\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT", s->frames);
        return 128 + sig;
    }
    if (rc != LOCUS_OK) {
        report_error(PROG, err);
        if (s->frames)
            fprintf(stderr, PROG ": the output holds the %zu frames before it\n", s->frames);
        return rc == LOCUS_E_NOMEM || rc == LOCUS_E_SYSTEM ? EXIT_FAILURE_ : EXIT_USAGE;
    }
    if (!o->quiet)
        print_summary(s, seconds);
    if (s->skipped) {
        fputs(s->skip_list.data, stderr);
        fprintf(stderr, PROG ": %zu of %zu frames skipped (--skip-bad)\n", s->skipped,
                s->skipped + s->frames);
        return EXIT_SKIPPED;
    }
    return EXIT_OK;
}

static int run(const locate_options *o, locus_source *src)
{
    sink_state s = {.src = src};
    locus_error err = {0};
    int rc;
    if ((rc = open_output(o, &s)))
        return rc;
    if (write_header(o, src, &s))
        return finish(o, &s, LOCUS_OK, &err, 0);
    int show = o->progress < 0 ? isatty(STDERR_FILENO) : o->progress;
    s.meter = show && !o->quiet ? progress_create(PROG) : NULL;
    locus_batch_opts bo;
    locus_batch_opts_init(&bo);
    bo.threads = o->threads;
    bo.skip_bad = o->skip_bad;
    bo.stop = (volatile const int *)&stop_signal;
    if (s.meter) {
        bo.progress = on_progress;
        bo.progress_user = s.meter;
    }
    locus_frames frames = locus_source_frames_of(src);
    double t0 = progress_now();
    install_signals();
    rc = locus_batch(&o->params, &bo, &frames, write_frame, &s, &err);
    if (rc == LOCUS_E_ABORTED && s.write_failed)
        rc = LOCUS_OK; /* reported by finish() as a write failure */
    double seconds = progress_now() - t0;
    rc = finish(o, &s, rc, &err, seconds);
    progress_free(s.meter);
    locus_buffer_free(&s.text);
    locus_buffer_free(&s.skip_list);
    return rc;
}

int cmd_locate(int argc, char **argv)
{
    locate_options o;
    int rc = locate_options_parse(PROG, argc, argv, &o);
    if (rc >= 0)
        return rc;
    locus_source *src = NULL;
    locus_error err = {0};
    rc = locus_source_open(&src, (const char *const *)o.inputs, (size_t)o.ninputs, &o.source, &err);
    if (rc == LOCUS_OK && !o.skip_bad)
        rc = locus_source_check(src, &err);
    if (rc == LOCUS_OK)
        rc = locus_params_check(&o.params, locus_source_ndim(src), &err);
    if (rc != LOCUS_OK) {
        report_error(PROG, &err);
        locus_source_free(src);
        return rc == LOCUS_E_NOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
    }
    rc = run(&o, src);
    locus_source_free(src);
    return rc;
}

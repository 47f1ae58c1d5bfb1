/* `locus link`'s job: see link_csv.h. */
#include "run/link_csv.h"

#include "common/limits.h"
#include "link/linker.h"
#include "run/link_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The most rows an initial guess may have (common/limits.h). */
#define MAX_GUESS_ROWS LOCUS_LIMIT_GUESS_ROWS
/* The largest guess file read. */
#define MAX_GUESS_BYTES (1 << 20)

/* ------------------------------------------------------------------ */
/* Initial guesses                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
    double *v; /* rows of width numbers */
    size_t rows, cap;
    int width;
} guess_rows;

/* One row of numbers separated by commas or blanks; its count, or -1. */
static int parse_numbers(const char *b, const char *e, double *v, int max)
{
    int n = 0;
    while (b < e) {
        while (b < e && (*b == ' ' || *b == '\t' || *b == ',' || *b == '\r'))
            b++;
        if (b == e)
            break;
        const char *s = b;
        while (b < e && *b != ' ' && *b != '\t' && *b != ',' && *b != '\r')
            b++;
        if (n == max || locus_parse_double(s, b, &v[n++]))
            return -1;
    }
    return n;
}

static const char *guess_shape(const locus_predict_params *q)
{
    return q->kind == LOCUS_PREDICT_NEAREST   ? "positions then velocities, by position column"
           : q->kind == LOCUS_PREDICT_CHANNEL ? "coordinate across the flow, velocity"
                                              : "one velocity per position column";
}

/* Rows of g->width numbers, separated by sep ('\n' or ';'). */
static int parse_guess_rows(guess_rows *g, const char *text, char sep, int skip_header,
                            const locus_predict_params *q, locus_error *err)
{
    size_t line = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, sep);
        if (!e)
            e = p + strlen(p);
        line++;
        double v[8];
        int n = parse_numbers(p, e, v, 8);
        int blank = n == 0 || (n < 0 && skip_header && line == 1); /* a header line */
        if (!blank && n != g->width)
            return locus_error_param(err, "predict_guess", NULL, "row %zu needs %d numbers (%s)",
                                     line, g->width, guess_shape(q));
        if (!blank) {
            if (g->rows == MAX_GUESS_ROWS)
                return locus_error_param(err, "predict_guess", NULL, "has more than %d rows",
                                         MAX_GUESS_ROWS);
            if (g->rows == g->cap) {
                size_t cap = g->cap ? 2 * g->cap : 16;
                double *grown = realloc(g->v, size_mul(cap, (size_t)g->width * sizeof *grown));
                if (!grown)
                    return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
                g->v = grown, g->cap = cap;
            }
            memcpy(g->v + g->rows++ * (size_t)g->width, v, (size_t)g->width * sizeof *v);
        }
        p = *e ? e + 1 : e;
    }
    if (g->rows == 0)
        return locus_error_param(err, "predict_guess", NULL, "has no values");
    return LOCUS_OK;
}

static int read_guess_file(guess_rows *g, const char *path, const locus_predict_params *q,
                           locus_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return locus_error_errno(err, path, errno, "cannot read");
    char *text = malloc(MAX_GUESS_BYTES);
    size_t n = text ? fread(text, 1, MAX_GUESS_BYTES - 1, f) : 0;
    int big = text && n == MAX_GUESS_BYTES - 1 && fgetc(f) != EOF;
    fclose(f);
    if (!text)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    text[n] = '\0';
    int rc =
        big ? locus_error_file(err, LOCUS_E_PARAM, path, 0, "larger than %d bytes", MAX_GUESS_BYTES)
            : parse_guess_rows(g, text, '\n', 1, q, err);
    free(text);
    return rc;
}

/* The guess into the predictor's parameters, now that ndim is known. */
static int load_guess(const char *guess, const char *guess_file, locus_predict_params *q, int ndim,
                      guess_rows *g, locus_error *err)
{
    if (!guess && !guess_file)
        return LOCUS_OK;
    if (q->kind == LOCUS_PREDICT_NONE)
        return locus_error_param(err, "predict_guess", "predict", "needs " LOCUS_ERROR_OTHER);
    g->width = q->kind == LOCUS_PREDICT_NEAREST   ? 2 * ndim
               : q->kind == LOCUS_PREDICT_CHANNEL ? 2
                                                  : ndim;
    int rc = guess_file ? read_guess_file(g, guess_file, q, err)
                        : parse_guess_rows(g, guess, ';', 0, q, err);
    if (rc != LOCUS_OK)
        return rc;
    if (q->kind == LOCUS_PREDICT_DRIFT) {
        if (g->rows != 1)
            return locus_error_param(err, "predict_guess", NULL,
                                     "takes one row of velocities for drift");
        memcpy(q->guess, g->v, (size_t)ndim * sizeof *q->guess);
        q->has_guess = 1;
    } else if (q->kind == LOCUS_PREDICT_NEAREST) {
        /* rows of (position, velocity) into all positions, then all velocities */
        size_t nd = (size_t)ndim, n = g->rows;
        double *pv = malloc(size_mul(n, 2 * nd * sizeof *pv));
        if (!pv)
            return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            memcpy(pv + k * nd, g->v + k * 2 * nd, nd * sizeof *pv);
            memcpy(pv + (n + k) * nd, g->v + k * 2 * nd + nd, nd * sizeof *pv);
        }
        free(g->v);
        g->v = pv;
        q->guess_positions = pv;
        q->guess_velocities = pv + n * nd;
        q->nguess = n;
    } else {
        q->profile = g->v;
        q->nprofile = g->rows;
    }
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Linking                                                             */
/* ------------------------------------------------------------------ */

int locus_link_fit(locus_link_params *p, int ndim, const char *const *pos_names,
                   const char *flow_axis, const char *guess, const char *guess_file,
                   double **storage, locus_error *err)
{
    *storage = NULL;
    p->ndim = ndim;
    locus_axes *r = &p->search_range;
    int equal = 1;
    for (int a = 1; a < r->count; a++)
        equal &= r->v[a] == r->v[0];
    if (equal && r->count > 1)
        r->count = 1; /* all equal: isotropic, whatever the count (as trackpy) */
    if (p->predict.kind == LOCUS_PREDICT_CHANNEL && ndim == 2) {
        const char *flow = flow_axis ? flow_axis : "x";
        const char *const *names = pos_names ? pos_names : (const char *const[]){"y", "x"};
        p->predict.flow_axis = -2;
        for (int a = 0; a < 2; a++)
            if (!strcmp(names[a], flow))
                p->predict.flow_axis = a;
        if (p->predict.flow_axis < 0)
            return locus_error_param(err, "channel_flow_axis", NULL,
                                     "'%s' is not one of the position columns", flow);
    }
    guess_rows g = {0};
    int rc = load_guess(guess, guess_file, &p->predict, ndim, &g, err);
    *storage = g.v;
    return rc ? rc : locus_link_params_check(p, err);
}

/* What a run has made. */
typedef struct {
    size_t *order;  /* rows sorted by frame, stably */
    int64_t *ids;   /* per row */
    double *buf;    /* one frame's positions */
    int64_t *idbuf; /* one frame's IDs */
    size_t *length; /* rows per trajectory (min_length) */
} link_run;

static void run_free(link_run *r)
{
    free(r->order);
    free(r->ids);
    free(r->buf);
    free(r->idbuf);
    free(r->length);
}

static size_t count_frames(const link_table *t, const size_t *order)
{
    size_t n = 0;
    for (size_t a = 0; a < t->nrows; n++)
        for (int64_t f = t->frame[order[a]]; a < t->nrows && t->frame[order[a]] == f;)
            a++;
    return n;
}

/* Push the table frame by frame (sorted rows), IDs back to their rows. */
static int push_frames(const locus_link_csv_opts *o, locus_linker *lk, const link_table *t,
                       link_run *r, size_t nframes, locus_error *err)
{
    size_t nd = (size_t)t->ndim, n = t->nrows;
    for (size_t a = 0, done = 0; a < n; done++) {
        size_t b = a;
        int64_t f = t->frame[r->order[a]];
        for (; b < n && t->frame[r->order[b]] == f; b++)
            for (size_t q = 0; q < nd; q++)
                r->buf[(b - a) * nd + q] = t->pos[r->order[b] * nd + q];
        int rc = locus_linker_push(lk, f, r->buf, b - a, r->idbuf, err);
        if (rc)
            return rc;
        for (size_t k = a; k < b; k++)
            r->ids[r->order[k]] = r->idbuf[k - a];
        a = b;
        if (o->progress)
            o->progress(o->progress_user, done + 1, nframes);
    }
    return LOCUS_OK;
}

static int link_rows(const locus_link_csv_opts *o, const locus_link_params *p, const link_table *t,
                     link_run *r, locus_link_csv_result *res, locus_error *err)
{
    size_t n = t->nrows ? t->nrows : 1;
    r->order = malloc(n * sizeof *r->order);
    r->ids = malloc(n * sizeof *r->ids);
    r->buf = malloc(size_mul(n, (size_t)t->ndim * sizeof *r->buf));
    r->idbuf = malloc(n * sizeof *r->idbuf);
    if (!r->order || !r->ids || !r->buf || !r->idbuf)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    locus_link_order(t->frame, t->nrows, r->order);
    res->frames = count_frames(t, r->order);
    locus_linker *lk;
    int rc = locus_linker_create(&lk, p, err);
    if (rc == LOCUS_OK)
        rc = push_frames(o, lk, t, r, res->frames, err);
    if (rc == LOCUS_OK)
        locus_linker_stats(lk, NULL, &res->stats);
    locus_linker_free(lk);
    return rc;
}

/* Rows per trajectory, for min_length. */
static int count_lengths(link_run *r, const locus_link_csv_result *res, size_t n, locus_error *err)
{
    size_t ntraj = (size_t)res->stats.trajectories;
    if (!(r->length = calloc(ntraj ? ntraj : 1, sizeof *r->length)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        r->length[r->ids[i]]++;
    return LOCUS_OK;
}

/* Write the table to path (NULL: standard output); on failure remove the
 * file, so that no partial table is left as if complete. */
static int write_output(const char *path, const link_table *t, const link_run *r, size_t min_len,
                        locus_error *err)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f)
        return locus_error_errno(err, path, errno, "cannot write");
    int rc = locus_link_table_write(t, r->order, r->ids, r->length, min_len, f);
    int e = errno;
    if (path ? fclose(f) != 0 : fflush(f) != 0) {
        rc = rc ? rc : LOCUS_E_IO;
        e = errno;
    }
    if (rc == LOCUS_OK)
        return LOCUS_OK;
    if (path)
        unlink(path);
    if (rc == LOCUS_E_NOMEM)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    return locus_error_errno(err, path ? path : "standard output", e ? e : EIO, "write failed");
}

int locus_link_csv(const locus_link_csv_opts *o, const locus_link_params *params,
                   locus_link_csv_result *result, locus_error *err)
{
    link_table t;
    link_run r = {0};
    double *guess = NULL;
    locus_link_params p = *params;
    memset(result, 0, sizeof *result);
    int rc = locus_link_table_read(&t, o->input, o->npos ? o->pos_columns : NULL, o->npos,
                                   o->t_column ? o->t_column : "frame", err);
    if (rc != LOCUS_OK)
        return rc;
    result->rows = t.nrows;
    rc = locus_link_fit(&p, t.ndim, o->npos ? o->pos_columns : NULL, o->flow_axis, o->guess,
                        o->guess_file, &guess, err);
    if (rc == LOCUS_OK)
        rc = link_rows(o, &p, &t, &r, result, err);
    if (rc == LOCUS_OK && o->min_length > 0)
        rc = count_lengths(&r, result, t.nrows, err);
    if (rc == LOCUS_OK)
        rc = write_output(o->output && strcmp(o->output, "-") ? o->output : NULL, &t, &r,
                          o->min_length > 0 ? (size_t)o->min_length : 0, err);
    run_free(&r);
    free(guess);
    locus_link_table_free(&t);
    return rc;
}

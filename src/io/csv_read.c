/* Reading feature CSV files: see features_csv.h. */
#include "io/csv_read.h"

#include "common/table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated (so strtod can stop at a field's end). */
static int slurp(const char *path, char **data, size_t *len, locus_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return locus_error_errno(err, path, errno, "cannot read");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - 1 - n, f);
        if (n < cap - 1)
            break;
        char *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
        if (!grown)
            free(buf);
        buf = grown;
        cap *= 2;
    }
    int failed = buf && ferror(f);
    fclose(f);
    if (!buf)
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", path);
    if (failed) {
        free(buf);
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot read", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return LOCUS_OK;
}

/* One field of a line: [begin, end), quotes removed for a quoted field. */
typedef struct {
    char *begin, *end;
} field;

/*
 * Split the line [p, eol) at commas outside quotes into at most max
 * fields (counting all of them in *count). Returns 0, or -1 for an
 * unterminated quote.
 */
static int split_line(char *p, char *eol, field *f, int max, int *count)
{
    int n = 0;
    for (;;) {
        field cur = {p, p};
        if (p < eol && *p == '"') {
            /* a quoted field ends at a quote not doubled */
            cur.begin = ++p;
            while (p < eol && !(*p == '"' && (p + 1 == eol || p[1] != '"')))
                p += *p == '"' ? 2 : 1;
            if (p >= eol)
                return -1;
            cur.end = p++;
            while (p < eol && *p != ',')
                p++;
        } else {
            while (p < eol && *p != ',')
                p++;
            cur.end = p;
        }
        if (n < max)
            f[n] = cur;
        n++;
        if (p >= eol)
            break;
        p++; /* the comma */
    }
    *count = n;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void trim(field *f)
{
    while (f->begin < f->end && is_blank(*f->begin))
        f->begin++;
    while (f->end > f->begin && is_blank(f->end[-1]))
        f->end--;
}

/* A field for a message: printable ASCII, at most 40 characters. */
static void quote_field(const field *f, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = f->begin; p < f->end && k + 4 < n; p++) {
        if (k >= 40) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        buf[k++] = *p >= 32 && *p < 127 ? *p : '?';
    }
    buf[k] = '\0';
}

/* A wanted field as a double: empty is NaN, anything but a number fails. */
static int parse_field(field f, double *out)
{
    trim(&f);
    if (f.begin == f.end) {
        *out = NAN;
        return 0;
    }
    char saved = *f.end, *end;
    *f.end = '\0';
    *out = strtod(f.begin, &end);
    *f.end = saved;
    return end == f.end ? 0 : -1;
}

/* The reader's state while going through the file. */
typedef struct {
    const char *path;
    char *p, *limit;
    size_t line; /* of the line at p */
    int nfields; /* of the header */
    const char *const *want;
    int index[FEATURES_MAX_WANT]; /* the field of want[i], or -1 */
    field *fields;
} reader;

/* The next non-blank line as [*begin, *eol); 0 at the end of the file. */
static int next_line(reader *r, char **begin, char **eol)
{
    while (r->p < r->limit) {
        char *nl = memchr(r->p, '\n', (size_t)(r->limit - r->p));
        char *e = nl ? nl : r->limit;
        *begin = r->p;
        *eol = e > r->p && e[-1] == '\r' ? e - 1 : e;
        r->p = nl ? nl + 1 : r->limit;
        r->line++;
        for (char *q = *begin; q < *eol; q++)
            if (!is_blank(*q))
                return 1;
    }
    return 0;
}

static int read_header(reader *r, const char *const *want, int nwant, features_table *t,
                       locus_error *err)
{
    char *b, *e;
    if (r->p + 3 <= r->limit && !memcmp(r->p, "\xef\xbb\xbf", 3))
        r->p += 3; /* a UTF-8 byte order mark, as spreadsheets write */
    if (!next_line(r, &b, &e))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:1: empty file (no header)", r->path);
    t->header_line = r->line;
    int n = 0;
    if (split_line(b, e, NULL, 0, &n))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: unterminated quote", r->path, r->line);
    if (!(t->header = strndup(b, (size_t)(e - b))) ||
        !(r->fields = calloc((size_t)n, sizeof *r->fields)))
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", r->path);
    split_line(b, e, r->fields, n, &n);
    r->nfields = n;
    for (char *q = t->header; *q; q++)
        if (*q < 32 || *q > 126)
            *q = '?'; /* it may be quoted in a one-line message */
    for (int i = 0; i < nwant; i++) {
        r->index[i] = -1;
        for (int k = 0; k < n && r->index[i] < 0; k++) {
            field f = r->fields[k];
            trim(&f);
            if ((size_t)(f.end - f.begin) == strlen(want[i]) &&
                !memcmp(f.begin, want[i], strlen(want[i])))
                r->index[i] = k;
        }
        t->names[i] = want[i];
    }
    t->ncols = nwant;
    return LOCUS_OK;
}

static int read_row(reader *r, char *b, char *e, int nwant, double *store, size_t cap,
                    locus_error *err)
{
    int n;
    if (split_line(b, e, r->fields, r->nfields, &n))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: unterminated quote", r->path, r->line);
    if (n != r->nfields)
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: %d field%s, but the header has %d",
                               r->path, r->line, n, n == 1 ? "" : "s", r->nfields);
    for (int i = 0; i < nwant; i++) {
        if (r->index[i] < 0)
            continue;
        field f = r->fields[r->index[i]];
        if (parse_field(f, &store[(size_t)i * cap])) {
            char shown[48];
            quote_field(&f, shown, sizeof shown);
            return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: column '%s': '%s' is not a number",
                                   r->path, r->line, r->want[i], shown);
        }
    }
    return LOCUS_OK;
}

static int read_rows(reader *r, int nwant, features_table *t, locus_error *err)
{
    /* every remaining line could be a row: one allocation, column-major */
    size_t cap = 1;
    for (const char *q = r->p; q < r->limit; q++)
        cap += *q == '\n';
    size_t bytes = size_mul(size_mul(cap, (size_t)(nwant ? nwant : 1)), sizeof(double));
    if (bytes == SIZE_MAX || !(t->store = malloc(bytes)) ||
        !(t->line = malloc(size_mul(cap, sizeof *t->line))))
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", r->path);
    char *b, *e;
    size_t row = 0;
    while (next_line(r, &b, &e)) {
        int rc = read_row(r, b, e, nwant, t->store + row, cap, err);
        if (rc)
            return rc;
        t->line[row++] = r->line;
    }
    t->nrows = row;
    for (int i = 0; i < nwant; i++)
        t->col[i] = r->index[i] >= 0 ? t->store + (size_t)i * cap : NULL;
    return LOCUS_OK;
}

int locus_features_csv_read(const char *path, const char *const *want, int nwant, features_table *t,
                            locus_error *err)
{
    memset(t, 0, sizeof *t);
    if (nwant < 0 || nwant > FEATURES_MAX_WANT)
        return locus_error_set(err, LOCUS_E_PARAM, "too many columns asked for");
    char *data = NULL;
    size_t len = 0;
    int rc = slurp(path, &data, &len, err);
    if (rc)
        return rc;
    reader r = {.path = path, .p = data, .limit = data + len, .want = want};
    rc = read_header(&r, want, nwant, t, err);
    if (rc == LOCUS_OK)
        rc = read_rows(&r, nwant, t, err);
    free(r.fields);
    free(data);
    if (rc)
        locus_features_table_free(t);
    return rc;
}

void locus_features_table_free(features_table *t)
{
    free(t->store);
    free(t->line);
    free(t->header);
    memset(t, 0, sizeof *t);
}

const double *locus_features_column(const features_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (t->names[i] && !strcmp(t->names[i], name))
            return t->col[i];
    return NULL;
}

int locus_features_require(const features_table *t, const char *path, const char *const *names,
                           int n, locus_error *err)
{
    for (int i = 0; i < n; i++) {
        if (locus_features_column(t, names[i]))
            continue;
        if (!t->header)
            return locus_error_set(err, LOCUS_E_FORMAT, "%s: no column '%s'", path, names[i]);
        return locus_error_set(err, LOCUS_E_FORMAT,
                               "%s:%zu: no column '%s' (the header is: %.200s)", path,
                               t->header_line, names[i], t->header);
    }
    return LOCUS_OK;
}

int locus_table_read_csv(locus_table *t, const char *path, const char *const *want, int nwant,
                         locus_error *err)
{
    if (!t || !path || (nwant && !want))
        return locus_error_set(err, LOCUS_E_PARAM, "locus_table_read_csv: missing argument");
    features_table ft;
    int rc = locus_features_csv_read(path, want, nwant, &ft, err);
    if (rc)
        return rc;
    locus_table_reset(t, NULL, 0, 0);
    for (int i = 0; rc == LOCUS_OK && i < ft.ncols; i++)
        if (ft.col[i])
            rc = locus_table_set_column(t, ft.names[i], ft.col[i], ft.nrows, err);
    t->rows = ft.nrows; /* also with no wanted column present */
    if (rc == LOCUS_OK) {
        /* the lines stay with the table, for messages about its rows */
        t->line = ft.line, ft.line = NULL;
        t->header = ft.header, ft.header = NULL;
        t->header_line = ft.header_line;
    }
    locus_features_table_free(&ft);
    return rc;
}

void locus_features_of_table(features_table *t, const locus_table *lt)
{
    memset(t, 0, sizeof *t);
    t->line = lt->line;
    t->header = lt->header;
    t->header_line = lt->header_line;
    t->nrows = locus_table_rows(lt);
    int n = locus_table_cols(lt);
    for (int i = 0; i < n && i < FEATURES_MAX_WANT; i++) {
        t->names[i] = locus_table_name(lt, i);
        t->col[i] = locus_table_column(lt, i);
        t->ncols = i + 1;
    }
}

/* Reading and writing the tables of `locus link`: see link_table.h. */
#include "run/link_table.h"

#include "common/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file in one read (plus a NUL, for messages). */
static int slurp(const char *path, char **data, size_t *len, int *mapped, locus_error *err)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot read: %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        /* a regular file is mapped whole: no copy, pages mapped up front */
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            *data = m;
            *len = (size_t)st.st_size;
            *mapped = 1;
            return LOCUS_OK;
        }
    }
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (ssize_t got = 1; buf && got > 0;) {
        if (n + 1 >= cap) {
            char *g = realloc(buf, cap * 2);
            if (!g)
                free(buf);
            buf = g;
            cap *= 2;
            if (!buf)
                break;
        }
        got = read(fd, buf + n, cap - 1 - n);
        if (got < 0 && errno == EINTR)
            got = 1;
        else if (got < 0) {
            int e = errno;
            close(fd);
            free(buf);
            return locus_error_set(err, LOCUS_E_IO, "%s: cannot read: %s", path, strerror(e));
        } else
            n += (size_t)got;
    }
    close(fd);
    if (!buf)
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", path);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return LOCUS_OK;
}

/* One field: [b, e) as it stands in the line (quotes included). */
typedef struct {
    const char *b, *e;
} span;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The field starting at p (before eol); *next after its comma, or NULL
 * at the end of the line; -1 for an unterminated quote. */
static int next_field(const char *p, const char *eol, span *f, const char **next)
{
    f->b = p;
    if (p < eol && *p == '"') {
        for (p++; p < eol; p++)
            if (*p == '"') {
                if (p + 1 < eol && p[1] == '"')
                    p++;
                else
                    break;
            }
        if (p >= eol)
            return -1;
        p++;
    }
    const char *c = memchr(p, ',', (size_t)(eol - p));
    f->e = c ? c : eol;
    *next = c ? c + 1 : NULL;
    return 0;
}

/* The text of a field for parsing: blanks and one pair of quotes removed. */
static span field_text(span f)
{
    while (f.b < f.e && is_blank(*f.b))
        f.b++;
    while (f.e > f.b && is_blank(f.e[-1]))
        f.e--;
    if (f.e - f.b >= 2 && *f.b == '"' && f.e[-1] == '"') {
        f.b++;
        f.e--;
        while (f.b < f.e && is_blank(*f.b))
            f.b++;
        while (f.e > f.b && is_blank(f.e[-1]))
            f.e--;
    }
    return f;
}

/* The reader's position in the file. */
typedef struct {
    link_table *t;
    const char *p, *limit;
    size_t line;
} reader;

/* The next non-blank line as [*b, *eol); 0 at the end. */
static int next_line(reader *r, const char **b, const char **eol)
{
    while (r->p < r->limit) {
        const char *nl = memchr(r->p, '\n', (size_t)(r->limit - r->p));
        const char *e = nl ? nl : r->limit;
        *b = r->p;
        *eol = e > r->p && e[-1] == '\r' ? e - 1 : e;
        r->p = nl ? nl + 1 : r->limit;
        r->line++;
        for (const char *q = *b; q < *eol; q++)
            if (!is_blank(*q))
                return 1;
    }
    return 0;
}

static int field_is(span f, const char *name)
{
    f = field_text(f);
    size_t n = strlen(name);
    return (size_t)(f.e - f.b) == n && !memcmp(f.b, name, n);
}

/* The index of the header field named name, or -1. */
static int find_field(const char *b, const char *eol, const char *name)
{
    span f;
    int k = 0;
    for (const char *p = b; p; k++) {
        if (next_field(p, eol, &f, &p))
            return -1;
        if (field_is(f, name))
            return k;
    }
    return -1;
}

static int missing_column(reader *r, const char *name, locus_error *err)
{
    link_table *t = r->t;
    int n = t->header_len < 200 ? (int)t->header_len : 200;
    return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: no column '%s' (the header is: %.*s)",
                           t->path, r->line, name, n, t->header);
}

static int read_header(reader *r, const char *const *pos, int npos, const char *tcol,
                       locus_error *err)
{
    link_table *t = r->t;
    const char *b, *e;
    if (r->limit - r->p >= 3 && !memcmp(r->p, "\xef\xbb\xbf", 3))
        r->p += 3; /* a UTF-8 byte order mark, as spreadsheets write */
    if (!next_line(r, &b, &e))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:1: empty file (no header)", t->path);
    t->header = b;
    t->header_len = (size_t)(e - b);
    span f;
    t->nfields = 0;
    for (const char *p = b; p; t->nfields++)
        if (next_field(p, e, &f, &p))
            return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: unterminated quote", t->path,
                                   r->line);
    static const char *const zyx[3] = {"z", "y", "x"};
    if (!pos) {
        int has_z = find_field(b, e, "z") >= 0;
        pos = has_z ? zyx : zyx + 1;
        npos = has_z ? 3 : 2;
    }
    t->ndim = npos;
    for (int a = 0; a < npos; a++)
        if ((t->pos_field[a] = find_field(b, e, pos[a])) < 0)
            return missing_column(r, pos[a], err);
    if ((t->t_field = find_field(b, e, tcol)) < 0)
        return missing_column(r, tcol, err);
    t->particle_field = find_field(b, e, "particle");
    return LOCUS_OK;
}

/* Quote a field for a message: printable ASCII, at most 40 characters. */
static void shown(span f, char *buf, size_t n)
{
    size_t k = 0;
    for (const char *p = f.b; p < f.e && k + 4 < n; p++) {
        if (k >= 40) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        buf[k++] = *p >= 32 && *p < 127 ? *p : '?';
    }
    buf[k] = '\0';
}

/* A frame number: an integer, or a number truncated toward zero (§1). */
static int parse_frame(reader *r, span f, int64_t *out, locus_error *err)
{
    span s = field_text(f);
    const char *p = s.b;
    int neg = p < s.e && *p == '-';
    p += neg || (p < s.e && *p == '+');
    if (p < s.e && s.e - p <= 18) {
        int64_t v = 0;
        const char *q = p;
        while (q < s.e && *q >= '0' && *q <= '9')
            v = v * 10 + (*q++ - '0');
        if (q == s.e) {
            *out = neg ? -v : v;
            return 0;
        }
    }
    double d;
    char txt[48];
    shown(s, txt, sizeof txt);
    if (locus_parse_double(s.b, s.e, &d))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: frame '%s' is not a number",
                               r->t->path, r->line, txt);
    if (!(fabs(d) < 9.2e18))
        return locus_error_set(err, LOCUS_E_FORMAT,
                               "%s:%zu: frame '%s' is not a finite frame number", r->t->path,
                               r->line, txt);
    *out = (int64_t)d; /* truncation toward zero, as trackpy's astype(int64) */
    return 0;
}

static int parse_position(reader *r, span f, const char *name, double *out, locus_error *err)
{
    span s = field_text(f);
    if (s.b != s.e && locus_parse_double(s.b, s.e, out) == 0 && isfinite(*out))
        return 0;
    char txt[48];
    shown(s, txt, sizeof txt);
    if (s.b != s.e && locus_parse_double(s.b, s.e, out))
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: column '%s': '%s' is not a number",
                               r->t->path, r->line, name, txt);
    return locus_error_set(
        err, LOCUS_E_FORMAT,
        "%s:%zu: column '%s': position '%s' is not finite (trackpy links wrongly "
        "around NaN positions)",
        r->t->path, r->line, name, txt);
}

/* What each field of a row is: an axis (0-2), the frame (3), the particle
 * column (4), or nothing to parse (-1). */
enum { ROLE_NONE = -1, ROLE_FRAME = 3, ROLE_PARTICLE = 4 };

static int read_row(reader *r, const signed char *role, const char *const *names, const char *b,
                    const char *e, locus_error *err)
{
    link_table *t = r->t;
    size_t i = t->nrows;
    if ((size_t)(e - b) >= UINT32_MAX)
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: line too long", t->path, r->line);
    t->row[i] = b;
    t->row_len[i] = (uint32_t)(e - b);
    span f;
    int k = 0, rc = 0;
    for (const char *p = b; p; k++) {
        if (next_field(p, e, &f, &p))
            return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: unterminated quote", t->path,
                                   r->line);
        int what = k < t->nfields ? role[k] : ROLE_NONE;
        if (what == ROLE_NONE)
            continue;
        if (what < 3)
            rc =
                parse_position(r, f, names[what], &t->pos[i * (size_t)t->ndim + (size_t)what], err);
        else if (what == ROLE_FRAME)
            rc = parse_frame(r, f, &t->frame[i], err);
        else {
            t->pfield_begin[i] = (uint32_t)(f.b - b);
            t->pfield_end[i] = (uint32_t)(f.e - b);
        }
        if (rc)
            return rc;
    }
    if (k != t->nfields)
        return locus_error_set(err, LOCUS_E_FORMAT, "%s:%zu: %d field%s, but the header has %d",
                               t->path, r->line, k, k == 1 ? "" : "s", t->nfields);
    t->nrows++;
    return 0;
}

static int alloc_rows(link_table *t, const char *from, const char *limit)
{
    size_t cap = 1;
    for (const char *q = from; (q = memchr(q, '\n', (size_t)(limit - q))); q++)
        cap++;
    t->row = malloc(cap * sizeof *t->row);
    t->row_len = malloc(cap * sizeof *t->row_len);
    t->frame = malloc(cap * sizeof *t->frame);
    t->pos = malloc(size_mul(cap, (size_t)t->ndim * sizeof *t->pos));
    if (t->particle_field >= 0) {
        t->pfield_begin = malloc(cap * sizeof *t->pfield_begin);
        t->pfield_end = malloc(cap * sizeof *t->pfield_end);
    }
    int ok = t->row && t->row_len && t->frame && t->pos &&
             (t->particle_field < 0 || (t->pfield_begin && t->pfield_end));
    return ok ? 0 : LOCUS_E_NOMEM;
}

static int read_rows(reader *r, const char *const *names, locus_error *err)
{
    link_table *t = r->t;
    if (alloc_rows(t, r->p, r->limit))
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", t->path);
    signed char *role = malloc((size_t)t->nfields);
    if (!role)
        return locus_error_set(err, LOCUS_E_NOMEM, "%s: out of memory", t->path);
    memset(role, ROLE_NONE, (size_t)t->nfields);
    if (t->particle_field >= 0)
        role[t->particle_field] = ROLE_PARTICLE;
    role[t->t_field] = ROLE_FRAME;
    for (int a = t->ndim - 1; a >= 0; a--)
        role[t->pos_field[a]] = (signed char)a;
    const char *b, *e;
    int rc = 0;
    while (rc == 0 && next_line(r, &b, &e))
        rc = read_row(r, role, names, b, e, err);
    free(role);
    return rc;
}

int locus_link_table_read(link_table *t, const char *path, const char *const *pos, int npos,
                          const char *tcol, locus_error *err)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->particle_field = -1;
    int rc = slurp(path, &t->data, &t->len, &t->mapped, err);
    if (rc)
        return rc;
    reader r = {.t = t, .p = t->data, .limit = t->data + t->len};
    rc = read_header(&r, pos, npos, tcol, err);
    static const char *const zyx[3] = {"z", "y", "x"};
    const char *const *names = pos ? pos : t->ndim == 3 ? zyx : zyx + 1;
    if (rc == 0) {
        for (int a = 0; a < t->ndim; a++)
            for (int b = 0; b < a; b++)
                if (t->pos_field[a] == t->pos_field[b])
                    rc = locus_error_set(err, LOCUS_E_FORMAT,
                                         "%s: column '%s' named twice in the "
                                         "position columns",
                                         path, names[a]);
        if (t->t_field == t->particle_field && rc == 0)
            rc = locus_error_set(err, LOCUS_E_FORMAT, "%s: the frame column cannot be 'particle'",
                                 path);
    }
    if (rc == 0)
        rc = read_rows(&r, names, err);
    if (rc)
        locus_link_table_free(t);
    return rc;
}

void locus_link_table_free(link_table *t)
{
    if (t->mapped)
        munmap(t->data, t->len);
    else
        free(t->data);
    free(t->row);
    free(t->row_len);
    free(t->pfield_begin);
    free(t->pfield_end);
    free(t->frame);
    free(t->pos);
    memset(t, 0, sizeof *t);
}

/* Decimal digits of v at p; returns the length. */
static size_t put_int(char *p, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        p[k++] = '-';
    while (n)
        p[k++] = tmp[--n];
    return k;
}

/* The output, formatted into a buffer of this size and written as it fills. */
#define OUT_CHUNK (1 << 20)

/* One output row: the row's text with the particle ID appended or put in
 * place of the old particle field. Returns the length written at p. */
static size_t format_row(const link_table *t, size_t i, int64_t id, char *p)
{
    const char *row = t->row[i];
    size_t len = t->row_len[i], cut = t->particle_field >= 0 ? t->pfield_begin[i] : len;
    char *q = p;
    memcpy(q, row, cut);
    q += cut;
    if (t->particle_field < 0)
        *q++ = ',';
    q += put_int(q, id);
    if (t->particle_field >= 0) {
        size_t rest = t->pfield_end[i];
        memcpy(q, row + rest, len - rest);
        q += len - rest;
    }
    *q++ = '\n';
    return (size_t)(q - p);
}

int locus_link_table_write(const link_table *t, const size_t *order, const int64_t *ids,
                           const size_t *length, size_t min_length, FILE *f)
{
    char *buf = malloc(OUT_CHUNK);
    if (!buf)
        return LOCUS_E_NOMEM;
    size_t n = 0;
    int bad = fwrite(t->header, 1, t->header_len, f) != t->header_len;
    bad |= fputs(t->particle_field < 0 ? ",particle\n" : "\n", f) < 0;
    for (size_t k = 0; k < t->nrows && !bad; k++) {
        size_t i = order[k];
        if (length && length[ids[i]] < min_length)
            continue; /* filter_stubs: shorter trajectories are dropped */
        size_t need = (size_t)t->row_len[i] + 24;
        if (n + need > OUT_CHUNK) {
            bad |= fwrite(buf, 1, n, f) != n;
            n = 0;
        }
        if (need > OUT_CHUNK) {
            /* a row longer than the buffer: on its own */
            char *big = malloc(need);
            size_t m = big ? format_row(t, i, ids[i], big) : 0;
            bad |= !big || fwrite(big, 1, m, f) != m;
            free(big);
            continue;
        }
        n += format_row(t, i, ids[i], buf + n);
    }
    if (!bad && n)
        bad |= fwrite(buf, 1, n, f) != n;
    free(buf);
    return bad ? LOCUS_E_IO : 0;
}

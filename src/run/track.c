/*
 * `locus track`: trajectories linked as the located frames are written.
 * The tracker is the output's transform (run/output.h): each chunk of
 * locate's CSV rows, in frame order, is parsed back (the numbers are
 * written so that they read back as the same doubles), linked frame by
 * frame, and written with each row's trajectory appended. So the bytes
 * are those of `locus locate` then `locus link`, memory holds only the
 * linker's window, and a resumed run re-links the copied chunks the same
 * way as computed ones.
 */
#include "run/track.h"

#include "link/linker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct locus_tracker {
    locus_linker *linker;
    int ndim;
    size_t chunk, nframes;
    double *pos;  /* one frame's positions */
    int64_t *ids; /* one frame's trajectories */
    size_t cap;   /* rows pos and ids hold */
    const char **row;
    size_t *row_len;
    size_t row_cap;
};

int locus_tracker_create(locus_tracker **out, const locus_link_params *p, size_t chunk,
                         size_t nframes, locus_error *err)
{
    *out = NULL;
    locus_tracker *t = calloc(1, sizeof *t);
    if (!t)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    t->ndim = p->ndim;
    t->chunk = chunk ? chunk : 1;
    t->nframes = nframes;
    int rc = locus_linker_create(&t->linker, p, err);
    if (rc != LOCUS_OK) {
        free(t);
        return rc;
    }
    *out = t;
    return LOCUS_OK;
}

void locus_tracker_free(locus_tracker *t)
{
    if (!t)
        return;
    locus_linker_free(t->linker);
    free(t->pos);
    free(t->ids);
    free(t->row);
    free(t->row_len);
    free(t);
}

void locus_tracker_stats(const locus_tracker *t, locus_link_stats *total)
{
    locus_linker_stats(t->linker, NULL, total);
}

/* Room for n rows of one frame. */
static int room(locus_tracker *t, size_t n)
{
    if (n <= t->cap)
        return LOCUS_OK;
    size_t cap = n > 2 * t->cap ? n : 2 * t->cap;
    double *pos = realloc(t->pos, size_mul(cap, (size_t)t->ndim * sizeof *pos));
    if (pos)
        t->pos = pos;
    int64_t *ids = realloc(t->ids, size_mul(cap, sizeof *ids));
    if (ids)
        t->ids = ids;
    const char **row = realloc(t->row, size_mul(cap, sizeof *row));
    if (row)
        t->row = row;
    size_t *len = realloc(t->row_len, size_mul(cap, sizeof *len));
    if (len)
        t->row_len = len;
    if (!pos || !ids || !row || !len)
        return LOCUS_E_NOMEM;
    t->cap = cap;
    return LOCUS_OK;
}

/* The frame number at the end of a row (its last field). */
static int row_frame(const char *b, const char *e, long long *frame)
{
    const char *comma = e;
    while (comma > b && comma[-1] != ',')
        comma--;
    char *end;
    char num[32];
    size_t n = (size_t)(e - comma);
    if (n == 0 || n >= sizeof num)
        return -1;
    memcpy(num, comma, n);
    num[n] = '\0';
    *frame = strtoll(num, &end, 10);
    return *end ? -1 : 0;
}

/* The positions: the row's first ndim fields (locate writes (z,) y, x first). */
static int row_position(const locus_tracker *t, const char *b, const char *e, double *pos)
{
    for (int a = 0; a < t->ndim; a++) {
        const char *f = b;
        while (b < e && *b != ',')
            b++;
        if (b == e || locus_parse_double(f, b, &pos[a]))
            return -1;
        b++;
    }
    return 0;
}

static int malformed(const locus_chunk *c, locus_error *err)
{
    return locus_error_set(err, LOCUS_E_FORMAT,
                           "chunk %zu: a row that locate did not write (a damaged checkpoint?)",
                           c->index);
}

/* Link frame f (its n rows parsed) and append its rows with their IDs. */
static int link_frame(locus_tracker *t, long long f, size_t n, locus_buffer *out, locus_error *err)
{
    int rc = locus_linker_push(t->linker, f, t->pos, n, t->ids, err);
    for (size_t i = 0; rc == LOCUS_OK && i < n; i++) {
        char id[32];
        int k = snprintf(id, sizeof id, ",%lld\n", (long long)t->ids[i]);
        if (locus_buffer_append(out, t->row[i], t->row_len[i]) ||
            locus_buffer_append(out, id, (size_t)k))
            rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    return rc;
}

int locus_tracker_rows(void *user, const locus_chunk *c, locus_buffer *out, locus_error *err)
{
    locus_tracker *t = user;
    out->len = 0;
    const char *p = c->rows.data ? c->rows.data : "", *end = p + c->rows.len;
    size_t first = c->index * t->chunk, last = first + t->chunk;
    if (last > t->nframes)
        last = t->nframes;
    /* every frame of the chunk in turn, those without rows too: the
     * linker counts memory in frame numbers */
    for (size_t f = first; f < last; f++) {
        size_t n = 0;
        long long rf;
        for (const char *eol; p < end && (eol = memchr(p, '\n', (size_t)(end - p))); p = eol + 1) {
            if (row_frame(p, eol, &rf))
                return malformed(c, err);
            if (rf != (long long)f)
                break;
            if (room(t, n + 1))
                return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
            if (row_position(t, p, eol, t->pos + n * (size_t)t->ndim))
                return malformed(c, err);
            t->row[n] = p;
            t->row_len[n++] = (size_t)(eol - p);
        }
        int rc = link_frame(t, (long long)f, n, out, err);
        if (rc != LOCUS_OK)
            return rc;
    }
    return p == end ? LOCUS_OK : malformed(c, err);
}

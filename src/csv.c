/*
 * CSV output: the header, then one line per feature with a trailing
 * `frame` column. Every number is written in the fewest significant
 * digits that read back (strtod) as the same double, as Python's repr
 * does; NaN is an empty field, as pandas writes it.
 */
#include "internal.h"
#include "table.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void locus_buffer_free(locus_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int reserve(locus_buffer *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return LOCUS_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return LOCUS_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return LOCUS_OK;
}

/* Write v into s (at least 32 bytes); returns the length. */
static int format_double(char *s, double v)
{
    if (isnan(v)) {
        s[0] = '\0';
        return 0;
    }
    /* Integers (raw_mass of integer images, frame numbers) are common and
     * need no search. */
    if (v == trunc(v) && fabs(v) < 1e15)
        return snprintf(s, 32, "%.0f", v);
    /* A double that some decimal of at most 15 digits reads back as is
     * printed as that decimal by %.15g (DBL_DIG = 15), so normal numbers
     * start there; subnormals carry fewer digits and start at 1. */
    int first = fabs(v) < DBL_MIN ? 1 : 15;
    for (int prec = first; prec < 17; prec++) {
        int n = snprintf(s, 32, "%.*g", prec, v);
        if (strtod(s, NULL) == v)
            return n;
    }
    return snprintf(s, 32, "%.17g", v);
}

int locus_csv_header(locus_buffer *b, const char *const *names, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        size_t n = strlen(names[c]);
        if (reserve(b, n + 8))
            return LOCUS_E_NOMEM;
        memcpy(b->data + b->len, names[c], n);
        b->len += n;
        b->data[b->len++] = ',';
    }
    if (reserve(b, 8))
        return LOCUS_E_NOMEM;
    memcpy(b->data + b->len, "frame\n", 6);
    b->len += 6;
    b->data[b->len] = '\0';
    return LOCUS_OK;
}

int locus_csv_rows(locus_buffer *b, const locus_table *t, long frame)
{
    char frame_text[32];
    int frame_len = snprintf(frame_text, sizeof frame_text, "%ld\n", frame);
    for (size_t r = 0; r < t->rows; r++) {
        if (reserve(b, (size_t)t->ncols * 33 + (size_t)frame_len))
            return LOCUS_E_NOMEM;
        char *p = b->data + b->len;
        for (int c = 0; c < t->ncols; c++) {
            p += format_double(p, t->col[c][r]);
            *p++ = ',';
        }
        memcpy(p, frame_text, (size_t)frame_len);
        p += frame_len;
        b->len = (size_t)(p - b->data);
    }
    if (b->data)
        b->data[b->len] = '\0';
    return LOCUS_OK;
}

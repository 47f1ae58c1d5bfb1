/*
 * CSV output: the header, then one line per feature with a trailing
 * `frame` column. Every number is written in the fewest significant
 * digits that read back (strtod) as the same double, as Python's repr
 * does; NaN is an empty field, as pandas writes it.
 */
#include "common/internal.h"
#include "common/table.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In src/common/shortest.cc: v = ±digits × 10^exponent, digits as few as possible. */
int locus_shortest_decimal(double v, uint64_t *digits, int *exponent);

/*
 * Write v into s (at least 32 bytes) as Python's repr would, less the
 * ".0" of whole numbers: fixed notation for decimal exponents -4 to 15,
 * else d.ddde±XX. Returns the length.
 */
int locus_format_double(char *s, double v)
{
    if (isnan(v)) {
        s[0] = '\0';
        return 0;
    }
    if (isinf(v) || v == 0)
        return sprintf(s, "%s%s", signbit(v) ? "-" : "", v == 0 ? "0" : "inf");
    uint64_t digits;
    int exponent;
    char d[24], *p = s;
    int n = 0;
    if (locus_shortest_decimal(v, &digits, &exponent))
        *p++ = '-';
    for (; digits; digits /= 10)
        d[n++] = (char)('0' + digits % 10); /* least significant first */
    int point = n + exponent;               /* digits before the decimal point */
    if (point - 1 < -4 || point - 1 >= 16) {
        *p++ = d[n - 1];
        if (n > 1) {
            *p++ = '.';
            for (int i = n - 2; i >= 0; i--)
                *p++ = d[i];
        }
        p += sprintf(p, "e%c%02d", point - 1 < 0 ? '-' : '+', abs(point - 1));
    } else if (point <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -point; i++)
            *p++ = '0';
        for (int i = n - 1; i >= 0; i--)
            *p++ = d[i];
    } else {
        for (int i = n - 1, k = 0; i >= 0 || k < point; i--, k++) {
            if (k == point)
                *p++ = '.';
            *p++ = i >= 0 ? d[i] : '0';
        }
    }
    *p = '\0';
    return (int)(p - s);
}

int locus_csv_header(locus_buffer *b, const char *const *names, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        size_t n = strlen(names[c]);
        if (locus_buffer_room(b, n + 8))
            return LOCUS_E_NOMEM;
        memcpy(b->data + b->len, names[c], n);
        b->len += n;
        b->data[b->len++] = ',';
    }
    if (locus_buffer_room(b, 8))
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
        if (locus_buffer_room(b, (size_t)t->ncols * 33 + (size_t)frame_len))
            return LOCUS_E_NOMEM;
        char *p = b->data + b->len;
        for (int c = 0; c < t->ncols; c++) {
            p += locus_format_double(p, t->col[c][r]);
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

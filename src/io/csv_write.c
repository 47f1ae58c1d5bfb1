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
 * The decimal digits of v, most significant first, ending at end (at
 * most 20 before it); returns where they start. Two digits a step from a
 * table: the quotients chain from one step to the next, and the
 * one-digit loop this replaces made that chain 17 steps long for most
 * numbers of a table (perf: a third of the CSV's time on bulk_water).
 */
static char *decimal_digits(uint64_t v, char *end)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char *e = end;
    while (v >= 100) {
        e -= 2;
        memcpy(e, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        e -= 2;
        memcpy(e, pairs + 2 * v, 2);
    } else {
        *--e = (char)('0' + v);
    }
    return e;
}

/*
 * Write v into s (at least 32 bytes) as Python's repr would, less the
 * ".0" of whole numbers: fixed notation for decimal exponents -4 to 15,
 * else d.ddde±XX. Returns the length.
 *
 * The text is laid out in a local buffer by copies of fixed sizes (16 or
 * 20 bytes, single vector moves), reading past the digits into a run of
 * '0's that the integer form's padding comes from, and then copied to s
 * whole (32 bytes): the copies of the digits' own lengths were calls to
 * memcpy, a quarter of the CSV's samples (perf on the 2048x2048 bench
 * movie: the writer's 469 -> 397, of 13,600 in the run).
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
    /* the digits end at dig + 20, and '0's follow them */
    char dig[48], out[64], *p = out;
    memset(dig + 20, '0', 28);
    memset(out, 0, 32); /* what is copied past the text is defined */
    if (locus_shortest_decimal(v, &digits, &exponent))
        *p++ = '-';
    const char *d = decimal_digits(digits, dig + 20);
    int n = (int)(dig + 20 - d); /* at most 17 */
    int point = n + exponent;    /* digits before the decimal point */
    if (point - 1 < -4 || point - 1 >= 16) {
        int e = point - 1, a = abs(e);
        p[0] = d[0];
        p[1] = '.';
        memcpy(p + 2, d + 1, 16);
        p += n > 1 ? n + 1 : 1;
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        if (a >= 100)
            *p++ = (char)('0' + a / 100);
        *p++ = (char)('0' + a / 10 % 10);
        *p++ = (char)('0' + a % 10);
    } else if (point <= 0) { /* 0.000ddd: at most three zeros after the point */
        memcpy(p, "0.000", 5);
        p += 2 - point;
        memcpy(p, d, 20);
        p += n;
    } else { /* 0 < point <= 16: the integer part, then any fraction */
        memcpy(p, d, 16);
        if (point < n) {
            p[point] = '.';
            memcpy(p + point + 1, d + point, 16);
            p += n + 1;
        } else {
            p += point; /* the '0's after the digits pad it */
        }
    }
    *p = '\0';
    memcpy(s, out, 32);
    return (int)(p - out);
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

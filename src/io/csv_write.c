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
 * The decimal digits of v, most significant first, into out (20 bytes);
 * returns how many. Two digits a step from a table: the quotients chain
 * from one step to the next, and the one-digit loop this replaces made
 * that chain 17 steps long for most numbers of a table (perf: a third of
 * the CSV's time on bulk_water).
 */
static int decimal_digits(uint64_t v, char *out)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char tmp[20], *e = tmp + sizeof tmp;
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
    int n = (int)(tmp + sizeof tmp - e);
    memcpy(out, e, (size_t)n);
    return n;
}

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
    char d[20], *p = s;
    if (locus_shortest_decimal(v, &digits, &exponent))
        *p++ = '-';
    int n = decimal_digits(digits, d); /* d[0] is the most significant */
    int point = n + exponent;          /* digits before the decimal point */
    if (point - 1 < -4 || point - 1 >= 16) {
        *p++ = d[0];
        if (n > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)n - 1);
            p += n - 1;
        }
        p += sprintf(p, "e%c%02d", point - 1 < 0 ? '-' : '+', abs(point - 1));
    } else if (point <= 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -point; i++)
            *p++ = '0';
        memcpy(p, d, (size_t)n);
        p += n;
    } else {
        for (int k = 0; k < n || k < point; k++) {
            if (k == point)
                *p++ = '.';
            *p++ = k < n ? d[k] : '0';
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

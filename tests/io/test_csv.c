/*
 * CSV output: the header, rows with a trailing frame column, NaN as an
 * empty field, and numbers in the shortest form that reads back as the
 * same double (Python's repr). The round trip and the shortness are
 * checked against a naive search over %.{1..17}e for thousands of
 * random doubles.
 */
#include "check.h"
#include "common/table.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void test_header(void)
{
    locus_buffer b = {0};
    const char *names[] = {"y", "x", "mass"};
    CHECK(locus_csv_header(&b, names, 3) == LOCUS_OK, "header written");
    CHECK(b.data && strcmp(b.data, "y,x,mass,frame\n") == 0, "header: \"y,x,mass,frame\\n\"");
    CHECK(b.len == strlen("y,x,mass,frame\n"), "header length %zu", b.len);
    locus_buffer_free(&b);
    CHECK(b.data == NULL && b.len == 0, "buffer freed");

    const char *many[] = {"z",   "y",      "x",        "mass", "size_z", "size_y", "size_x",
                          "ecc", "signal", "raw_mass", "ep_z", "ep_y",   "ep_x"};
    locus_csv_header(&b, many, 13);
    CHECK(strcmp(b.data, "z,y,x,mass,size_z,size_y,size_x,ecc,signal,raw_mass,ep_z,ep_y,ep_x,"
                         "frame\n") == 0,
          "13-column header");
    locus_buffer_free(&b);
}

static locus_table *table_of(const char *const *names, int ncols, size_t rows, const double *v)
{
    locus_table *t = locus_table_create();
    locus_table_reset(t, names, ncols, rows);
    for (size_t r = 0; r < rows; r++)
        for (int c = 0; c < ncols; c++)
            t->col[c][r] = v[r * (size_t)ncols + (size_t)c];
    return t;
}

static void test_rows(void)
{
    const char *names[] = {"y", "x", "mass"};
    const double v[] = {0.1, 1.0 / 3, 12337.0, NAN, -2.5, 1e-300, 0.1 + 0.2, 2.0 / 3, 1e-5};
    locus_table *t = table_of(names, 3, 3, v);
    locus_buffer b = {0};
    locus_csv_header(&b, names, 3);
    CHECK(locus_csv_rows(&b, t, 7) == LOCUS_OK, "rows written");
    /* Python's repr: 0.1 -> '0.1', 1/3 -> '0.3333333333333333',
     * 12337.0 written as an integer, NaN empty, -2.5, 1e-300,
     * 0.1 + 0.2 -> '0.30000000000000004' (17 digits), 2/3 ->
     * '0.6666666666666666', 1e-5 -> '1e-05' */
    const char *want = "y,x,mass,frame\n"
                       "0.1,0.3333333333333333,12337,7\n"
                       ",-2.5,1e-300,7\n"
                       "0.30000000000000004,0.6666666666666666,1e-05,7\n";
    CHECK(strcmp(b.data, want) == 0, "rows as worked out by hand");
    if (strcmp(b.data, want) != 0)
        printf("# got:\n%s", b.data);
    CHECK(b.len == strlen(want), "buffer length matches its text");

    /* appending a second frame */
    locus_csv_rows(&b, t, 123456);
    CHECK(strstr(b.data, "\n0.1,0.3333333333333333,12337,123456\n") != NULL,
          "second frame appended with frame 123456");
    locus_table_free(t);
    locus_buffer_free(&b);

    /* zero rows: header only */
    t = table_of(names, 3, 0, v);
    locus_csv_header(&b, names, 3);
    CHECK(locus_csv_rows(&b, t, 0) == LOCUS_OK, "zero rows written");
    CHECK(strcmp(b.data, "y,x,mass,frame\n") == 0, "zero rows: header only");
    locus_table_free(t);
    locus_buffer_free(&b);

    /* zero rows into an empty buffer: nothing */
    t = table_of(names, 3, 0, v);
    locus_csv_rows(&b, t, 0);
    CHECK(b.len == 0, "zero rows into an empty buffer: nothing written");
    locus_table_free(t);
    locus_buffer_free(&b);

    /* more values by hand */
    const char *one[] = {"v"};
    const double w[] = {-0.1, 100, 1e22, 1.5e16, 123456.789, -7, 0, DBL_MAX, 0.5};
    const char *wt[] = {"-0.1",       "100", "1e+22", "1.5e+16",
                        "123456.789", "-7",  "0",     "1.7976931348623157e+308",
                        "0.5"};
    t = table_of(one, 1, 9, w);
    locus_csv_rows(&b, t, 0);
    char *save = NULL, *line = strtok_r(b.data, "\n", &save);
    for (int i = 0; i < 9; i++) {
        char expect[64];
        snprintf(expect, sizeof expect, "%s,0", wt[i]);
        CHECK(line && strcmp(line, expect) == 0, "%.17g written as \"%s\" (got \"%s\")", w[i],
              expect, line ? line : "(none)");
        line = strtok_r(NULL, "\n", &save);
    }
    locus_table_free(t);
    locus_buffer_free(&b);
}

/* Significant digits of a decimal string ("-0.00123e+05" -> 3). */
static int sig_digits(const char *s)
{
    char d[64];
    int n = 0;
    for (const char *p = s; *p && *p != 'e' && *p != 'E'; p++)
        if (*p >= '0' && *p <= '9')
            d[n++] = *p;
    int lo = 0, hi = n;
    while (lo < hi && d[lo] == '0')
        lo++;
    while (hi > lo && d[hi - 1] == '0')
        hi--;
    return hi - lo ? hi - lo : 1;
}

static uint64_t rng_state = 0xA4093822299F31D0ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_round_trip(void)
{
    enum { N = 6000 };
    double *v = malloc(N * sizeof *v);
    for (int i = 0; i < N; i++) {
        double x;
        if (i % 3 == 0) { /* any finite bit pattern */
            do {
                uint64_t bits = rng();
                memcpy(&x, &bits, sizeof x);
            } while (!isfinite(x) || (x != 0 && fabs(x) < DBL_MIN)); /* subnormals: below */
        } else if (i % 3 == 1) {                                     /* feature-like values */
            x = (double)(rng() >> 11) / 9007199254740992.0 * 1000.0;
            if (rng() % 2)
                x = -x;
        } else { /* few digits, then perturbed by a few ulps */
            x = (double)(rng() % 100000) / 1000.0;
            for (int k = (int)(rng() % 4); k > 0; k--)
                x = nextafter(x, INFINITY);
        }
        v[i] = x;
    }
    v[0] = -0.0;
    v[1] = DBL_MIN;
    v[2] = 2.2250738585072014e-308; /* the smallest normal */
    v[3] = 9007199254740993.0;      /* 2^53 + 1 rounds to 2^53 */
    v[4] = 999999999999999.0;
    v[5] = 1e15;
    const char *one[] = {"v"};
    locus_table *t = table_of(one, 1, N, v);
    locus_buffer b = {0};
    locus_csv_rows(&b, t, 3);
    int bad_trip = 0, bad_short = 0, bad_text = 0, bad_line = 0;
    char *p = b.data;
    for (int i = 0; i < N; i++) {
        char *end;
        double got = strtod(p, &end);
        char text[64];
        size_t len = (size_t)(end - p);
        if (len >= sizeof text || strncmp(end, ",3\n", 3) != 0) {
            if (bad_line++ < 3)
                printf("# bad line for %.17g\n", v[i]);
            break;
        }
        memcpy(text, p, len);
        text[len] = '\0';
        p = end + 3;
        if (memcmp(&got, &v[i], sizeof got) != 0) {
            if (bad_trip++ < 3)
                printf("# %.17g written as %s reads back as %.17g\n", v[i], text, got);
            continue;
        }
        /* the shortest precision that reads back, by brute force */
        int dmin = 17;
        char buf[64];
        for (int d = 1; d <= 17; d++) {
            snprintf(buf, sizeof buf, "%.*e", d - 1, v[i]);
            if (strtod(buf, NULL) == v[i]) {
                dmin = d;
                break;
            }
        }
        if (sig_digits(text) != dmin) {
            if (bad_short++ < 3)
                printf("# %.17g written as %s: %d digits, shortest is %d\n", v[i], text,
                       sig_digits(text), dmin);
            continue;
        }
        /* non-integers: the correctly rounded shortest digits, as %g */
        if (v[i] != trunc(v[i])) {
            snprintf(buf, sizeof buf, "%.*g", dmin, v[i]);
            if (strcmp(buf, text) != 0 && bad_text++ < 3)
                printf("# %.17g written as %s, %%.%dg gives %s\n", v[i], text, dmin, buf);
        }
    }
    CHECK(bad_line == 0, "every row is one number then \",3\"");
    CHECK(bad_trip == 0, "%d doubles read back as the same double (%d differ)", N, bad_trip);
    CHECK(bad_short == 0, "every number has the fewest digits that read back (%d longer)",
          bad_short);
    CHECK(bad_text == 0, "non-integers are the correctly rounded shortest digits (%d differ)",
          bad_text);
    CHECK(strncmp(b.data, "-0,3\n", 5) == 0 || strncmp(b.data, "-0.0,3\n", 7) == 0,
          "-0.0 keeps its sign");
    locus_table_free(t);
    locus_buffer_free(&b);
    free(v);
}

/* Subnormal numbers have fewer significant bits, so their shortest form
 * can be much shorter than 15 digits: Python writes 5e-324, not
 * 4.94065645841247e-324. */
static void test_subnormal(void)
{
    const double v[] = {DBL_TRUE_MIN, 1e-310, 2.5e-320, -3e-315, 1.23456789e-309};
    const char *one[] = {"v"};
    locus_table *t = table_of(one, 1, 5, v);
    locus_buffer b = {0};
    locus_csv_rows(&b, t, 0);
    char *p = b.data;
    for (int i = 0; i < 5; i++) {
        char *end, text[64], buf[64];
        double got = strtod(p, &end);
        size_t len = (size_t)(end - p);
        len = len < sizeof text ? len : sizeof text - 1;
        memcpy(text, p, len);
        text[len] = '\0';
        p = end + 3;
        int dmin = 17;
        for (int d = 1; d <= 17; d++) {
            snprintf(buf, sizeof buf, "%.*e", d - 1, v[i]);
            if (strtod(buf, NULL) == v[i]) {
                dmin = d;
                break;
            }
        }
        snprintf(buf, sizeof buf, "%.*g", dmin, v[i]);
        CHECK(got == v[i], "subnormal %s reads back as the same double", buf);
        CHECK(strcmp(text, buf) == 0, "subnormal written as \"%s\", the shortest (got \"%s\")", buf,
              text);
    }
    locus_table_free(t);
    locus_buffer_free(&b);
}

int main(void)
{
    test_header();
    test_rows();
    test_round_trip();
    test_subnormal();
    return check_done();
}

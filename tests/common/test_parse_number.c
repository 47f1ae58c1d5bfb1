/*
 * locus_parse_double (fast_float) gives strtod's value, bit for bit, and
 * accepts exactly the fields strtod takes whole: random doubles in many
 * formats, and edge strings (overflow, subnormals, halfway cases, long
 * digit strings, inf/nan, hexadecimal, signs, junk).
 */
#include "check.h"
#include "common/internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0xD1B54A32D192ED03ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* 1 when locus_parse_double agrees with strtod on s (value and verdict). */
static int agrees(const char *s)
{
    size_t n = strlen(s);
    char *end;
    double want = strtod(s, &end);
    int whole = n > 0 && end == s + n && s[0] != ' ' && s[0] != '\t' && s[0] != '\n';
    double got = 12345;
    int rc = locus_parse_double(s, s + n, &got);
    if (rc != (whole ? 0 : -1))
        return 0;
    if (!whole)
        return 1;
    if (isnan(want))
        return isnan(got);
    return memcmp(&got, &want, sizeof got) == 0;
}

static void random_doubles(void)
{
    static const char *const fmts[] = {"%.17g", "%.16g", "%.15g", "%.6f", "%.3e",
                                       "%.25g", "%g",    "%.0f",  "%.12e"};
    int bad = 0, count = 0;
    char buf[400], first[400] = "";
    for (int k = 0; k < 40000; k++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (k % 2) /* also ordinary magnitudes, as positions are */
            v = (double)(rng() >> 11) / 9007199254740992.0 * pow(10, (int)(rng() % 12) - 3);
        if (!isfinite(v))
            continue;
        for (size_t f = 0; f < sizeof fmts / sizeof *fmts; f++) {
            snprintf(buf, sizeof buf, fmts[f], v);
            count++;
            if (!agrees(buf)) {
                if (!bad)
                    strcpy(first, buf);
                bad++;
            }
        }
    }
    CHECK(bad == 0, "%d formatted random doubles: same bits as strtod (%d differ, first '%s')",
          count, bad, first);
}

static void edge_strings(void)
{
    static const char *const cases[] = {
        "0",
        "-0",
        "+0",
        "1",
        "-1",
        "+1.5",
        ".5",
        "5.",
        "-.5e1",
        "1e308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e309",
        "-1e400",
        "4.9e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-400",
        "2.2250738585072011e-308",
        "2.2250738585072014e-308",
        "0.1000000000000000055511151231257827021181583404541015625",
        "9007199254740993",
        "9007199254740992.5",
        "123456789012345678901234567890",
        "0.000000000000000000000000000000000000001",
        "1E5",
        "1e+05",
        "1e-05",
        "inf",
        "-inf",
        "+inf",
        "INF",
        "Infinity",
        "-infinity",
        "nan",
        "NaN",
        "-nan",
        "nan(123)",
        "0x1p3",
        "0X1.8p-2",
        "-0x10",
        "1e",
        "1e+",
        "1.5e-",
        "e5",
        ".",
        "-",
        "+",
        "",
        "--1",
        "+-1",
        "1-",
        "1.5.5",
        "1_000",
        "1,5",
        "abc",
        "12abc",
        " 1",
        "1 ",
        "0001.5",
        "-00.0e-00",
    };
    int bad = 0;
    char first[80] = "";
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        if (!agrees(cases[k])) {
            if (!bad)
                snprintf(first, sizeof first, "%s", cases[k]);
            bad++;
        }
    CHECK(bad == 0, "%zu edge strings: same verdict and bits as strtod (%d differ, first '%s')",
          sizeof cases / sizeof *cases, bad, first);
    /* a long digit string (slow path of both parsers) */
    char longs[1200];
    memset(longs, '7', 1000);
    longs[1] = '.';
    longs[1000] = '\0';
    CHECK(agrees(longs), "1000 digits: same bits as strtod");
    /* a field that is not NUL-terminated: only [begin, end) is read */
    const char *s = "3.25,7";
    double v = 0;
    CHECK(locus_parse_double(s, s + 4, &v) == 0 && v == 3.25, "a field within a line: 3.25");
}

int main(void)
{
    random_doubles();
    edge_strings();
    return check_done();
}

/*
 * A tiny test harness. Each CHECK prints one TAP-style line ("ok" or
 * "not ok") that tests/run.sh counts; a test program exits nonzero when
 * any check failed.
 *
 *   CHECK(cond, "what is asserted %d", n);
 *   CHECK_NEAR(got, want, tol, "name");
 *   return check_done();
 */
#ifndef LOCUS_TEST_CHECK_H
#define LOCUS_TEST_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int check_failed_count;
static int check_count;

static inline int check_report(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int check_report(int ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    check_count++;
    if (!ok)
        check_failed_count++;
    printf("%s %d - ", ok ? "ok" : "not ok", check_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok)
        printf("  (%s:%d)", file, line);
    printf("\n");
    fflush(stdout);
    return ok;
}

#define CHECK(cond, ...) check_report(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* |got - want| <= tol, with NaN equal to NaN. */
#define CHECK_NEAR(got, want, tol, name)                                                           \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        int ok_ = (isnan(g_) && isnan(w_)) || fabs(g_ - w_) <= (tol);                              \
        check_report(ok_, __FILE__, __LINE__, "%s: got %.17g, want %.17g", (name), g_, w_);        \
    } while (0)

static inline int check_done(void)
{
    return check_failed_count ? 1 : 0;
}

#endif

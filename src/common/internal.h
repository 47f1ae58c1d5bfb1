/*
 * Internal helpers shared by every stage. Not part of the public API.
 */
#ifndef LOCUS_INTERNAL_H
#define LOCUS_INTERNAL_H

#include "locus.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LOCUS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LOCUS_LIKELY(x) __builtin_expect(!!(x), 1)
#define LOCUS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LOCUS_PRINTF(a, b)
#define LOCUS_LIKELY(x) (x)
#define LOCUS_UNLIKELY(x) (x)
#endif

/* Record a failure in err (if not NULL) and return status. */
int locus_error_set(locus_error *err, int status, const char *fmt, ...) LOCUS_PRINTF(3, 4);
/* Clear err to LOCUS_OK. */
void locus_error_clear(locus_error *err);

/*
 * Grow *buf to hold at least `bytes` bytes (contents are not kept).
 * Buffers are 64-byte aligned so that vector loads never straddle.
 * Returns 0, or LOCUS_E_NOMEM.
 */
int locus_mem_reserve(void **buf, size_t *cap, size_t bytes);
/* Like locus_mem_reserve, but keeps the contents. */
int locus_mem_grow(void **buf, size_t *cap, size_t bytes);
void locus_mem_release(void **buf, size_t *cap);

/* a * b, or SIZE_MAX when it overflows. */
static inline size_t size_mul(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return SIZE_MAX;
    return r;
}

#endif

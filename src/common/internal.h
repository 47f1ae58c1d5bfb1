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

/*
 * Errors (common/error.c). Each setter fills err (if not NULL) with its
 * facts and the sentence built from them, and returns the status.
 */
/* A reason only. */
int locus_error_set(locus_error *err, int status, const char *fmt, ...) LOCUS_PRINTF(3, 4);
/*
 * LOCUS_E_PARAM: parameter `param` (trackpy's name) and why, e.g.
 * ("diameter", NULL, "must be odd (got %g)"). A reason about a second
 * parameter names it with LOCUS_ERROR_OTHER where its name goes, so
 * that every caller spells both its own way.
 */
#define LOCUS_ERROR_OTHER "\037"
int locus_error_param(locus_error *err, const char *param, const char *other, const char *fmt, ...)
    LOCUS_PRINTF(4, 5);
/* A file (and the errno of the call that failed, or 0) and why. */
int locus_error_file(locus_error *err, int status, const char *path, int sys_errno, const char *fmt,
                     ...) LOCUS_PRINTF(5, 6);
/* A failed system call on path: "PATH: WHAT: strerror" (what may be
 * NULL); LOCUS_E_NOMEM for ENOMEM, else LOCUS_E_IO. */
int locus_error_errno(locus_error *err, const char *path, int sys_errno, const char *what);
/* Name the parameter the error is about (param, put before the reason)
 * and the one its reason mentions at LOCUS_ERROR_OTHER (other); NULL
 * leaves either as it is. err may be NULL. */
void locus_error_name(locus_error *err, const char *param, const char *other);
/* Rebuild err->message after changing a fact. */
void locus_error_compose(locus_error *err);
/* Clear err to LOCUS_OK. */
void locus_error_clear(locus_error *err);
/* A heap copy of e to keep (NULL when out of memory), and back: err
 * becomes *kept, or "out of memory" with `status` when kept is NULL. */
locus_error *locus_error_keep(const locus_error *e);
int locus_error_restore(locus_error *err, const locus_error *kept, int status);

/*
 * Grow *buf to hold at least `bytes` bytes (contents are not kept).
 * Buffers are 64-byte aligned so that vector loads never straddle.
 * Returns 0, or LOCUS_E_NOMEM.
 */
int locus_mem_reserve(void **buf, size_t *cap, size_t bytes);
/* Like locus_mem_reserve, but keeps the contents. */
int locus_mem_grow(void **buf, size_t *cap, size_t bytes);
void locus_mem_release(void **buf, size_t *cap);

/* Room for `extra` more bytes (and the NUL) in a public locus_buffer. */
int locus_buffer_room(locus_buffer *b, size_t extra);

/*
 * The number in [begin, end) exactly as strtod reads it (the whole span,
 * nothing else), found fast (common/parse_number.cc, fast_float): 0, or
 * -1 when the span is not one number.
 */
int locus_parse_double(const char *begin, const char *end, double *out);

/* a * b, or SIZE_MAX when it overflows. */
static inline size_t size_mul(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return SIZE_MAX;
    return r;
}

#endif

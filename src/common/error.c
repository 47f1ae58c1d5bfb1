/* Error codes and messages. */
#include "common/internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_text[LOCUS_E_COUNT_] = {
    [LOCUS_OK] = "success",
    [LOCUS_E_PARAM] = "invalid parameter",
    [LOCUS_E_NOMEM] = "out of memory",
    [LOCUS_E_IO] = "cannot read file",
    [LOCUS_E_FORMAT] = "not a readable image",
    [LOCUS_E_UNSUPPORTED] = "unsupported image format",
    [LOCUS_E_CHANNEL] = "bad colour channel",
    [LOCUS_E_SHAPE] = "bad image shape",
    [LOCUS_E_INTERRUPTED] = "interrupted",
    [LOCUS_E_ABORTED] = "stopped by caller",
    [LOCUS_E_SYSTEM] = "system error",
    [LOCUS_E_OVERSIZE] = "subnet too large (SubnetOversizeException)",
};

const char *locus_strerror(int status)
{
    if (status < 0 || status >= LOCUS_E_COUNT_)
        return "unknown error";
    return status_text[status];
}

const char *locus_version(void)
{
    return LOCUS_VERSION_STRING;
}

/* ------------------------------------------------------------------ */
/* The sentence from the facts                                         */
/* ------------------------------------------------------------------ */

static void put(char *buf, size_t n, size_t *k, const char *s)
{
    while (*s && *k + 1 < n)
        buf[(*k)++] = *s++;
    buf[*k < n ? *k : n - 1] = '\0';
}

const char *locus_error_describe(const locus_error *err,
                                 const char *(*spell)(const char *param, void *user), void *user,
                                 char *buf, size_t n)
{
    size_t k = 0;
    if (!buf || n == 0)
        return buf;
    buf[0] = '\0';
    if (!err)
        return buf;
    if (err->path[0]) {
        put(buf, n, &k, err->path);
        if (err->line > 0) {
            char line[32];
            snprintf(line, sizeof line, ":%lld", err->line);
            put(buf, n, &k, line);
        }
        put(buf, n, &k, ": ");
    }
    if (err->param[0]) {
        put(buf, n, &k, spell ? spell(err->param, user) : err->param);
        put(buf, n, &k, " ");
    }
    const char *r = err->reason[0] ? err->reason : locus_strerror(err->status);
    for (const char *mark; (mark = strchr(r, LOCUS_ERROR_OTHER[0]));) {
        char piece[LOCUS_ERROR_MAX];
        snprintf(piece, sizeof piece, "%.*s", (int)(mark - r), r);
        put(buf, n, &k, piece);
        put(buf, n, &k, spell && err->other[0] ? spell(err->other, user) : err->other);
        r = mark + 1;
    }
    put(buf, n, &k, r);
    return buf;
}

void locus_error_compose(locus_error *err)
{
    if (err)
        locus_error_describe(err, NULL, NULL, err->message, sizeof err->message);
}

/* Clear every fact and set the status and reason. */
static int set_reason(locus_error *err, int status, const char *fmt, va_list ap)
{
    memset(err, 0, offsetof(locus_error, reason));
    err->status = status;
    vsnprintf(err->reason, sizeof err->reason, fmt, ap);
    return status;
}

int locus_error_set(locus_error *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_reason(err, status, fmt, ap);
        va_end(ap);
        locus_error_compose(err);
    }
    return status;
}

int locus_error_param(locus_error *err, const char *param, const char *other, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_reason(err, LOCUS_E_PARAM, fmt, ap);
        va_end(ap);
        snprintf(err->param, sizeof err->param, "%s", param ? param : "");
        snprintf(err->other, sizeof err->other, "%s", other ? other : "");
        locus_error_compose(err);
    }
    return LOCUS_E_PARAM;
}

int locus_error_file(locus_error *err, int status, const char *path, int sys_errno, const char *fmt,
                     ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_reason(err, status, fmt, ap);
        va_end(ap);
        err->sys_errno = sys_errno;
        snprintf(err->path, sizeof err->path, "%s", path ? path : "");
        locus_error_compose(err);
    }
    return status;
}

int locus_error_errno(locus_error *err, const char *path, int sys_errno, const char *what)
{
    int status = sys_errno == ENOMEM ? LOCUS_E_NOMEM : LOCUS_E_IO;
    if (!sys_errno)
        sys_errno = EIO;
    if (what && *what)
        return locus_error_file(err, status, path, sys_errno, "%s: %s", what, strerror(sys_errno));
    return locus_error_file(err, status, path, sys_errno, "%s", strerror(sys_errno));
}

void locus_error_name(locus_error *err, const char *param, const char *other)
{
    if (!err)
        return;
    if (param)
        snprintf(err->param, sizeof err->param, "%s", param);
    if (other)
        snprintf(err->other, sizeof err->other, "%s", other);
    locus_error_compose(err);
}

void locus_error_clear(locus_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

locus_error *locus_error_keep(const locus_error *e)
{
    locus_error *k = malloc(sizeof *k);
    if (k)
        *k = *e;
    return k;
}

int locus_error_restore(locus_error *err, const locus_error *kept, int status)
{
    if (!kept)
        return locus_error_set(err, status, "out of memory");
    if (err)
        *err = *kept;
    return kept->status;
}

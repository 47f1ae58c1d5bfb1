/* Error codes and messages. */
#include "common/internal.h"

#include <stdio.h>
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

int error_set(locus_error *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void error_clear(locus_error *err)
{
    if (err) {
        err->status = LOCUS_OK;
        err->message[0] = '\0';
    }
}

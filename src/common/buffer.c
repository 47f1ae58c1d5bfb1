/* Aligned, growable scratch buffers. */
#include "common/internal.h"

#include <stdlib.h>
#include <string.h>

enum { BUFFER_ALIGN = 64 };

static size_t round_up(size_t bytes)
{
    if (bytes > SIZE_MAX - BUFFER_ALIGN)
        return SIZE_MAX;
    return (bytes + BUFFER_ALIGN - 1) / BUFFER_ALIGN * BUFFER_ALIGN;
}

int locus_mem_reserve(void **buf, size_t *cap, size_t bytes)
{
    if (bytes <= *cap && *buf)
        return LOCUS_OK;
    size_t want = round_up(bytes ? bytes : 1);
    if (want == SIZE_MAX)
        return LOCUS_E_NOMEM;
    void *p = aligned_alloc(BUFFER_ALIGN, want);
    if (!p)
        return LOCUS_E_NOMEM;
    free(*buf);
    *buf = p;
    *cap = want;
    return LOCUS_OK;
}

int locus_mem_grow(void **buf, size_t *cap, size_t bytes)
{
    if (bytes <= *cap && *buf)
        return LOCUS_OK;
    size_t want = *cap * 2 > bytes ? *cap * 2 : bytes;
    want = round_up(want ? want : 1);
    if (want == SIZE_MAX)
        return LOCUS_E_NOMEM;
    void *p = aligned_alloc(BUFFER_ALIGN, want);
    if (!p)
        return LOCUS_E_NOMEM;
    if (*buf)
        memcpy(p, *buf, *cap);
    free(*buf);
    *buf = p;
    *cap = want;
    return LOCUS_OK;
}

void locus_mem_release(void **buf, size_t *cap)
{
    free(*buf);
    *buf = NULL;
    *cap = 0;
}

/* Aligned, growable scratch buffers. */
#include "common/internal.h"

#include <errno.h>
#include <stdio.h>
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

/* ------------------------------------------------------------------ */
/* The public growable byte buffer                                     */
/* ------------------------------------------------------------------ */

int locus_buffer_write_file(const locus_buffer *b, const char *path, locus_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return locus_error_errno(err, path, errno, "cannot create");
    int bad = b->len && fwrite(b->data, 1, b->len, f) != b->len;
    int saved = errno;
    if (fclose(f) != 0 && !bad)
        bad = 1, saved = errno;
    if (bad) {
        remove(path);
        return locus_error_errno(err, path, saved, "cannot write");
    }
    return LOCUS_OK;
}

void locus_buffer_free(locus_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int locus_buffer_room(locus_buffer *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return LOCUS_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return LOCUS_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return LOCUS_OK;
}

int locus_buffer_append(locus_buffer *b, const char *data, size_t len)
{
    if (locus_buffer_room(b, len))
        return LOCUS_E_NOMEM;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return LOCUS_OK;
}

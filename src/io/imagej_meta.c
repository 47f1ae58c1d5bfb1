/*
 * ImageJ's ImageDescription: lines of key=value after a first line
 * "ImageJ=VERSION". Only the axis sizes matter here; ImageJ writes
 * images= for any stack and channels=, slices=, frames= (each only when
 * more than 1), and hyperstack=true for a hyperstack. Its page order is
 * channel fastest, then slice (z), then frame (t).
 */
#include "io/tiff_meta.h"

#include <string.h>

/* A positive decimal integer up to META_MAX_PLANES, else 0. Trailing
 * spaces and a carriage return are allowed; anything else is not. */
static uint64_t parse_count(const char *s, size_t n)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && s[i] == ' ')
        i++;
    size_t digits = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > META_MAX_PLANES)
            return 0;
    }
    if (i == digits)
        return 0;
    while (i < n && (s[i] == ' ' || s[i] == '\r'))
        i++;
    return i == n ? v : 0;
}

static int key_is(const char *line, size_t klen, const char *key)
{
    return klen == strlen(key) && memcmp(line, key, klen) == 0;
}

static void take_line(imagej_meta *m, const char *line, size_t n)
{
    const char *eq = memchr(line, '=', n);
    if (!eq)
        return;
    size_t k = (size_t)(eq - line), vn = n - k - 1;
    const char *v = eq + 1;
    uint64_t x = parse_count(v, vn);
    if (key_is(line, k, "images"))
        m->images = x;
    else if (key_is(line, k, "channels") && x)
        m->channels = x;
    else if (key_is(line, k, "slices") && x)
        m->slices = x;
    else if (key_is(line, k, "frames") && x)
        m->frames = x;
    else if (key_is(line, k, "hyperstack"))
        m->hyperstack = vn >= 4 && memcmp(v, "true", 4) == 0;
}

int locus_imagej_parse(const char *text, size_t n, imagej_meta *m)
{
    memset(m, 0, sizeof *m);
    m->channels = m->slices = m->frames = 1;
    if (!text || n < 7 || memcmp(text, "ImageJ=", 7) != 0)
        return 0;
    /* a description is a C string in the file: it ends at the first NUL */
    const char *nul = memchr(text, '\0', n);
    if (nul)
        n = (size_t)(nul - text);
    size_t pos = 0;
    while (pos < n) {
        const char *nl = memchr(text + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (text + pos)) : n - pos;
        take_line(m, text + pos, len);
        pos += len + 1;
    }
    return 1;
}

int locus_imagej_consistent(const imagej_meta *m)
{
    /* each factor is at most 2^32, so the products are checked stepwise */
    uint64_t cz = m->channels * m->slices;
    if (m->slices && cz / m->slices != m->channels)
        return 0;
    if (cz > META_MAX_PLANES || (m->frames && cz > META_MAX_PLANES / m->frames))
        return 0;
    return m->images > 0 && cz * m->frames == m->images;
}

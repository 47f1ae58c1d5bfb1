/*
 * OME-XML, as OME-TIFF writers put it in the first page's
 * ImageDescription, parsed with expat. What is read: the first Image's
 * Pixels (DimensionOrder, SizeX/Y/Z/C/T), its Channels' SamplesPerPixel,
 * and its TiffData elements (IFD, PlaneCount, FirstZ/C/T, and a UUID
 * child whose FileName puts the planes in another file of a multi-file
 * set). Everything else (Plane, instrument, annotations) is skipped.
 *
 * Names are matched without their namespace (expat's namespace mode
 * hands them over as "URI|local"), so every schema version's documents
 * read alike. expat loads no external entities unless asked to, and
 * limits entity expansion ("billion laughs") itself.
 */
#include "io/tiff_meta.h"

#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { UUID_MAX = 256, NAME_MAX_LEN = 4096 };

typedef struct {
    XML_Parser xp;
    ome_meta *m;
    int depth; /* element depth (root = 1) */
    int root_seen, is_ome;
    int image_depth;  /* depth of the first Image, while inside it; else 0 */
    int pixels_depth; /* likewise its Pixels */
    int pixels_seen;
    int channel_seen;
    int in_uuid;         /* inside a TiffData's UUID */
    int tiffdata_open;   /* a TiffData has started and not yet ended */
    int has_uuid;        /* that TiffData has a UUID child */
    char uuid[UUID_MAX]; /* its text */
    size_t uuid_len;
    char *file_name; /* its FileName, or NULL */
    char root_uuid[UUID_MAX];
    size_t data_cap;
    int status; /* first failure */
    char *why;
    size_t why_n;
} ome_parse;

static const char *local_name(const char *name)
{
    const char *bar = strrchr(name, '|');
    return bar ? bar + 1 : name;
}

static void fail(ome_parse *p, int status, const char *fmt, ...) LOCUS_PRINTF(3, 4);

static void fail(ome_parse *p, int status, const char *fmt, ...)
{
    if (p->status)
        return;
    p->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, p->why_n, fmt, ap);
    va_end(ap);
    XML_StopParser(p->xp, XML_FALSE);
}

static const char *attr(const char **atts, const char *key)
{
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp(local_name(atts[i]), key) == 0)
            return atts[i + 1];
    return NULL;
}

/* An attribute that must be a whole number up to max: its value, def when
 * absent; a failure when it is something else. */
static uint64_t number(ome_parse *p, const char **atts, const char *key, uint64_t def, uint64_t max)
{
    const char *s = attr(atts, key);
    if (!s)
        return def;
    uint64_t v = 0;
    const char *c = s;
    while (*c == ' ')
        c++;
    const char *start = c;
    for (; *c >= '0' && *c <= '9'; c++) {
        v = v * 10 + (uint64_t)(*c - '0');
        if (v > max) {
            fail(p, LOCUS_E_FORMAT, "%s=\"%.40s\" is too large (at most %llu)", key, s,
                 (unsigned long long)max);
            return def;
        }
    }
    while (*c == ' ')
        c++;
    if (c == start || *c)
        fail(p, LOCUS_E_FORMAT, "%s=\"%.40s\" is not a whole number", key, s);
    return v;
}

static int order_valid(const char *o)
{
    static const char *const orders[] = {"XYZCT", "XYZTC", "XYCZT", "XYCTZ", "XYTZC", "XYTCZ"};
    for (size_t i = 0; i < sizeof orders / sizeof *orders; i++)
        if (strcmp(o, orders[i]) == 0)
            return 1;
    return 0;
}

static void start_pixels(ome_parse *p, const char **atts)
{
    ome_meta *m = p->m;
    p->pixels_seen = 1;
    p->pixels_depth = p->depth;
    const char *order = attr(atts, "DimensionOrder");
    if (!order || !order_valid(order)) {
        fail(p, LOCUS_E_FORMAT,
             "Pixels DimensionOrder \"%.20s\" is not one of XYZCT, XYZTC, "
             "XYCZT, XYCTZ, XYTZC, XYTCZ",
             order ? order : "");
        return;
    }
    memcpy(m->order, order, 6);
    m->size_x = number(p, atts, "SizeX", 0, META_MAX_PLANES);
    m->size_y = number(p, atts, "SizeY", 0, META_MAX_PLANES);
    m->size_z = number(p, atts, "SizeZ", 0, META_MAX_PLANES);
    m->size_c = number(p, atts, "SizeC", 0, META_MAX_PLANES);
    m->size_t_ = number(p, atts, "SizeT", 0, META_MAX_PLANES);
    if (!p->status && (!m->size_x || !m->size_y || !m->size_z || !m->size_c || !m->size_t_))
        fail(p, LOCUS_E_FORMAT,
             "Pixels without a size (SizeX, SizeY, SizeZ, SizeC and SizeT "
             "must be 1 or more)");
}

static void start_channel(ome_parse *p, const char **atts)
{
    uint64_t s = number(p, atts, "SamplesPerPixel", 1, 64);
    if (s == 0)
        fail(p, LOCUS_E_FORMAT, "Channel SamplesPerPixel is 0");
    else if (p->channel_seen && s != p->m->samples)
        fail(p, LOCUS_E_UNSUPPORTED, "channels with different SamplesPerPixel (%llu and %llu)",
             (unsigned long long)p->m->samples, (unsigned long long)s);
    p->m->samples = s;
    p->channel_seen = 1;
}

static void start_tiffdata(ome_parse *p, const char **atts)
{
    ome_meta *m = p->m;
    if (m->ndata == META_MAX_TIFFDATA) {
        fail(p, LOCUS_E_UNSUPPORTED, "more than %d TiffData elements", META_MAX_TIFFDATA);
        return;
    }
    if (m->ndata == p->data_cap) {
        size_t ncap = p->data_cap ? 2 * p->data_cap : 16;
        ome_tiffdata *d = realloc(m->data, size_mul(ncap, sizeof *d));
        if (!d) {
            fail(p, LOCUS_E_NOMEM, "out of memory");
            return;
        }
        m->data = d;
        p->data_cap = ncap;
    }
    ome_tiffdata *d = &m->data[m->ndata++];
    memset(d, 0, sizeof *d);
    int has_ifd = attr(atts, "IFD") != NULL;
    d->ifd = number(p, atts, "IFD", 0, META_MAX_PLANES);
    /* the schema: PlaneCount defaults to 1 with an IFD, else to every IFD */
    d->count = (int64_t)number(p, atts, "PlaneCount", has_ifd ? 1 : (uint64_t)-1, META_MAX_PLANES);
    if (!attr(atts, "PlaneCount") && !has_ifd)
        d->count = OME_ALL;
    d->fz = number(p, atts, "FirstZ", 0, META_MAX_PLANES);
    d->fc = number(p, atts, "FirstC", 0, META_MAX_PLANES);
    d->ft = number(p, atts, "FirstT", 0, META_MAX_PLANES);
    p->tiffdata_open = 1;
    p->has_uuid = 0;
    p->uuid_len = 0;
    free(p->file_name);
    p->file_name = NULL;
}

static void start_uuid(ome_parse *p, const char **atts)
{
    p->in_uuid = 1;
    p->has_uuid = 1;
    const char *name = attr(atts, "FileName");
    if (name && strlen(name) > NAME_MAX_LEN) {
        fail(p, LOCUS_E_FORMAT, "a FileName of more than %d bytes", NAME_MAX_LEN);
        return;
    }
    if (name && *name && !(p->file_name = strdup(name)))
        fail(p, LOCUS_E_NOMEM, "out of memory");
}

static void on_start(void *user, const char *name, const char **atts)
{
    ome_parse *p = user;
    const char *n = local_name(name);
    p->depth++;
    if (!p->root_seen) {
        p->root_seen = 1;
        p->is_ome = strcmp(n, "OME") == 0;
        if (!p->is_ome) {
            XML_StopParser(p->xp, XML_FALSE);
            return;
        }
        const char *u = attr(atts, "UUID");
        snprintf(p->root_uuid, sizeof p->root_uuid, "%s", u ? u : "");
        return;
    }
    if (p->depth == 2 && strcmp(n, "BinaryOnly") == 0)
        p->m->binary_only = 1;
    if (p->depth == 2 && strcmp(n, "Image") == 0 && p->m->images++ == 0)
        p->image_depth = 2;
    else if (p->image_depth && p->depth == 3 && strcmp(n, "Pixels") == 0 && !p->pixels_seen)
        start_pixels(p, atts);
    else if (p->pixels_depth && p->depth == p->pixels_depth + 1 && strcmp(n, "Channel") == 0)
        start_channel(p, atts);
    else if (p->pixels_depth && p->depth == p->pixels_depth + 1 && strcmp(n, "TiffData") == 0)
        start_tiffdata(p, atts);
    else if (p->tiffdata_open && p->depth == p->pixels_depth + 2 && strcmp(n, "UUID") == 0)
        start_uuid(p, atts);
}

/* The file of a TiffData: its index in m->files (0 for this file). */
static size_t intern_file(ome_parse *p, const char *name)
{
    ome_meta *m = p->m;
    for (size_t i = 1; i < m->nfiles; i++)
        if (strcmp(m->files[i], name) == 0)
            return i;
    if (m->nfiles >= META_MAX_FILES) {
        fail(p, LOCUS_E_UNSUPPORTED, "a set of more than %d files", META_MAX_FILES);
        return 0;
    }
    char **f = realloc(m->files, (m->nfiles + 1) * sizeof *f);
    if (!f || !(f[m->nfiles] = strdup(name))) {
        if (f)
            m->files = f;
        fail(p, LOCUS_E_NOMEM, "out of memory");
        return 0;
    }
    m->files = f;
    return m->nfiles++;
}

static void end_tiffdata(ome_parse *p)
{
    ome_tiffdata *d = &p->m->data[p->m->ndata - 1];
    p->tiffdata_open = 0;
    if (p->file_name)
        d->file = intern_file(p, p->file_name);
    else if (p->has_uuid && p->uuid_len && strcmp(p->uuid, p->root_uuid) != 0)
        fail(p, LOCUS_E_UNSUPPORTED,
             "a TiffData names its file only by UUID (%.60s), without a FileName", p->uuid);
}

static void on_end(void *user, const char *name)
{
    ome_parse *p = user;
    const char *n = local_name(name);
    if (p->in_uuid && strcmp(n, "UUID") == 0)
        p->in_uuid = 0;
    else if (p->tiffdata_open && p->depth == p->pixels_depth + 1 && strcmp(n, "TiffData") == 0)
        end_tiffdata(p);
    else if (p->pixels_depth == p->depth)
        p->pixels_depth = 0;
    else if (p->image_depth == p->depth)
        p->image_depth = 0;
    p->depth--;
}

static void on_text(void *user, const char *s, int len)
{
    ome_parse *p = user;
    if (!p->in_uuid)
        return;
    for (int i = 0; i < len && p->uuid_len + 1 < sizeof p->uuid; i++)
        if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
            p->uuid[p->uuid_len++] = s[i];
    p->uuid[p->uuid_len] = '\0';
}

/* The size of an axis in DimensionOrder position k (0 = Z/C/T after XY). */
static uint64_t axis_size(const ome_meta *m, char axis)
{
    return axis == 'Z' ? m->size_z : axis == 'T' ? m->size_t_ : m->size_c / m->samples;
}

uint64_t locus_ome_plane_index(const ome_meta *m, uint64_t z, uint64_t c, uint64_t t)
{
    uint64_t index = 0;
    for (int k = 4; k >= 2; k--) {
        char a = m->order[k];
        index = index * axis_size(m, a) + (a == 'Z' ? z : a == 'T' ? t : c);
    }
    return index;
}

/* What the whole document says, checked once it has been read. */
static void finish(ome_parse *p)
{
    ome_meta *m = p->m;
    if (!p->pixels_seen) {
        fail(p, LOCUS_E_FORMAT, "no Image with Pixels");
        return;
    }
    if (m->size_c % m->samples) {
        fail(p, LOCUS_E_FORMAT, "SizeC=%llu is not a multiple of SamplesPerPixel=%llu",
             (unsigned long long)m->size_c, (unsigned long long)m->samples);
        return;
    }
    uint64_t nc = m->size_c / m->samples;
    if (m->size_z > META_MAX_PLANES / nc || m->size_z * nc > META_MAX_PLANES / m->size_t_) {
        fail(p, LOCUS_E_FORMAT, "SizeZ=%llu x SizeC=%llu x SizeT=%llu planes is too many",
             (unsigned long long)m->size_z, (unsigned long long)m->size_c,
             (unsigned long long)m->size_t_);
        return;
    }
    m->planes = m->size_z * nc * m->size_t_;
    for (size_t i = 0; i < m->ndata; i++) {
        ome_tiffdata *d = &m->data[i];
        if (d->fz >= m->size_z || d->fc >= nc || d->ft >= m->size_t_) {
            fail(p, LOCUS_E_FORMAT,
                 "TiffData FirstZ=%llu FirstC=%llu FirstT=%llu is outside "
                 "SizeZ=%llu, %llu channel planes, SizeT=%llu",
                 (unsigned long long)d->fz, (unsigned long long)d->fc, (unsigned long long)d->ft,
                 (unsigned long long)m->size_z, (unsigned long long)nc,
                 (unsigned long long)m->size_t_);
            return;
        }
        d->first = locus_ome_plane_index(m, d->fz, d->fc, d->ft);
        if (d->count != OME_ALL && (uint64_t)d->count > m->planes - d->first) {
            fail(p, LOCUS_E_FORMAT,
                 "TiffData PlaneCount=%lld from plane %llu is past the %llu "
                 "planes",
                 (long long)d->count, (unsigned long long)d->first, (unsigned long long)m->planes);
            return;
        }
    }
}

static void parse_run(ome_parse *p, const char *text, size_t n)
{
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_text);
    enum XML_Status r = XML_Parse(p->xp, text, (int)n, XML_TRUE);
    if (r == XML_STATUS_ERROR && !p->status && p->is_ome)
        fail(p, LOCUS_E_FORMAT, "corrupt OME-XML (line %lu: %s)",
             (unsigned long)XML_GetCurrentLineNumber(p->xp),
             XML_ErrorString(XML_GetErrorCode(p->xp)));
    /* a BinaryOnly document describes no pixels: the caller refuses it */
    if (!p->status && p->is_ome && !p->m->binary_only)
        finish(p);
}

int locus_ome_parse(const char *text, size_t n, ome_meta *m, char *why, size_t why_n)
{
    memset(m, 0, sizeof *m);
    m->samples = 1;
    if (why_n)
        why[0] = '\0';
    const char *nul = text ? memchr(text, '\0', n) : NULL;
    if (nul)
        n = (size_t)(nul - text); /* a description ends at its first NUL */
    if (!text || n == 0)
        return 1;
    if (n > META_MAX_XML) {
        snprintf(why, why_n, "OME-XML of %zu bytes is too large (at most %zu)", n, META_MAX_XML);
        return LOCUS_E_UNSUPPORTED;
    }
    ome_parse p = {.m = m, .why = why, .why_n = why_n};
    /* slot 0 of the file table stands for the file holding the XML */
    if (!(m->files = calloc(1, sizeof *m->files)) || !(p.xp = XML_ParserCreateNS(NULL, '|'))) {
        locus_ome_free(m);
        snprintf(why, why_n, "out of memory");
        return LOCUS_E_NOMEM;
    }
    m->nfiles = 1;
    parse_run(&p, text, n);
    XML_ParserFree(p.xp);
    free(p.file_name);
    if (p.status || !p.is_ome) {
        locus_ome_free(m);
        m->samples = 1;
        return p.status ? p.status : 1;
    }
    return LOCUS_OK;
}

void locus_ome_free(ome_meta *m)
{
    for (size_t i = 1; i < m->nfiles; i++)
        free(m->files[i]);
    free(m->files);
    free(m->data);
    memset(m, 0, sizeof *m);
}

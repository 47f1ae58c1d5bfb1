/*
 * A locus_source as bytes and back: the frame list one process made,
 * for others (the ranks of an MPI job) to read the same frames without
 * listing directories or opening files again. Integers are written
 * little-endian, 8 bytes each; strings as length then bytes. Every read
 * is bounds-checked: a damaged message fails cleanly.
 */
#include "io/source.h"

#include <stdlib.h>
#include <string.h>

#define PACK_MAGIC "locus-source-2"

static int put_u64(locus_buffer *b, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    return locus_buffer_append(b, (const char *)le, 8);
}

static int put_str(locus_buffer *b, const char *s)
{
    uint64_t n = s ? strlen(s) + 1 : 0; /* 0: NULL */
    return put_u64(b, n) || (n && locus_buffer_append(b, s, (size_t)n - 1));
}

/* An error as its facts (0 for none); the sentence is rebuilt on arrival. */
static int put_error(locus_buffer *b, const locus_error *e)
{
    if (!e)
        return put_u64(b, 0);
    return put_u64(b, 1) || put_u64(b, (uint64_t)(int64_t)e->status) ||
           put_u64(b, (uint64_t)(int64_t)e->sys_errno) || put_u64(b, (uint64_t)e->has_frame) ||
           put_u64(b, (uint64_t)e->frame) || put_u64(b, (uint64_t)e->line) ||
           put_str(b, e->param) || put_str(b, e->other) || put_str(b, e->path) ||
           put_str(b, e->reason);
}

/* A TIFF's pages, with the frame map and the other files of its set. */
static int pack_pages(locus_buffer *b, const tiffio_pages *pg)
{
    if (put_u64(b, pg->npages) || put_u64(b, (uint64_t)pg->multi) ||
        put_u64(b, (uint64_t)pg->first_status) || put_error(b, pg->first_error) ||
        put_u64(b, pg->raw_from) || put_u64(b, (uint64_t)(int64_t)pg->page_channel) ||
        put_str(b, pg->layout))
        return -1;
    for (size_t p = 0; p < pg->npages; p++)
        if (put_u64(b, pg->offsets[p]))
            return -1;
    size_t nplanes = pg->planes ? pg->nframes * pg->depth : 0;
    if (put_u64(b, pg->planes ? 1 : 0) || put_u64(b, pg->nframes) || put_u64(b, pg->depth))
        return -1;
    for (size_t p = 0; p < nplanes; p++)
        if (put_u64(b, (uint64_t)pg->planes[p].file) || put_u64(b, pg->planes[p].page))
            return -1;
    if (put_u64(b, pg->nset))
        return -1;
    for (size_t i = 0; i < pg->nset; i++)
        if (put_str(b, pg->set[i].path) || pack_pages(b, &pg->set[i].pages))
            return -1;
    return 0;
}

/* A video's index: what its readers seek by. */
static int pack_video(locus_buffer *b, const videoio_index *v)
{
    size_t npts = v->pts ? v->nframes : 0;
    if (put_u64(b, (uint64_t)v->container) || put_u64(b, (uint64_t)v->stream) ||
        put_u64(b, v->nframes) || put_u64(b, (uint64_t)v->sequential) || put_u64(b, npts) ||
        put_u64(b, v->nkeys) || put_u64(b, v->hashes ? v->npackets : 0))
        return -1;
    for (size_t i = 0; i < npts; i++)
        if (put_u64(b, (uint64_t)v->pts[i]))
            return -1;
    for (uint64_t i = 0; v->hashes && i < v->npackets; i++)
        if (put_u64(b, v->hashes[i]))
            return -1;
    for (size_t i = 0; i < v->nkeys; i++) {
        const videoio_key *k = &v->keys[i];
        if (put_u64(b, (uint64_t)k->pts) || put_u64(b, (uint64_t)k->dts) ||
            put_u64(b, (uint64_t)k->pos) || put_u64(b, (uint64_t)k->size) || put_u64(b, k->hash) ||
            put_u64(b, k->dec))
            return -1;
    }
    return 0;
}

static int pack_file(locus_buffer *b, const source_file *f)
{
    if (put_str(b, f->path) || put_u64(b, (uint64_t)f->kind) || put_u64(b, f->first) ||
        put_u64(b, f->nframes) || put_u64(b, (uint64_t)f->status) || put_error(b, f->failure) ||
        put_u64(b, (uint64_t)f->problem) || put_error(b, f->problem_error))
        return -1;
    if (pack_pages(b, &f->pages))
        return -1;
    return pack_video(b, &f->video);
}

int locus_source_pack(const locus_source *src, locus_buffer *out)
{
    out->len = 0;
    if (locus_buffer_append(out, PACK_MAGIC, sizeof PACK_MAGIC) || put_u64(out, src->nfiles) ||
        put_u64(out, src->nframes) || put_u64(out, (uint64_t)(int64_t)src->opts.channel) ||
        put_u64(out, (uint64_t)src->opts.volume) || put_u64(out, (uint64_t)src->opts.luma) ||
        put_error(out, &src->first))
        return LOCUS_E_NOMEM;
    for (size_t i = 0; i < src->nfiles; i++)
        if (pack_file(out, &src->files[i]))
            return LOCUS_E_NOMEM;
    return LOCUS_OK;
}

typedef struct {
    const unsigned char *p, *end;
    int bad;
} reader;

static uint64_t get_u64(reader *r)
{
    if (r->bad || r->end - r->p < 8) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    return v;
}

/* A string (NULL when packed as such); sets r->bad on damage or no memory. */
static char *get_str(reader *r)
{
    uint64_t n = get_u64(r);
    if (r->bad || n == 0)
        return NULL;
    if ((uint64_t)(r->end - r->p) < n - 1) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->p, (size_t)n - 1);
    s[n - 1] = '\0';
    r->p += n - 1;
    return s;
}

/* Copy a packed string into an array, failing on one that does not fit. */
static void get_into(reader *r, char *dst, size_t n)
{
    char *s = get_str(r);
    if (s && strlen(s) >= n)
        r->bad = 1;
    snprintf(dst, n, "%s", s && !r->bad ? s : "");
    free(s);
}

/* An error packed by put_error into *e; returns whether there was one. */
static int get_error_into(reader *r, locus_error *e)
{
    memset(e, 0, sizeof *e);
    uint64_t present = get_u64(r);
    if (r->bad || present == 0)
        return 0;
    if (present != 1) {
        r->bad = 1;
        return 0;
    }
    e->status = (int)(int64_t)get_u64(r);
    e->sys_errno = (int)(int64_t)get_u64(r);
    e->has_frame = get_u64(r) != 0;
    e->frame = (long long)get_u64(r);
    e->line = (long long)get_u64(r);
    get_into(r, e->param, sizeof e->param);
    get_into(r, e->other, sizeof e->other);
    get_into(r, e->path, sizeof e->path);
    get_into(r, e->reason, sizeof e->reason);
    locus_error_compose(e);
    return !r->bad;
}

/* The same, kept on the heap (NULL when there was none). */
static locus_error *get_error(reader *r)
{
    locus_error e;
    if (!get_error_into(r, &e))
        return NULL;
    locus_error *k = locus_error_keep(&e);
    if (!k)
        r->bad = 1;
    return k;
}

/* n items of `each` packed bytes can still be in the message. */
static int room_for(const reader *r, uint64_t n, size_t each)
{
    return !r->bad && n <= (uint64_t)(r->end - r->p) / each;
}

static void unpack_planes(reader *r, tiffio_pages *pg)
{
    int has = (int)get_u64(r);
    pg->nframes = (size_t)get_u64(r);
    pg->depth = (size_t)get_u64(r);
    uint64_t n = has ? (uint64_t)pg->nframes * pg->depth : 0;
    if (!has || !pg->depth || pg->nframes > SIZE_MAX / pg->depth || !room_for(r, n, 16) ||
        !(pg->planes = malloc(n ? (size_t)n * sizeof *pg->planes : 1))) {
        r->bad |= has != 0;
        pg->nframes = pg->depth = 0;
        return;
    }
    for (size_t p = 0; p < n; p++) {
        pg->planes[p].file = (size_t)get_u64(r);
        pg->planes[p].page = get_u64(r);
    }
}

static void unpack_pages(reader *r, tiffio_pages *pg, int level)
{
    pg->npages = (size_t)get_u64(r);
    pg->multi = (int)get_u64(r);
    pg->first_status = (int)get_u64(r);
    pg->first_error = get_error(r);
    pg->raw_from = (size_t)get_u64(r);
    pg->page_channel = (int)(int64_t)get_u64(r);
    pg->layout = get_str(r);
    if (!room_for(r, pg->npages, 8) ||
        (pg->npages && !(pg->offsets = malloc(pg->npages * sizeof(uint64_t))))) {
        r->bad = 1;
        pg->npages = 0;
        return;
    }
    for (size_t p = 0; p < pg->npages; p++)
        pg->offsets[p] = get_u64(r);
    unpack_planes(r, pg);
    uint64_t nset = get_u64(r);
    /* a set's files have no sets of their own */
    if (nset &&
        (level > 0 || !room_for(r, nset, 8) || !(pg->set = calloc(nset, sizeof *pg->set)))) {
        r->bad = 1;
        return;
    }
    for (; pg->nset < nset && !r->bad; pg->nset++) {
        pg->set[pg->nset].path = get_str(r);
        unpack_pages(r, &pg->set[pg->nset].pages, level + 1);
        r->bad |= !pg->set[pg->nset].path;
    }
    /* every plane must name a file that is there, or be missing */
    for (size_t p = 0; pg->planes && p < pg->nframes * pg->depth; p++)
        r->bad |= pg->planes[p].file != TIFFIO_MISSING && pg->planes[p].file > pg->nset;
}

/* Arrays of n records of `words` u64 each must fit in what is left. */
static int fits(const reader *r, uint64_t n, size_t words)
{
    return !r->bad && n <= (uint64_t)(r->end - r->p) / (8 * words);
}

static void unpack_video(reader *r, videoio_index *v)
{
    v->container = (int)get_u64(r);
    v->stream = (int)get_u64(r);
    v->nframes = (size_t)get_u64(r);
    v->sequential = (int)get_u64(r);
    uint64_t npts = get_u64(r), nkeys = get_u64(r), npackets = get_u64(r);
    if (!fits(r, npts, 1) || (npts && npts != v->nframes) ||
        (npts && !(v->pts = malloc((size_t)npts * sizeof *v->pts)))) {
        r->bad = 1;
        return;
    }
    for (size_t i = 0; i < npts; i++)
        v->pts[i] = (int64_t)get_u64(r);
    if (!fits(r, npackets, 1) ||
        (npackets && !(v->hashes = malloc((size_t)npackets * sizeof *v->hashes)))) {
        r->bad = 1;
        return;
    }
    v->npackets = npackets;
    for (uint64_t i = 0; i < npackets; i++)
        v->hashes[i] = get_u64(r);
    if (!fits(r, nkeys, 6) || (nkeys && !(v->keys = malloc((size_t)nkeys * sizeof *v->keys)))) {
        r->bad = 1;
        return;
    }
    v->nkeys = (size_t)nkeys;
    for (size_t i = 0; i < v->nkeys; i++) {
        videoio_key *k = &v->keys[i];
        k->pts = (int64_t)get_u64(r);
        k->dts = (int64_t)get_u64(r);
        k->pos = (int64_t)get_u64(r);
        k->size = (int64_t)get_u64(r);
        k->hash = get_u64(r);
        k->dec = get_u64(r);
    }
}

static void unpack_file(reader *r, source_file *f)
{
    f->path = get_str(r);
    f->kind = (int)get_u64(r);
    f->first = (size_t)get_u64(r);
    f->nframes = (size_t)get_u64(r);
    f->status = (int)get_u64(r);
    f->failure = get_error(r);
    f->problem = (int)get_u64(r);
    f->problem_error = get_error(r);
    if (r->bad || !f->path) {
        r->bad = 1;
        return;
    }
    unpack_pages(r, &f->pages, 0);
    unpack_video(r, &f->video);
    /* a video's frames must be those its index names */
    if (f->kind == SOURCE_VIDEO && !f->video.sequential && f->nframes && !f->video.pts)
        r->bad = 1;
    if (f->kind == SOURCE_VIDEO && f->nframes != f->video.nframes)
        r->bad = 1;
}

int locus_source_unpack(locus_source **out, const void *data, size_t len, locus_error *err)
{
    reader r = {data, (const unsigned char *)data + len, 0};
    *out = NULL;
    if (len < sizeof PACK_MAGIC || memcmp(data, PACK_MAGIC, sizeof PACK_MAGIC))
        return locus_error_set(err, LOCUS_E_FORMAT, "not a packed locus source");
    r.p += sizeof PACK_MAGIC;
    locus_source *src = calloc(1, sizeof *src);
    if (!src)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    uint64_t nfiles = get_u64(&r);
    src->nframes = (size_t)get_u64(&r);
    src->opts.channel = (int)(int64_t)get_u64(&r);
    src->opts.volume = (int)get_u64(&r);
    src->opts.luma = (int)get_u64(&r);
    get_error_into(&r, &src->first);
    if (!r.bad && nfiles <= (uint64_t)(r.end - r.p) / 8 &&
        (src->files = calloc(nfiles ? (size_t)nfiles : 1, sizeof *src->files)))
        for (; src->nfiles < nfiles && !r.bad; src->nfiles++)
            unpack_file(&r, &src->files[src->nfiles]);
    else
        r.bad = 1;
    /* the frames must add up, or reads would run off the file table */
    size_t frames = 0;
    for (size_t i = 0; i < src->nfiles && !r.bad; i++) {
        const source_file *f = &src->files[i];
        if (f->first != frames)
            r.bad = 1;
        frames += f->nframes + (f->status != LOCUS_OK);
    }
    if (r.bad || r.p != r.end || frames != src->nframes) {
        locus_source_free(src);
        return locus_error_set(err, LOCUS_E_FORMAT, "damaged packed locus source");
    }
    src->cap = src->nfiles;
    *out = src;
    return LOCUS_OK;
}

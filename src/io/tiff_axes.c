/*
 * From a stack's axis metadata to frames. The rules (docs/FORMATS.md):
 *
 *   - C (channels): a stack with more than one channel plane per (t, z)
 *     needs a channel; it is never read as interleaved frames.
 *   - Z, without volume: frames are the (t, z) pairs, t-major — the
 *     order of the pages of one channel in the file, so a stack without
 *     channels reads exactly as any multi-page TIFF.
 *   - Z, with volume: one 3-D frame of the z slices per t; a stack whose
 *     metadata says it has one slice is refused (its pages are times or
 *     channels, not depths).
 *
 * A stack without channels (and a volume of every page) keeps the plain
 * page-per-frame layout: pages->planes stays NULL.
 */
#include "io/tiff_meta.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void locus_tiffio_axes_read(const char *desc, size_t n, tiffio_axes *ax)
{
    memset(ax, 0, sizeof *ax);
    ax->ome.samples = 1;
    if (!desc || n == 0)
        return;
    if (locus_imagej_parse(desc, n, &ax->ij)) {
        ax->kind = AXES_IMAGEJ;
        return;
    }
    size_t i = 0;
    while (i < n && (desc[i] == ' ' || desc[i] == '\n' || desc[i] == '\r' || desc[i] == '\t'))
        i++;
    if (i == n || desc[i] != '<')
        return;
    int st = locus_ome_parse(desc + i, n - i, &ax->ome, ax->why, sizeof ax->why);
    if (st == 1)
        return; /* XML, but not OME's */
    ax->kind = AXES_OME;
    ax->status = st;
}

void locus_tiffio_axes_free(tiffio_axes *ax)
{
    locus_ome_free(&ax->ome);
}

/* Channel planes per (t, z) the metadata declares (1: none to choose). */
static uint64_t channel_planes(const tiffio_axes *ax)
{
    if (ax->kind == AXES_IMAGEJ)
        return locus_imagej_consistent(&ax->ij) ? ax->ij.channels : 1;
    if (ax->kind == AXES_OME && !ax->status && !ax->ome.binary_only)
        return ax->ome.size_c / ax->ome.samples;
    return 1;
}

int locus_tiffio_axes_page_channel(const tiffio_axes *ax, int channel)
{
    return channel_planes(ax) > 1 ? -1 : channel;
}

/* ------------------------------------------------------------------ */
/* Choosing the channel and laying out frames                          */
/* ------------------------------------------------------------------ */

/* Sizes and names of a stack's axes, slowest first, for the plane map. */
typedef struct {
    uint64_t nt, nz, nc;
    char label[64]; /* "ImageJ hyperstack TZCYX" */
} stack_dims;

static void add_axis(char *s, size_t n, char axis, uint64_t size)
{
    size_t k = strlen(s);
    if (size > 1 && k + 1 < n) {
        s[k] = axis;
        s[k + 1] = '\0';
    }
}

/* Axes in array order (slowest first), those of size 1 left out. */
static void make_label(stack_dims *d, const char *kind, const char *slow_to_fast)
{
    char axes[8] = "";
    for (const char *a = slow_to_fast; *a; a++)
        add_axis(axes, sizeof axes, *a, *a == 'T' ? d->nt : *a == 'Z' ? d->nz : d->nc);
    snprintf(d->label, sizeof d->label, "%s %sYX", kind, axes);
}

static int choose_channel(const stack_dims *d, int channel, const char *path, locus_error *err)
{
    if (d->nc > 1 && channel < 0) {
        locus_imageio_fail(err, LOCUS_E_CHANNEL, path, "",
                           "%llu channels (%s); choose one with " LOCUS_ERROR_OTHER " (0 to %llu)",
                           (unsigned long long)d->nc, d->label, (unsigned long long)d->nc - 1);
        locus_error_name(err, NULL, "channel");
        return LOCUS_E_CHANNEL;
    }
    if (d->nc > 1 && (uint64_t)channel >= d->nc)
        return locus_imageio_fail(err, LOCUS_E_CHANNEL, path, "",
                                  "channel %d out of range (the %s has %llu channels)", channel,
                                  d->label, (unsigned long long)d->nc);
    return LOCUS_OK;
}

static int check_volume_axes(const stack_dims *d, int volume, const char *path, locus_error *err)
{
    if (volume && d->nz == 1)
        return locus_imageio_fail(err, LOCUS_E_SHAPE, path, "",
                                  "volume needs z slices, and this %s has 1 slice (%llu time "
                                  "point%s)",
                                  d->label, (unsigned long long)d->nt, d->nt == 1 ? "" : "s");
    return LOCUS_OK;
}

/* Room for the frame map: nt x nz planes of one channel. */
static int reserve_frames(tiffio_pages *pages, const stack_dims *d, int volume, const char *path,
                          locus_error *err)
{
    size_t n = size_mul((size_t)d->nt, (size_t)d->nz);
    pages->planes = n == SIZE_MAX ? NULL : malloc(size_mul(n, sizeof *pages->planes));
    if (!pages->planes)
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    pages->depth = volume ? (size_t)d->nz : 1;
    pages->nframes = volume ? (size_t)d->nt : n;
    pages->layout = strdup(d->label);
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* ImageJ                                                              */
/* ------------------------------------------------------------------ */

static int apply_imagej(const imagej_meta *ij, const char *path, int channel, int volume,
                        tiffio_pages *pages, locus_error *err)
{
    int consistent = locus_imagej_consistent(ij) && ij->images == pages->npages;
    if (!consistent && ij->channels > 1)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "ImageJ description of %llu channels x %llu slices x %llu "
                                  "frames, images=%llu, but the file has %zu pages: cannot tell "
                                  "the channels apart",
                                  (unsigned long long)ij->channels, (unsigned long long)ij->slices,
                                  (unsigned long long)ij->frames, (unsigned long long)ij->images,
                                  pages->npages);
    if (!consistent)
        return LOCUS_OK; /* as ImageJ does: a plain stack */
    stack_dims d = {ij->frames, ij->slices, ij->channels, ""};
    /* one channel: page order is frame order, and a volume of every page
     * is read as a plain TIFF's */
    if (d.nc == 1 && (!volume || d.nt == 1) && !(volume && d.nz == 1))
        return LOCUS_OK;
    make_label(&d, ij->hyperstack ? "ImageJ hyperstack" : "ImageJ stack", "TZC");
    int st = choose_channel(&d, channel, path, err);
    if (!st)
        st = check_volume_axes(&d, volume, path, err);
    if (!st)
        st = reserve_frames(pages, &d, volume, path, err);
    if (st)
        return st;
    uint64_t c = d.nc > 1 ? (uint64_t)channel : 0;
    size_t k = 0;
    for (uint64_t t = 0; t < d.nt; t++)
        for (uint64_t z = 0; z < d.nz; z++)
            pages->planes[k++] = (tiffio_plane){0, c + d.nc * (z + d.nz * t)};
    pages->page_channel = d.nc > 1 ? -1 : channel;
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* OME-TIFF                                                            */
/* ------------------------------------------------------------------ */

/* A FileName of a multi-file set: a relative path inside the directory
 * of the file holding the XML (nothing absolute, no "..").*/
static int name_is_safe(const char *name)
{
    if (name[0] == '/' || !name[0])
        return 0;
    for (const char *p = name; *p;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += n + (slash ? 1 : 0);
    }
    return 1;
}

static char *sibling_path(const char *path, const char *name)
{
    const char *slash = strrchr(path, '/');
    size_t d = slash ? (size_t)(slash - path) + 1 : 0, n = strlen(name);
    char *p = malloc(d + n + 1);
    if (p) {
        memcpy(p, path, d);
        memcpy(p + d, name, n + 1);
    }
    return p;
}

/* Whether two paths are one file (the XML may name its own file). */
static int same_file(const char *a, const char *b)
{
    char *ra = realpath(a, NULL), *rb = ra ? realpath(b, NULL) : NULL;
    int same = ra && rb && strcmp(ra, rb) == 0;
    free(ra);
    free(rb);
    return same;
}

/* Scan the files the XML names; which[i] is where XML file i went
 * (0: this file, k: pages->set[k - 1]). */
static int scan_set(const ome_meta *m, const char *path, int page_channel, int volume,
                    tiffio_pages *pages, size_t *which, locus_error *err)
{
    which[0] = 0;
    if (m->nfiles > 1 && !(pages->set = calloc(m->nfiles - 1, sizeof *pages->set)))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    for (size_t i = 1; i < m->nfiles; i++) {
        if (!name_is_safe(m->files[i]))
            return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                      "OME-XML names the file \"%.200s\", outside this file's "
                                      "directory",
                                      m->files[i]);
        char *p = sibling_path(path, m->files[i]);
        if (!p)
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
        if (same_file(p, path)) {
            free(p);
            which[i] = 0;
            continue;
        }
        tiffio_setfile *s = &pages->set[pages->nset++];
        s->path = p;
        which[i] = pages->nset;
        locus_error e;
        int st = locus_tiffio_scan_path(p, page_channel, volume, &s->pages, &e);
        if (st) /* named from the file the source lists */
            return locus_imageio_fail(err, st, path, "", "OME-TIFF set file %s", e.message);
    }
    return LOCUS_OK;
}

static const tiffio_pages *set_pages(const tiffio_pages *pages, size_t file)
{
    return file == 0 ? pages : &pages->set[file - 1].pages;
}

/* Every plane of the image (in DimensionOrder) → its file and IFD. */
static int plane_table(const ome_meta *m, const tiffio_pages *pages, const size_t *which,
                       tiffio_plane **out, const char *path, locus_error *err)
{
    uint64_t held = pages->npages;
    for (size_t i = 0; i < pages->nset; i++)
        held += pages->set[i].pages.npages;
    if (m->planes > held)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "OME-XML says %llu planes (SizeZ x SizeC x SizeT), but the "
                                  "file%s hold%s %llu pages",
                                  (unsigned long long)m->planes, pages->nset ? "s" : "",
                                  pages->nset ? "" : "s", (unsigned long long)held);
    tiffio_plane *tab = malloc(size_mul((size_t)m->planes, sizeof *tab));
    if (!tab)
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    for (uint64_t k = 0; k < m->planes; k++)
        tab[k] = (tiffio_plane){TIFFIO_MISSING, 0};
    for (uint64_t k = 0; m->ndata == 0 && k < m->planes && k < pages->npages; k++)
        tab[k] = (tiffio_plane){0, k};
    for (size_t i = 0; i < m->ndata; i++) {
        const ome_tiffdata *d = &m->data[i];
        size_t f = which[d->file];
        uint64_t np = set_pages(pages, f)->npages;
        uint64_t count = d->count != OME_ALL ? (uint64_t)d->count : d->ifd < np ? np - d->ifd : 0;
        for (uint64_t q = 0; q < count && d->first + q < m->planes && d->ifd + q < np; q++)
            tab[d->first + q] = (tiffio_plane){f, d->ifd + q};
    }
    *out = tab;
    return LOCUS_OK;
}

static int ome_dims(const ome_meta *m, stack_dims *d, const char *path, locus_error *err)
{
    *d = (stack_dims){m->size_t_, m->size_z, m->size_c / m->samples, ""};
    /* array order is DimensionOrder backwards: XYZCT is T, C, Z, Y, X */
    char slow[4] = {m->order[4], m->order[3], m->order[2], '\0'};
    make_label(d, "OME-TIFF", slow);
    if (d->nc > 1 && m->samples > 1)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "%llu channels of %llu samples each (%s) are not supported",
                                  (unsigned long long)d->nc, (unsigned long long)m->samples,
                                  d->label);
    return LOCUS_OK;
}

static int apply_ome(const ome_meta *m, const char *path, int channel, int volume,
                     tiffio_pages *pages, locus_error *err)
{
    if (m->binary_only)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "OME-TIFF whose metadata is in a separate file (BinaryOnly) "
                                  "is not supported");
    stack_dims d;
    int st = ome_dims(m, &d, path, err);
    if (!st)
        st = choose_channel(&d, channel, path, err);
    if (!st)
        st = check_volume_axes(&d, volume, path, err);
    if (st)
        return st;
    int page_channel = d.nc > 1 ? -1 : channel;
    size_t *which = calloc(m->nfiles, sizeof *which);
    tiffio_plane *tab = NULL;
    if (!which)
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    st = scan_set(m, path, page_channel, volume, pages, which, err);
    if (!st)
        st = plane_table(m, pages, which, &tab, path, err);
    if (!st)
        st = reserve_frames(pages, &d, volume, path, err);
    free(which);
    if (st) {
        free(tab);
        return st;
    }
    uint64_t c = d.nc > 1 ? (uint64_t)channel : 0;
    size_t k = 0;
    for (uint64_t t = 0; t < d.nt; t++)
        for (uint64_t z = 0; z < d.nz; z++)
            pages->planes[k++] = tab[locus_ome_plane_index(m, z, c, t)];
    free(tab);
    pages->page_channel = page_channel;
    return LOCUS_OK;
}

static const tiffio_problem *problem_of(const tiffio_pages *pg, uint64_t page)
{
    size_t lo = 0, hi = pg->nproblems; /* in page order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pg->problems[mid].page < page)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < pg->nproblems && pg->problems[lo].page == page ? &pg->problems[lo] : NULL;
}

/* What opening reports: the first problem among the pages the frames use
 * (another channel's page may be the file's first bad one). */
static void first_used_problem(tiffio_pages *pg)
{
    if (!pg->planes || !pg->first_status)
        return;
    free(pg->first_error);
    pg->first_error = NULL;
    pg->first_status = 0;
    for (size_t i = 0; i < pg->nframes * pg->depth; i++) {
        const tiffio_problem *p =
            pg->planes[i].file == 0 ? problem_of(pg, pg->planes[i].page) : NULL;
        if (p) {
            pg->first_status = p->status;
            pg->first_error = p->error ? locus_error_keep(p->error) : NULL;
            return;
        }
    }
}

int locus_tiffio_axes_apply(const tiffio_axes *ax, const char *path, int channel, int volume,
                            tiffio_pages *pages, locus_error *err)
{
    pages->page_channel = channel;
    int st = LOCUS_OK;
    if (ax->status)
        return locus_imageio_fail(err, ax->status, path, "", "unusable OME-XML metadata (%s)",
                                  ax->why);
    if (ax->kind == AXES_IMAGEJ)
        st = apply_imagej(&ax->ij, path, channel, volume, pages, err);
    else if (ax->kind == AXES_OME)
        st = apply_ome(&ax->ome, path, channel, volume, pages, err);
    if (!st)
        first_used_problem(pages);
    return st;
}

/* ------------------------------------------------------------------ */
/* Frames of a scanned file                                            */
/* ------------------------------------------------------------------ */

size_t locus_tiffio_frames(const tiffio_pages *pages, int volume)
{
    if (pages->planes)
        return pages->nframes;
    return volume ? 1 : pages->npages;
}

int locus_tiffio_frame_page(const tiffio_pages *pages, const char *path, size_t k,
                            const char **file, uint64_t *page)
{
    *file = path;
    *page = k;
    if (!pages->planes)
        return 0;
    const tiffio_plane *p = &pages->planes[k * pages->depth];
    if (p->file == TIFFIO_MISSING)
        return -1;
    *file = p->file ? pages->set[p->file - 1].path : path;
    *page = p->page;
    return 0;
}

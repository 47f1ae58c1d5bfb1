/*
 * libFuzzer harness for the ImageJ description parser
 * (src/io/imagej_meta.c) and what src/io/tiff_axes.c makes of it.
 *
 * The input is: one byte of options (channel in its low 3 bits, minus
 * one; volume in bit 3), then the description. It is parsed on its own,
 * and when the axes agree with a page count the harness can afford
 * (images <= 65536) they are applied to that many pages, as a TIFF of
 * those pages would have them. Checked: a consistent description
 * multiplies out to its images; every plane of the frame map is a page
 * of the file, of the chosen channel, each once; frames x depth covers
 * one channel's planes; a failure is a one-line message naming the path.
 */
#include "common.h"
#include "io/tiff_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const imagej_meta *m)
{
    if (!m->channels || !m->slices || !m->frames)
        fuzz_fail("an axis of size 0");
    if (m->channels > META_MAX_PLANES || m->slices > META_MAX_PLANES ||
        m->frames > META_MAX_PLANES || m->images > META_MAX_PLANES)
        fuzz_fail("a count over the limit");
    if (locus_imagej_consistent(m) && m->channels * m->slices * m->frames != m->images)
        fuzz_fail("consistent, but %llu x %llu x %llu != %llu", (unsigned long long)m->channels,
                  (unsigned long long)m->slices, (unsigned long long)m->frames,
                  (unsigned long long)m->images);
}

/* The frame map against the axes: every page of one channel, once. */
static void check_map(const tiffio_pages *pg, const imagej_meta *m, int channel, int volume)
{
    if (!pg->planes)
        return;
    size_t n = pg->nframes * pg->depth;
    if (n != m->images / m->channels)
        fuzz_fail("%zu planes mapped for %llu images of %llu channels", n,
                  (unsigned long long)m->images, (unsigned long long)m->channels);
    if (volume && (pg->depth != m->slices || pg->nframes != m->frames))
        fuzz_fail("volume: %zu frames of depth %zu", pg->nframes, pg->depth);
    unsigned char *seen = calloc(pg->npages ? pg->npages : 1, 1);
    for (size_t i = 0; i < n; i++) {
        const tiffio_plane *p = &pg->planes[i];
        if (p->file != 0 || p->page >= pg->npages)
            fuzz_fail("plane %zu is page %llu of file %zu", i, (unsigned long long)p->page,
                      p->file);
        if (m->channels > 1 && p->page % m->channels != (uint64_t)channel)
            fuzz_fail("plane %zu (page %llu) is not of channel %d", i, (unsigned long long)p->page,
                      channel);
        if (seen[p->page]++)
            fuzz_fail("page %llu mapped twice", (unsigned long long)p->page);
    }
    free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int channel = (data[0] & 7) - 1, volume = (data[0] >> 3) & 1;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    imagej_meta m;
    if (!locus_imagej_parse(text, n, &m))
        return 0;
    check_parse(&m);
    tiffio_axes ax;
    locus_tiffio_axes_read(text, n, &ax);
    if (ax.kind != AXES_IMAGEJ)
        fuzz_fail("an ImageJ description read as kind %d", ax.kind);
    uint64_t pages = m.images && m.images <= 65536 ? m.images : 3;
    tiffio_pages pg;
    memset(&pg, 0, sizeof pg);
    pg.npages = (size_t)pages;
    locus_error err;
    int st = locus_tiffio_axes_apply(&ax, "input.tif", channel, volume, &pg, &err);
    if (st) {
        fuzz_check_error(st, &err, "input.tif", "apply");
        if (pg.planes)
            fuzz_fail("a failure left a frame map");
    } else {
        check_map(&pg, &m, channel, volume);
    }
    free(pg.planes);
    free(pg.layout);
    locus_tiffio_axes_free(&ax);
    return 0;
}

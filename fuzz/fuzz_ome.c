/*
 * libFuzzer harness for the OME-XML parser (src/io/ome_meta.c, expat)
 * and what src/io/tiff_axes.c makes of it.
 *
 * The input is: one byte of options (channel in its low 3 bits, minus
 * one; volume in bit 3), then the XML. Checked on every parse: a status
 * the parser documents, with a reason when it fails and nothing left
 * allocated; on success the sizes multiply out to the planes within the
 * limit, every TiffData lies inside them and names a file of the table,
 * whose slot 0 is this file. The axes are then applied to a file of
 * min(planes, 4096) pages (other files of a set do not exist, so their
 * scan fails cleanly): every mapped plane is a page of this file or
 * missing, and frames x depth are one channel's planes.
 */
#include "common.h"
#include "io/tiff_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_meta(const ome_meta *m)
{
    if (m->binary_only)
        return;
    if (!m->size_z || !m->size_c || !m->size_t_ || !m->samples || m->size_c % m->samples)
        fuzz_fail("sizes %llu %llu %llu, samples %llu", (unsigned long long)m->size_z,
                  (unsigned long long)m->size_c, (unsigned long long)m->size_t_,
                  (unsigned long long)m->samples);
    if (m->planes != m->size_z * (m->size_c / m->samples) * m->size_t_ ||
        m->planes > META_MAX_PLANES)
        fuzz_fail("planes %llu", (unsigned long long)m->planes);
    if (!m->files || m->nfiles < 1 || m->files[0])
        fuzz_fail("the file table has no slot for this file");
    for (size_t i = 0; i < m->ndata; i++) {
        const ome_tiffdata *d = &m->data[i];
        if (d->first >= m->planes || d->file >= m->nfiles)
            fuzz_fail("TiffData %zu: first %llu of %llu planes, file %zu of %zu", i,
                      (unsigned long long)d->first, (unsigned long long)m->planes, d->file,
                      m->nfiles);
        if (d->count != OME_ALL && (d->count < 0 || (uint64_t)d->count > m->planes - d->first))
            fuzz_fail("TiffData %zu: count %lld", i, (long long)d->count);
        if (locus_ome_plane_index(m, d->fz, d->fc, d->ft) != d->first)
            fuzz_fail("TiffData %zu: plane index changed", i);
    }
}

static void check_map(const tiffio_pages *pg, const ome_meta *m, int volume)
{
    if (!pg->planes)
        fuzz_fail("an OME-TIFF applied without a frame map");
    size_t n = pg->nframes * pg->depth;
    if (n != m->size_z * m->size_t_ || (volume && pg->depth != m->size_z))
        fuzz_fail("%zu planes mapped (%zu x %zu)", n, pg->nframes, pg->depth);
    for (size_t i = 0; i < n; i++)
        if (pg->planes[i].file != TIFFIO_MISSING &&
            (pg->planes[i].file != 0 || pg->planes[i].page >= pg->npages))
            fuzz_fail("plane %zu is page %llu of file %zu", i,
                      (unsigned long long)pg->planes[i].page, pg->planes[i].file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int channel = (data[0] & 7) - 1, volume = (data[0] >> 3) & 1;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    ome_meta m;
    char why[256];
    int st = locus_ome_parse(text, n, &m, why, sizeof why);
    if (st != 0 && st != 1 && st != LOCUS_E_FORMAT && st != LOCUS_E_UNSUPPORTED &&
        st != LOCUS_E_NOMEM)
        fuzz_fail("status %d", st);
    if (st && (m.data || m.files || m.ndata || m.nfiles))
        fuzz_fail("status %d left memory or counts behind", st);
    if (st > 1 && (!why[0] || strchr(why, '\n')))
        fuzz_fail("status %d without a one-line reason: \"%s\"", st, why);
    if (st == 0)
        check_meta(&m);
    uint64_t planes = m.planes;
    locus_ome_free(&m);
    if (st != 0)
        return 0;
    tiffio_axes ax;
    locus_tiffio_axes_read(text, n, &ax);
    if (ax.kind != AXES_OME || ax.status)
        fuzz_fail("parsed alone, but not as a description (kind %d, status %d)", ax.kind,
                  ax.status);
    tiffio_pages pg;
    memset(&pg, 0, sizeof pg);
    pg.npages = (size_t)(planes < 4096 ? planes : 4096);
    locus_error err;
    const char *path = fuzz_file(0, "input.ome.tif");
    st = locus_tiffio_axes_apply(&ax, path, channel, volume, &pg, &err);
    if (st)
        fuzz_check_error(st, &err, path, "apply");
    else
        check_map(&pg, &ax.ome, volume);
    locus_tiffio_pages_free(&pg);
    locus_tiffio_axes_free(&ax);
    return 0;
}

/*
 * What a TIFF stack's metadata says about its axes: ImageJ hyperstack
 * descriptions and OME-XML. The parsers are pure functions (a string in,
 * a description out) so that they can be tested and fuzzed on their own;
 * src/io/tiff_axes.c turns a description and the pages found in the
 * files into frames. Internal; not part of the public API.
 */
#ifndef LOCUS_TIFF_META_H
#define LOCUS_TIFF_META_H

#include "io/imageio.h"

#include <stddef.h>
#include <stdint.h>

/* No axis of a stack may claim more planes than this; also bounds every
 * product of axis sizes, so none can overflow. */
#define META_MAX_PLANES ((uint64_t)1 << 32)
/* An OME-XML description longer than this is refused unparsed. */
#define META_MAX_XML ((size_t)64 << 20)
/* At most this many TiffData elements and distinct files in one set. */
#define META_MAX_TIFFDATA 1000000
#define META_MAX_FILES 10000

/* ------------------------------------------------------------------ */
/* ImageJ                                                              */
/* ------------------------------------------------------------------ */

/* The numbers of an ImageJ description ("ImageJ=1.53t\nimages=60\n..."). */
typedef struct {
    uint64_t images;   /* images=, 0 when absent */
    uint64_t channels; /* channels=, slices=, frames=: 1 when absent */
    uint64_t slices;
    uint64_t frames;
    int hyperstack; /* hyperstack=true */
} imagej_meta;

/*
 * Parse an ImageJ description of n bytes (it need not be NUL-terminated).
 * Returns 1 and fills m when the text is an ImageJ description (it
 * starts "ImageJ="), else 0. Values that are not numbers, are 0 or are
 * over META_MAX_PLANES are taken as absent, as ImageJ itself ignores them.
 */
int locus_imagej_parse(const char *text, size_t n, imagej_meta *m);

/*
 * Whether channels x slices x frames = images: only then does ImageJ
 * itself take the axes as given (otherwise it opens a plain stack).
 */
int locus_imagej_consistent(const imagej_meta *m);

/* ------------------------------------------------------------------ */
/* OME-XML                                                             */
/* ------------------------------------------------------------------ */

enum { OME_ALL = -1 }; /* TiffData PlaneCount absent without IFD: every IFD */

/* One TiffData element: `count` IFDs from `ifd` of file `file` hold the
 * planes from plane index `first` on (in DimensionOrder). */
typedef struct {
    uint64_t first;      /* linear plane index of (FirstZ, FirstC, FirstT) */
    uint64_t fz, fc, ft; /* FirstZ, FirstC, FirstT */
    uint64_t ifd;
    int64_t count; /* or OME_ALL */
    size_t file;   /* index into ome_meta.files; 0: the file holding the XML */
} ome_tiffdata;

typedef struct {
    uint64_t size_z, size_c, size_t_; /* SizeZ, SizeC, SizeT */
    uint64_t size_x, size_y;
    uint64_t samples;   /* samples per pixel of a channel (Channel SamplesPerPixel) */
    char order[6];      /* DimensionOrder, e.g. "XYZCT" */
    uint64_t planes;    /* SizeZ x (SizeC / samples) x SizeT */
    size_t images;      /* Image elements in the document (only the first is read) */
    ome_tiffdata *data; /* the first Image's TiffData elements */
    size_t ndata;       /* 0: planes are the IFDs in order */
    char **files;       /* files[0] is NULL (this file); others as FileName gives them */
    size_t nfiles;
    int binary_only; /* a BinaryOnly element: the metadata is in another file */
} ome_meta;

/*
 * Parse OME-XML (n bytes, need not be NUL-terminated) with expat.
 * Returns 0 with m filled (free it with locus_ome_free), 1 when the text
 * is not OME-XML (no OME root element), or LOCUS_E_FORMAT /
 * LOCUS_E_UNSUPPORTED / LOCUS_E_NOMEM with the reason in why (why_n
 * bytes; no path).
 */
int locus_ome_parse(const char *text, size_t n, ome_meta *m, char *why, size_t why_n);
void locus_ome_free(ome_meta *m);

/* The linear plane index of (z, c, t) for a DimensionOrder, with c counted
 * in planes (SizeC / samples of them); sizes as in m. */
uint64_t locus_ome_plane_index(const ome_meta *m, uint64_t z, uint64_t c, uint64_t t);

/* ------------------------------------------------------------------ */
/* Axes → frames (src/io/tiff_axes.c)                                   */
/* ------------------------------------------------------------------ */

enum { AXES_NONE, AXES_IMAGEJ, AXES_OME };

/* What the first page's description says, parsed once per file. */
typedef struct {
    int kind;
    imagej_meta ij;
    ome_meta ome;
    int status; /* a description that cannot be used (corrupt OME-XML...) */
    char why[256];
} tiffio_axes;

/* Parse a description (n bytes; NULL: none). Never fails: a bad one is
 * kept in ax->status, reported by locus_tiffio_axes_apply. */
void locus_tiffio_axes_read(const char *desc, size_t n, tiffio_axes *ax);
void locus_tiffio_axes_free(tiffio_axes *ax);

/* The channel to check pages with while scanning: -1 when the axes make
 * the channels separate planes, else channel. */
int locus_tiffio_axes_page_channel(const tiffio_axes *ax, int channel);

/*
 * Apply the axes to the pages scanned from path: fill pages->planes,
 * nframes, depth and page_channel, scanning the other files of a
 * multi-file OME set. 0, or a file-level failure (a stack with channels
 * and no channel chosen, metadata that contradicts the file...).
 */
int locus_tiffio_axes_apply(const tiffio_axes *ax, const char *path, int channel, int volume,
                            tiffio_pages *pages, locus_error *err);

#endif

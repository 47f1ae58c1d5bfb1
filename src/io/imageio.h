/*
 * The image file layer: PNG and TIFF decoding for locus_source, and the
 * writers used by the synthetic-movie generator and by annotation.
 * Internal; not part of the public API.
 *
 * Internal names use the prefixes pngio_, tiffio_ and source_ so that
 * nothing collides with libpng's png_* or libtiff's TIFF* symbols.
 */
#ifndef LOCUS_IMAGEIO_H
#define LOCUS_IMAGEIO_H

#include "common/internal.h"
#include "common/limits.h"

#include <stdint.h>
#include <sys/types.h>

/* Refuse images larger than this many pixels (or voxels), or than this
 * many bytes of decoded samples (common/limits.h says why). */
#define IMAGEIO_MAX_PIXELS LOCUS_LIMIT_FILE_PIXELS
#define IMAGEIO_MAX_BYTES LOCUS_LIMIT_FILE_BYTES

/* ------------------------------------------------------------------ */
/* Shared by the decoders                                              */
/* ------------------------------------------------------------------ */

/*
 * Format an error as "PATH: PREFIXREASON" (prefix may be "" or e.g.
 * "page 3: "), forced onto one line with no trailing period.
 */
int locus_imageio_fail(locus_error *err, int status, const char *path, const char *prefix,
                       const char *fmt, ...) LOCUS_PRINTF(5, 6);

/*
 * Check a decoded image's size (pixels or voxels, and bytes of `size`-byte
 * samples) against the limits above; 0, or LOCUS_E_SHAPE naming path.
 */
int locus_imageio_check_size(const char *path, const char *prefix, uint64_t pixels, size_t size,
                             locus_error *err);

/* How the samples of a pixel are to be understood. */
enum { IMAGEIO_GREY, IMAGEIO_GREY_ALPHA, IMAGEIO_RGB, IMAGEIO_RGBA, IMAGEIO_MULTI };

/*
 * The sample to extract for a requested channel (-1: none given) from
 * pixels of `samples` samples laid out as `layout`: 0 with *pick set,
 * or LOCUS_E_CHANNEL naming path.
 */
int locus_imageio_pick_channel(int channel, int samples, int layout, const char *path,
                               const char *prefix, int *pick, locus_error *err);

/* Copy sample `c` of every `n`-sample pixel in src into dst (size bytes each). */
void locus_imageio_extract(void *dst, const void *src, size_t count, int n, int c, size_t size);

typedef struct tiffio_handle tiffio_handle;
typedef struct videoio_handle videoio_handle;

/*
 * What tests and fuzzers observe and steer in a reader, kept apart from
 * its working state: nothing in the library reads these counters, and
 * png_no_fast only selects the reference decoder the PNG fuzzer compares
 * the fast path against (tests/io/test_imageio.c, fuzz/fuzz_png.c,
 * tests/io/test_video.c). Counting costs one increment per frame.
 */
typedef struct {
    unsigned long png_fast;       /* PNGs decoded by the libdeflate fast path */
    int png_no_fast;              /* 1: always decode PNG with libpng */
    unsigned long video_seeks;    /* keyframes sought to */
    unsigned long video_restarts; /* decodes from the start after a seek failed */
    unsigned long video_reopens;  /* keyframes reached by reading afresh after a seek missed */
} reader_probe;

/*
 * A reader's buffers. Every buffer only grows, so a warmed-up reader
 * decodes frame after frame of one size without allocating (libpng and
 * libtiff still set up their own small state for each file they open).
 */
struct locus_reader {
    void *pixels; /* the decoded frame handed to the caller */
    size_t pixels_cap;
    void *scratch; /* rows / strips / tiles before channel extraction */
    size_t scratch_cap;
    void *rows; /* row pointers for interlaced PNG */
    size_t rows_cap;
    void *io; /* a PNG file's bytes */
    size_t io_cap;
    void *inflater;        /* libdeflate decompressor for PNG, or NULL */
    tiffio_handle *tiff;   /* the cached open TIFF, or NULL */
    videoio_handle *video; /* the open video: demuxer, decoder, scaler; or NULL */
    reader_probe probe;    /* for tests and fuzzers only */
};

/* ------------------------------------------------------------------ */
/* PNG                                                                 */
/* ------------------------------------------------------------------ */

/* What a PNG's IHDR says. */
typedef struct {
    uint32_t width, height;
    int bit_depth, color_type, interlace;
} pngio_header;

/*
 * Parse and check the IHDR from the first bytes of a file (n of them);
 * 0, or LOCUS_E_FORMAT with the reason.
 */
int locus_pngio_parse_header(const unsigned char *bytes, size_t n, pngio_header *h,
                             const char *path, locus_error *err);

/*
 * Whether locus can decode this PNG with this channel: 0 with the sample
 * to extract in *pick (may be NULL), or the error.
 */
int locus_pngio_check(const pngio_header *h, int channel, const char *path, int *pick,
                      locus_error *err);

/* Whether a file of file_bytes bytes can hold the image; 0 or the error. */
int locus_pngio_check_file_size(const pngio_header *h, uint64_t file_bytes, const char *path,
                                locus_error *err);

/* Decode a PNG file's chosen channel into rd->pixels and describe it in img. */
int locus_pngio_read(const char *path, int channel, locus_reader *rd, locus_image *img,
                     locus_error *err);

/* Free what locus_pngio_read keeps in a reader (rd itself stays). */
void locus_pngio_release(locus_reader *rd);

/*
 * Write a 2-D grey uint8 or uint16 image (any strides), favouring speed
 * over size (zlib level 1). A file left incomplete by an error is removed.
 */
int locus_pngio_write(const char *path, const locus_image *img, locus_error *err);

/* Interleaved 8-bit RGB (rows packed, 3 * width bytes each) as a PNG in memory. */
int locus_pngio_encode_rgb8(locus_buffer *out, const uint8_t *rgb, size_t height, size_t width,
                            locus_error *err);

/* Write interleaved 8-bit RGB, rows packed (3 * width bytes each). */
int locus_pngio_write_rgb8(const char *path, const uint8_t *rgb, size_t height, size_t width,
                           locus_error *err);

/* ------------------------------------------------------------------ */
/* JPEG (src/io/jpeg_read.c)                                           */
/* ------------------------------------------------------------------ */

/*
 * Read the header of the JPEG open as fd, when a source opens: 0, with
 * in *problem what reading it with this channel will refuse (an
 * unsupported colour space, a colour image without a channel; status 0
 * if nothing), or a file-level failure (no JPEG header) in err.
 */
int locus_jpegio_scan(int fd, const char *path, int channel, locus_error *problem,
                      locus_error *err);

/* Decode a JPEG file's chosen channel into rd->pixels and describe it in img. */
int locus_jpegio_read(const char *path, int channel, locus_reader *rd, locus_image *img,
                      locus_error *err);

/* ------------------------------------------------------------------ */
/* TIFF                                                                */
/* ------------------------------------------------------------------ */

/* A plane of a stack: page `page` of file `file` (0: the file itself,
 * i: set[i - 1] of a multi-file OME-TIFF); TIFFIO_MISSING: in no file. */
typedef struct {
    size_t file;
    uint64_t page;
} tiffio_plane;

#define TIFFIO_MISSING ((size_t)-1)

typedef struct tiffio_setfile tiffio_setfile;

/* A page that cannot be decoded as found while scanning. */
typedef struct {
    size_t page;
    int status;
    locus_error *error; /* what it was (NULL: out of memory) */
} tiffio_problem;

/* The pages of one TIFF file, found when a source is opened. */
typedef struct {
    size_t npages;
    uint64_t *offsets;        /* each page's directory offset (for TIFFSetSubDirectory) */
    int multi;                /* the file has more than one directory: label pages in errors */
    int first_status;         /* the first page-level problem, e.g. an unsupported */
    locus_error *first_error; /* sample format (or NULL: out of memory) */
    /* ImageJ's stacks over 4 GiB have one directory, then the other pages
     * as raw data laid out like page 0: pages from raw_from on (0: none)
     * are that data, offsets[k] the byte where page k starts. */
    size_t raw_from;
    /* Frames as the file's axis metadata (ImageJ, OME) arranges them:
     * frame k is planes[k * depth ...] (depth z slices with volume, else
     * 1). planes NULL: no such metadata, page k is frame k (with volume,
     * all the pages are one frame), as for any multi-page TIFF. */
    tiffio_plane *planes;
    size_t nframes, depth;
    int page_channel;    /* the channel to take within a page (-1: grey pages) */
    tiffio_setfile *set; /* the other files of a multi-file OME-TIFF */
    size_t nset;
    char *layout;             /* e.g. "ImageJ hyperstack TZCYX" (for messages), or NULL */
    tiffio_problem *problems; /* while scanning: every page's problem, in page order */
    size_t nproblems;
} tiffio_pages;

struct tiffio_setfile {
    char *path;
    tiffio_pages pages;
};

/*
 * Read every directory of the TIFF file open as fd: page offsets into
 * pages, and a check of each page against channel (and, for a volume,
 * that all pages agree). Returns 0 with pages filled; on a file-level
 * failure returns its status with err set, and pages->npages holds the
 * pages before the failure (for a volume, 0).
 */
int locus_tiffio_scan(int fd, const char *path, int channel, int volume, tiffio_pages *pages,
                      locus_error *err);
void locus_tiffio_pages_free(tiffio_pages *pages);
void locus_tiffio_problems_free(tiffio_pages *pages);

/* Scan the file at path as locus_tiffio_scan does, but without reading
 * axis metadata (for the other files of a multi-file OME set). */
int locus_tiffio_scan_path(const char *path, int channel, int volume, tiffio_pages *pages,
                           locus_error *err);

/* Frames in a scanned file: pages->nframes with axis metadata, else its
 * pages (1 with volume). */
size_t locus_tiffio_frames(const tiffio_pages *pages, int volume);

/*
 * The file and page holding frame k (its first slice with volume), for
 * labelling it: *file is path or a set file's path; -1 when the frame's
 * plane is missing.
 */
int locus_tiffio_frame_page(const tiffio_pages *pages, const char *path, size_t k,
                            const char **file, uint64_t *page);

/* Reading axis metadata: src/io/tiff_meta.h. */

/*
 * Decode page `page` (or, with volume, every page as z slices) of a TIFF
 * file into rd->pixels, through the reader's cached open file.
 */
int locus_tiffio_read(const char *path, const tiffio_pages *pages, size_t page, int volume,
                      int channel, locus_reader *rd, locus_image *img, locus_error *err);

/*
 * libtiff on a file descriptor, with its error messages kept per handle:
 * TIFFOpenOptionsSetErrorHandlerExtR (libtiff >= 4.5) routes them to the
 * tiffio_io of the handle that raised them, so concurrent readers never
 * see each other's messages and libtiff's global handlers stay untouched.
 * The descriptor stays the caller's to close.
 */
typedef struct {
    const char *path;
    int fd;
    int io_errno;  /* the last failed read(2) or write(2) */
    char msg[256]; /* the first libtiff error since it was last cleared */
} tiffio_io;

struct tiff;
/* Open a TIFF on fd with libtiff's mode string; io->path (set by the
 * caller) names it, io->fd is set here. io must outlive the handle. */
struct tiff *locus_tiffio_client_open(int fd, const char *mode, tiffio_io *io);

/*
 * Decode every page of the (grey) TIFF open as fd, in order, handing each
 * to fn. The writer uses it to rewrite a file as BigTIFF.
 */
int locus_tiffio_each_page(int fd, const char *path,
                           int (*fn)(void *user, const locus_image *page, locus_error *err),
                           void *user, locus_error *err);

/* Close a reader's cached TIFF (NULL is fine). */
void locus_tiffio_handle_free(tiffio_handle *h);

/* Compression schemes for the TIFF writer. */
enum { TIFFIO_NONE = 0, TIFFIO_LZW, TIFFIO_DEFLATE, TIFFIO_PACKBITS };

typedef struct {
    int compression;         /* TIFFIO_NONE (default), _LZW, _DEFLATE, _PACKBITS */
    int predictor;           /* 0/1: none; 2: horizontal; 3: floating point (not with
                                big_endian on a little-endian host: libtiff 4.5 bug) */
    unsigned tile;           /* 0: strips; else square tiles of this edge (multiple of 16) */
    unsigned rows_per_strip; /* 0: libtiff's default (strips of about 8 KiB) */
    int big_endian;          /* write Motorola (MM) byte order */
    int bigtiff;             /* 1: BigTIFF from the start (else only when needed) */
    uint64_t classic_limit;  /* file size that forces BigTIFF; 0: just under 4 GiB */
} tiffio_options;

/* The defaults: uncompressed, striped, host byte order, classic TIFF. */
void locus_tiffio_options_init(tiffio_options *o);

/*
 * A multi-page TIFF writer. Each added 2-D image is one page, each 3-D
 * image one page per z slice; grey uint8/uint16/float32/float64. The file
 * is classic TIFF unless it would exceed 4 GiB, in which case it is
 * rewritten as BigTIFF as soon as that is known. Writes go to the path
 * directly; errors name it.
 */
typedef struct locus_tiff_writer tiffio_writer; /* locus.h's locus_tiff_writer */

int locus_tiffio_writer_open(tiffio_writer **w, const char *path, locus_error *err);
int locus_tiffio_writer_open_opts(tiffio_writer **w, const char *path, const tiffio_options *o,
                                  locus_error *err);
int locus_tiffio_writer_add(tiffio_writer *w, const locus_image *img, locus_error *err);
/* Finish the file and free w (also after a failed add). */
int locus_tiffio_writer_close(tiffio_writer *w, locus_error *err);
/* Whether the writer switched to (or started with) BigTIFF. */
int locus_tiffio_writer_is_bigtiff(const tiffio_writer *w);

/* ------------------------------------------------------------------ */
/* Video (libavformat, libavcodec, libswscale)                          */
/* ------------------------------------------------------------------ */

/* Refuse videos with more frames than this (or claiming more). */
#define IMAGEIO_MAX_FRAMES LOCUS_LIMIT_VIDEO_FRAMES

/* The containers locus reads, recognised by their first bytes. */
enum { VIDEOIO_NONE, VIDEOIO_AVI, VIDEOIO_MOV, VIDEOIO_MKV };

/* The container of a file from its first n bytes, or VIDEOIO_NONE. */
int locus_videoio_probe(const unsigned char *head, size_t n);

/* A place decoding can start from: a keyframe packet, in decode order. */
typedef struct {
    int64_t pts, dts, pos; /* as the demuxer gives them (AV_NOPTS_VALUE, -1: unknown) */
    int64_t size;          /* bytes */
    uint64_t hash;         /* of those bytes: a seek must land on this very packet */
    uint64_t dec;          /* its place among the stream's packets */
} videoio_key;

/* What opening a video finds: its frames and where decoding can start. */
typedef struct {
    int container;     /* VIDEOIO_AVI, _MOV or _MKV */
    int stream;        /* the video stream's index */
    size_t nframes;    /* frames that decoding the whole file gives */
    int sequential;    /* 1: timestamps cannot name frames; read by decoding from the start */
    int64_t *pts;      /* frame k's timestamp, ascending (NULL when sequential) */
    uint64_t npackets; /* the stream's packets, in decode order: */
    uint64_t *hashes;  /* a hash of each, to check what a reader reads (NULL when sequential) */
    size_t nkeys;      /* keyframes, ascending in decode order and in pts */
    videoio_key *keys;
    int first_status;         /* a problem every frame has (a colour video without a */
    locus_error *first_error; /* channel, say), or NULL (out of memory) */
} videoio_index;

/*
 * Index the video open as fd (container from locus_videoio_probe): demux
 * every packet of its first video stream without decoding, decode the
 * first frame, and check the frames against channel and luma. Returns 0
 * with ix filled; on a file-level failure returns its status with err
 * set, ix->nframes holding the frames before it.
 */
int locus_videoio_scan(int fd, const char *path, int container, int channel, int luma,
                       videoio_index *ix, locus_error *err);
void locus_videoio_index_free(videoio_index *ix);

/*
 * Decode frame `frame` of an indexed video into rd->pixels through the
 * reader's open video (opened, or continued from its last frame).
 */
int locus_videoio_read(const char *path, const videoio_index *ix, size_t frame, int channel,
                       int luma, locus_reader *rd, locus_image *img, locus_error *err);

/* Close a reader's open video (NULL is fine). */
void locus_videoio_handle_free(videoio_handle *h);

#endif

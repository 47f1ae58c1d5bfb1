/*
 * locus — fast, exact particle feature location (the Crocker–Grier method,
 * numerically identical to trackpy's `locate`).
 *
 * The public API, in pipeline order:
 *
 *   locus_params      what to look for (trackpy's parameters and defaults)
 *   locus_image       a 2-D or 3-D array of uint8/uint16/float32/float64
 *   locus_workspace   reusable per-thread scratch: kernels, masks and
 *                     buffers are planned once per parameter set and shape
 *                     and reused for every frame (cf. FFTW's plans)
 *   locus_locate()    one image in, one locus_table of features out
 *   locus_table       the result: named columns of doubles
 *
 * and around it: locus_source (image files → frames, PNG and TIFF),
 * locus_reader (per-thread decoder state), locus_batch() (many frames on
 * many threads, results delivered in frame order) and CSV output.
 *
 * Conventions: every function that can fail returns a locus_status (0 on
 * success) and, when given a locus_error, fills it with a one-line message
 * that names the file or parameter and the reason. There is no global
 * state: objects are independent, and distinct objects may be used from
 * distinct threads at the same time.
 */
#ifndef LOCUS_H
#define LOCUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LOCUS_API __attribute__((visibility("default")))
#else
#define LOCUS_API
#endif

#define LOCUS_VERSION_MAJOR 0
#define LOCUS_VERSION_MINOR 1
#define LOCUS_VERSION_PATCH 0
#define LOCUS_VERSION_STRING "0.1.0"

LOCUS_API const char *locus_version(void);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef enum {
    LOCUS_OK = 0,
    LOCUS_E_PARAM,       /* invalid parameter value or combination */
    LOCUS_E_NOMEM,       /* out of memory */
    LOCUS_E_IO,          /* file missing, unreadable or empty */
    LOCUS_E_FORMAT,      /* not an image locus reads, or corrupt/truncated */
    LOCUS_E_UNSUPPORTED, /* a valid image in a sample format locus does not handle */
    LOCUS_E_CHANNEL,     /* colour image without a channel, or channel out of range */
    LOCUS_E_SHAPE,       /* image too small, or pages of differing shape */
    LOCUS_E_INTERRUPTED, /* stopped on request (signal) */
    LOCUS_E_ABORTED,     /* a caller's callback asked to stop */
    LOCUS_E_SYSTEM,      /* thread or other operating-system failure */
    LOCUS_E_COUNT_
} locus_status;

/* Static description of a status code ("invalid parameter", ...). */
LOCUS_API const char *locus_strerror(int status);

#define LOCUS_ERROR_MAX 512

/* The detailed, one-line account of a failure. */
typedef struct {
    int status; /* a locus_status */
    char message[LOCUS_ERROR_MAX];
} locus_error;

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

typedef enum { LOCUS_U8 = 1, LOCUS_U16, LOCUS_F32, LOCUS_F64 } locus_dtype;

/* Name ("uint8", ...) and size in bytes of a pixel type; NULL/0 if invalid. */
LOCUS_API const char *locus_dtype_name(locus_dtype t);
LOCUS_API size_t locus_dtype_size(locus_dtype t);

/*
 * A borrowed view of pixel data. Axes are in array order: (y, x) for 2-D,
 * (z, y, x) for 3-D. Strides are in bytes and may be anything (negative,
 * non-contiguous); contiguous images are fastest.
 */
typedef struct {
    const void *data;
    locus_dtype dtype;
    int ndim;             /* 2 or 3 */
    size_t shape[3];      /* shape[0..ndim-1] */
    ptrdiff_t strides[3]; /* strides[0..ndim-1], in bytes */
} locus_image;

/* Fill strides for a C-contiguous image of the given dtype/ndim/shape. */
LOCUS_API void locus_image_set_contiguous(locus_image *img);

/* ------------------------------------------------------------------ */
/* Parameters (trackpy's names and defaults)                           */
/* ------------------------------------------------------------------ */

/*
 * Per-axis values hold either one value for every axis (count 1) or one
 * per axis in array order (count = ndim). A count of 0 means "default".
 */
typedef struct {
    double v[3];
    int count;
} locus_axes;

typedef struct {
    locus_axes diameter;       /* required: odd integers >= 3 */
    double minmass;            /* keep mass > minmass; default 0 */
    double maxsize;            /* keep size < maxsize; <= 0 or NaN: none */
    locus_axes separation;     /* default diameter + 1 */
    locus_axes noise_size;     /* Gaussian sigma; default 1 */
    locus_axes smoothing_size; /* boxcar width, odd; default diameter */
    double threshold;          /* NaN: default (1, or 1/255 for float images) */
    int invert;                /* default 0 */
    double percentile;         /* default 64 */
    long topn;                 /* < 0: none (default) */
    int preprocess;            /* default 1 */
    int max_iterations;        /* default 10; < 1 acts as 1 */
    int characterize;          /* default 1 */
} locus_params;

/* trackpy's defaults; diameter left unset (count 0). */
LOCUS_API void locus_params_init(locus_params *p);

/* Check p for an image of ndim axes (2 or 3). */
LOCUS_API int locus_params_check(const locus_params *p, int ndim, locus_error *err);

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

#define LOCUS_MAX_COLUMNS 14

/* A table of features: named columns of doubles (NaN where undefined). */
typedef struct locus_table locus_table;

LOCUS_API locus_table *locus_table_create(void);
LOCUS_API void locus_table_free(locus_table *t);
LOCUS_API size_t locus_table_rows(const locus_table *t);
LOCUS_API int locus_table_cols(const locus_table *t);
LOCUS_API const char *locus_table_name(const locus_table *t, int col);
LOCUS_API const double *locus_table_column(const locus_table *t, int col);
/* Index of the named column, or -1. */
LOCUS_API int locus_table_find(const locus_table *t, const char *name);
/* Nonzero when the last locate saw an image with no signal left after
 * preprocessing ("image is blank": no features, by definition). */
LOCUS_API int locus_table_blank(const locus_table *t);

/*
 * The column names locus_locate produces for these parameters and an
 * image of ndim axes (LOCATE.md §10), without the `frame` column.
 * Writes up to LOCUS_MAX_COLUMNS pointers to static strings; returns the
 * count, or -1 if the parameters are invalid for ndim.
 */
LOCUS_API int locus_columns(const locus_params *p, int ndim, const char **names);

/* ------------------------------------------------------------------ */
/* Locate                                                              */
/* ------------------------------------------------------------------ */

typedef struct locus_workspace locus_workspace;

LOCUS_API locus_workspace *locus_workspace_create(void);
LOCUS_API void locus_workspace_free(locus_workspace *ws);

/*
 * Find the features of one image. `out` is overwritten. The workspace
 * keeps its plan and buffers for the next call with the same parameters
 * and shape; use one workspace per thread.
 */
LOCUS_API int locus_locate(locus_workspace *ws, const locus_params *p, const locus_image *img,
                           locus_table *out, locus_error *err);

/* ------------------------------------------------------------------ */
/* CSV output                                                          */
/* ------------------------------------------------------------------ */

/*
 * Append the CSV header (column names, then "frame") or the rows of one
 * frame to a growable buffer. Numbers are written in the shortest form
 * that reads back as the same double; NaN as an empty field.
 */
typedef struct {
    char *data;
    size_t len, cap;
} locus_buffer;

LOCUS_API void locus_buffer_free(locus_buffer *b);
/* Append len bytes (the buffer stays NUL-terminated); 0 or LOCUS_E_NOMEM. */
LOCUS_API int locus_buffer_append(locus_buffer *b, const char *data, size_t len);
LOCUS_API int locus_csv_header(locus_buffer *b, const char *const *names, int ncols);
/* One number as the CSV has it, into buf (at least 32 bytes): the fewest
 * digits that read back as v, whole numbers without a decimal point, NaN
 * as an empty string. Returns the length. */
LOCUS_API int locus_format_double(char *buf, double v);
LOCUS_API int locus_csv_rows(locus_buffer *b, const locus_table *t, long frame);

/* ------------------------------------------------------------------ */
/* Image files                                                         */
/* ------------------------------------------------------------------ */

/* How files become frames. */
typedef struct {
    int channel; /* colour channel to use; -1: none (grey images only) */
    int volume;  /* 1: each multi-page TIFF is one 3-D frame */
    int luma;    /* 1: a YUV video's luma (Y) plane as stored, instead of a channel */
} locus_source_opts;

/*
 * The frames of a list of inputs: image files, glob patterns or
 * directories (their image files sorted by name). Frames are numbered
 * from 0 in input order; a multi-page TIFF gives one frame per page (or
 * one 3-D frame with opts->volume). Every file's header is read here;
 * a file that cannot be read becomes one frame whose reading fails, so
 * that a caller may choose to stop or to skip it (locus_source_check).
 */
typedef struct locus_source locus_source;

LOCUS_API int locus_source_open(locus_source **out, const char *const *inputs, size_t ninputs,
                                const locus_source_opts *opts, locus_error *err);
LOCUS_API void locus_source_free(locus_source *src);
LOCUS_API size_t locus_source_frames(const locus_source *src);
LOCUS_API size_t locus_source_files(const locus_source *src);
/* Number of axes of every frame (2, or 3 with opts->volume). */
LOCUS_API int locus_source_ndim(const locus_source *src);
/* The file holding a frame. */
LOCUS_API const char *locus_source_path(const locus_source *src, size_t frame);
/* The first problem found while opening — a file that cannot be read,
 * or whose header already shows it cannot be used (unsupported sample
 * format, a colour image without a channel) — as an error; LOCUS_OK if
 * none. Problems inside the pixel data show only when a frame is read. */
LOCUS_API int locus_source_check(const locus_source *src, locus_error *err);

/*
 * The frame list as bytes, for another process to read the same frames
 * without listing the inputs again (how locus-mpi shares rank 0's list).
 * Processes must see the same files at the same paths.
 */
LOCUS_API int locus_source_pack(const locus_source *src, locus_buffer *out);
LOCUS_API int locus_source_unpack(locus_source **out, const void *data, size_t len,
                                  locus_error *err);

/* Per-thread decoding state: pixel buffers and open files, reused. */
typedef struct locus_reader locus_reader;

LOCUS_API locus_reader *locus_reader_create(void);
LOCUS_API void locus_reader_free(locus_reader *rd);

/*
 * Decode one frame. The pixels belong to the reader and stay valid until
 * its next read. Distinct readers may read one source concurrently.
 */
LOCUS_API int locus_source_read(const locus_source *src, size_t frame, locus_reader *rd,
                                locus_image *img, locus_error *err);

/* ------------------------------------------------------------------ */
/* Batches: many frames, many threads, results in frame order          */
/* ------------------------------------------------------------------ */

/* Where a batch's frames come from. */
typedef struct {
    size_t nframes;
    void *user;
    /*
     * Produce frame i in *img. Called concurrently from worker threads;
     * *scratch is a per-worker slot (NULL at first) the callback may use
     * to keep buffers between calls. img must stay valid until the next
     * call with the same scratch.
     */
    int (*get)(void *user, size_t frame, void **scratch, locus_image *img, locus_error *err);
    /* Release a worker's scratch at the end (may be NULL). */
    void (*release)(void *user, void *scratch);
    /*
     * Optional: a label for frame i (its file, say) that prefixes errors
     * locating it, written into buf of size n.
     */
    void (*name)(void *user, size_t frame, char *buf, size_t n);
} locus_frames;

/* Frames read from a locus_source (a ready-made locus_frames). */
LOCUS_API locus_frames locus_source_frames_of(const locus_source *src);

/*
 * Some of the frames of another source: frame k is all's frame map[k],
 * or first + k without a map (for running part of a movie: a resumed
 * run, a chunk of an MPI job). `view` holds the mapping; it must outlive
 * the returned locus_frames.
 */
typedef struct {
    locus_frames all;
    const size_t *map;
    size_t first;
} locus_frames_view;

LOCUS_API locus_frames locus_frames_subset(locus_frames_view *view, const locus_frames *all,
                                           const size_t *map, size_t first, size_t n);

/*
 * Receives each frame's result in frame order, one call at a time.
 * On a frame that failed (only with skip_bad) t is NULL and err says why.
 * Return nonzero to stop the batch (locus_batch then returns LOCUS_E_ABORTED).
 */
typedef int (*locus_sink)(void *user, size_t frame, const locus_table *t, const locus_error *err);

typedef struct {
    int threads;              /* worker threads; 0: one per core */
    int skip_bad;             /* pass failed frames to the sink and go on */
    volatile const int *stop; /* polled; nonzero stops (LOCUS_E_INTERRUPTED) */
    /* Optional: called from some worker as frames complete. */
    void (*progress)(void *user, size_t done, size_t total);
    void *progress_user;
    /*
     * Optional: `threads` workspace pointers (threads must then be > 0)
     * that the caller keeps across batches. NULL entries are filled with
     * new workspaces, left for the caller to free; plans and buffers then
     * carry over from one batch to the next (locus-mpi runs one batch per
     * chunk of frames).
     */
    locus_workspace **workspaces;
} locus_batch_opts;

LOCUS_API void locus_batch_opts_init(locus_batch_opts *o);

/*
 * Locate every frame of `frames` with params, on opts->threads threads,
 * and hand the results to `sink` in frame order as soon as each is
 * complete. Memory is bounded by a small window of frames per thread.
 */
LOCUS_API int locus_batch(const locus_params *p, const locus_batch_opts *opts,
                          const locus_frames *frames, locus_sink sink, void *sink_user,
                          locus_error *err);

/* Number of online CPU cores. */
LOCUS_API int locus_cpu_count(void);

/* ------------------------------------------------------------------ */
/* Synthetic movies with known positions                               */
/* ------------------------------------------------------------------ */

typedef struct {
    int ndim;              /* 2 or 3 */
    size_t shape[3];       /* (y, x) or (z, y, x); default 384 x 512 */
    size_t frames;         /* default 10 */
    size_t particles;      /* per frame; default 200 */
    double sigma;          /* Gaussian spot sigma in pixels; default 1.5 */
    double snr;            /* peak amplitude / background noise; default 20 */
    int bit_depth;         /* 8 or 16; default 8 */
    double min_separation; /* least distance between centres in the first frame;
                              NaN (the default): 4 * sigma + 2 */
    double step;           /* random-walk step (std, px per axis) between frames; default 0.5 */
    uint64_t seed;         /* default 1 */
} locus_synth_params;

LOCUS_API void locus_synth_params_init(locus_synth_params *p);

/* A movie generator: frames are produced in order, reproducibly for a seed. */
typedef struct locus_synth locus_synth;

LOCUS_API int locus_synth_create(locus_synth **out, const locus_synth_params *p, locus_error *err);
LOCUS_API void locus_synth_free(locus_synth *s);
/*
 * Produce the next frame: pixels (uint8 or uint16, owned by the generator,
 * valid until the next call) and the true spot parameters, ntruth rows of
 * ndim + 1 doubles each: the position in array order, then the amplitude.
 * Returns LOCUS_E_PARAM after the last frame.
 */
LOCUS_API int locus_synth_next(locus_synth *s, locus_image *img, const double **truth,
                               size_t *ntruth, locus_error *err);

#ifdef __cplusplus
}
#endif
#endif /* LOCUS_H */

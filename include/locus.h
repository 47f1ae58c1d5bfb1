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
    LOCUS_E_OVERSIZE,    /* linking: a subnet larger than trackpy solves (oversize = RAISE) */
    LOCUS_E_COUNT_
} locus_status;

/* Static description of a status code ("invalid parameter", ...). */
LOCUS_API const char *locus_strerror(int status);

#define LOCUS_ERROR_MAX 512
#define LOCUS_ERROR_PATH_MAX 1024
#define LOCUS_ERROR_PARAM_MAX 32

/*
 * What went wrong, as facts a caller can act on, and the sentence built
 * from them. Switch on `status` (and `sys_errno`); name the parameter in
 * your own spelling with locus_error_describe; never parse `message`.
 */
typedef struct {
    int status;                        /* a locus_status */
    int sys_errno;                     /* errno of the failed system call, or 0 */
    int has_frame;                     /* `frame` is set */
    long long frame;                   /* the frame at fault (in the run's numbering) */
    long long line;                    /* the line of a text file at fault, from 1; 0: none */
    char param[LOCUS_ERROR_PARAM_MAX]; /* the parameter at fault ("noise_size"), or "" */
    char other[LOCUS_ERROR_PARAM_MAX]; /* a second parameter the reason is about, or "" */
    char path[LOCUS_ERROR_PATH_MAX];   /* the file (maybe "FILE: page N") at fault, or "" */
    char reason[LOCUS_ERROR_MAX];      /* what is wrong, without the facts above */
    char message[LOCUS_ERROR_MAX + LOCUS_ERROR_PATH_MAX]; /* "PATH[:LINE]: [PARAM ]REASON" */
} locus_error;

/*
 * The error's sentence with the parameters spelled by `spell` (NULL: as
 * the library names them, trackpy's names): a command line passes a
 * function that turns "noise_size" into "--noise-size". Writes at most n
 * bytes (NUL-terminated) to buf; returns buf.
 */
LOCUS_API const char *locus_error_describe(const locus_error *err,
                                           const char *(*spell)(const char *param, void *user),
                                           void *user, char *buf, size_t n);

/* ------------------------------------------------------------------ */
/* Images                                                              */
/* ------------------------------------------------------------------ */

/*
 * Pixel types. locate follows trackpy's rules for each (docs/ALGORITHM.md): the
 * integer types invert with v XOR their maximum, keep the boxcar in their
 * own type (truncated toward zero), default the threshold to 1 and scale
 * the working image to their maximum (127 for int8, 32767 for int16,
 * 2147483647 for int32, 4294967295 for uint32). Float types invert with
 * 1 - v, default the threshold to 1/255 and scale to 255. LOCUS_BOOL is
 * NumPy's bool (one byte, 0 or 1; any non-zero byte counts as 1), which
 * trackpy treats as a float image (threshold 1/255, invert 1 - v as
 * float64) whose boxcar is truncated into 0/1.
 */
typedef enum {
    LOCUS_U8 = 1,
    LOCUS_U16,
    LOCUS_F32,
    LOCUS_F64,
    LOCUS_I8,
    LOCUS_I16,
    LOCUS_I32,
    LOCUS_U32,
    LOCUS_BOOL
} locus_dtype;

/* Name ("uint8", "int16", "bool", ...: NumPy's) and size in bytes of a pixel type; NULL/0 if
 * invalid. */
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
    double maxsize;            /* keep size < maxsize; NaN: none (else > 0) */
    locus_axes separation;     /* default diameter + 1 */
    locus_axes noise_size;     /* Gaussian sigma; default 1 */
    locus_axes smoothing_size; /* boxcar width, odd; default diameter */
    double threshold;          /* NaN: default (1, or 1/255 for float images) */
    int invert;                /* default 0 */
    double percentile;         /* default 64 */
    long topn;                 /* < 0: none (default); 0: all, sorted by mass as trackpy */
    int preprocess;            /* default 1 */
    int max_iterations;        /* default 10; < 1 acts as 1 */
    int characterize;          /* default 1 */
} locus_params;

/* trackpy's defaults; diameter left unset (count 0). */
LOCUS_API void locus_params_init(locus_params *p);

/* Check p for an image of ndim axes (2 or 3). */
LOCUS_API int locus_params_check(const locus_params *p, int ndim, locus_error *err);

/* ------------------------------------------------------------------ */
/* The parameter tables                                                */
/* ------------------------------------------------------------------ */

/*
 * Every parameter is described once, in a table per group: its name,
 * type, help and default, and the check its values get. Programs build
 * their options from it (the command line's --noise-size, Python's
 * noise_size=) and set values through it, so every front end accepts and
 * refuses the same values with the same words.
 */
typedef enum {
    LOCUS_PARAMS_LOCATE = 1, /* locus_params */
    LOCUS_PARAMS_SOURCE,     /* locus_source_opts */
    LOCUS_PARAMS_LINK        /* locus_link_params */
} locus_param_group;

typedef enum {
    LOCUS_PARAM_AXES = 1, /* locus_axes: one value, or one per axis */
    LOCUS_PARAM_REAL,     /* double */
    LOCUS_PARAM_INT,      /* int or long */
    LOCUS_PARAM_FLAG,     /* int, 0 or 1 */
    LOCUS_PARAM_CHOICE    /* an enum, set by name ("hybrid"); from numbers, its value */
} locus_param_type;

typedef struct {
    const char *name;  /* trackpy's name, e.g. "noise_size" */
    int type;          /* a locus_param_type */
    const char *value; /* the value's name in a usage line ("S"); NULL for flags */
    const char *help;  /* one line, with the default */
    int flag_default;  /* flags: their value when not given */
} locus_param_info;

/* Parameter i of a group (0, 1, ...), or NULL past the last. */
LOCUS_API const locus_param_info *locus_param_at(int group, int i);

/*
 * Set parameter `name` of target (a locus_params, locus_source_opts, ...
 * as the group says) to n values (1; per-axis ones 1 to 3; flags 0 or 1).
 * n = 0 restores the default. A value the table refuses leaves target as
 * it was and returns LOCUS_E_PARAM with err->param naming it.
 */
LOCUS_API int locus_param_set(int group, void *target, const char *name, const double *v, int n,
                              locus_error *err);
/* The same from text: "13", "5,9,9", "1.5"; flags "true"/"false"/"1"/"0";
 * NULL restores the default. */
LOCUS_API int locus_param_set_text(int group, void *target, const char *name, const char *text,
                                   locus_error *err);

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

/* The most columns locus_locate produces (and locus_columns writes). */
#define LOCUS_MAX_COLUMNS 14
/* The most columns any table holds. */
#define LOCUS_TABLE_MAX_COLUMNS 64

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
 * How the last locate into t got to its features, for a caller that
 * explains an empty result as trackpy's warnings do ("All local maxima
 * were in the margins.", "No maxima survived mass- and size-based
 * filtering.").
 */
typedef struct {
    int blank;             /* no non-zero pixel after preprocessing (no maxima sought) */
    size_t candidates;     /* local maxima above the threshold, inside the margins */
    int maxima_in_margins; /* candidates is 0 but local maxima lie in the margins
                              (the margins are searched only then) */
    size_t refined;        /* features refined, before duplicate removal and the filters */
    size_t features;       /* rows: after the mass and size filters and top-n */
} locus_locate_stats;

/* The stats of the last locus_locate into t (all zero for other tables). */
LOCUS_API void locus_table_locate_stats(const locus_table *t, locus_locate_stats *stats);

/*
 * Set column `name` to a copy of n values, adding it if the table has no
 * such column. Every column has the same number of rows: the first
 * column of an empty table sets it. For tables made elsewhere (a
 * DataFrame's columns, say) to draw pictures from.
 */
LOCUS_API int locus_table_set_column(locus_table *t, const char *name, const double *v, size_t n,
                                     locus_error *err);

/*
 * Read the columns named want[0..nwant-1] of a CSV table (from `locus
 * locate`, or pandas' to_csv with or without the index column) into t; a
 * wanted column the file lacks is left out, so check with
 * locus_table_find. Only wanted columns are parsed: other columns may
 * hold anything. An asked-for field must be a number or empty (NaN).
 * Errors say "PATH:LINE: reason".
 */
LOCUS_API int locus_table_read_csv(locus_table *t, const char *path, const char *const *want,
                                   int nwant, locus_error *err);

/*
 * The column names locus_locate produces for these parameters and an
 * image of ndim axes (docs/ALGORITHM.md §10), without the `frame` column.
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
/* Write the buffer's bytes to path (a file left incomplete is removed). */
LOCUS_API int locus_buffer_write_file(const locus_buffer *b, const char *path, locus_error *err);
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

/* How files become frames (their table: LOCUS_PARAMS_SOURCE). */
typedef struct {
    int channel; /* colour channel to use; -1: none (grey images only) */
    int volume;  /* 1: each multi-page TIFF is one 3-D frame */
    int luma;    /* 1: a YUV video's luma (Y) plane as stored, instead of a channel */
} locus_source_opts;

/* The defaults: no channel, no volume. */
LOCUS_API void locus_source_opts_init(locus_source_opts *o);

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
/* Writing images                                                      */
/* ------------------------------------------------------------------ */

/* A 2-D uint8 or uint16 grey image (any strides) as a PNG file. A file
 * left incomplete by an error is removed. */
LOCUS_API int locus_image_write_png(const char *path, const locus_image *img, locus_error *err);

/*
 * A multi-page TIFF: each 2-D image added is one page, each 3-D image one
 * page per z slice; grey uint8/uint16/float32/float64, uncompressed.
 * Classic TIFF, rewritten as BigTIFF as soon as it would exceed 4 GiB.
 */
typedef struct locus_tiff_writer locus_tiff_writer;

LOCUS_API int locus_tiff_writer_open(locus_tiff_writer **w, const char *path, locus_error *err);
LOCUS_API int locus_tiff_writer_add(locus_tiff_writer *w, const locus_image *img, locus_error *err);
/* Finish the file and free w (also after a failed add). */
LOCUS_API int locus_tiff_writer_close(locus_tiff_writer *w, locus_error *err);

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
/* Pictures to choose parameters by                                    */
/* ------------------------------------------------------------------ */

/* An 8-bit RGB picture: height rows of width RGB triples, packed. */
typedef struct {
    unsigned char *rgb;
    size_t height, width;
} locus_picture;

LOCUS_API void locus_picture_free(locus_picture *p);
LOCUS_API int locus_picture_write_png(const locus_picture *p, const char *path, locus_error *err);
/* The picture as PNG bytes (for a notebook, say); png is overwritten. */
LOCUS_API int locus_picture_encode_png(const locus_picture *p, locus_buffer *png, locus_error *err);

/* How locus_annotate draws (trackpy's annotate). */
typedef struct {
    unsigned char color[3];       /* the rings' colour; default red */
    int invert;                   /* show the frame inverted, as locate's invert sees it */
    int minmax;                   /* grey from min to max (default: 0.1th to 99.9th percentile) */
    double radius;                /* > 0: every ring this radius */
    locus_axes diameter;          /* count > 0: rings of this diameter ((z,) y, x) */
    locus_axes fallback_diameter; /* used when the table has no size column */
    double frame;                 /* draw the rows whose frame is this; NaN: every row */
    long z;                       /* volumes: the slice to draw; -1: the middle one */
    const char *table;            /* names the table in errors ("features.csv") */
    /* With particle and frame columns: each trajectory's path up to
     * `frame`, a coloured line per particle (trackpy's plot_traj). Default 1. */
    int trajectories;
} locus_annotate_opts;

LOCUS_API void locus_annotate_opts_init(locus_annotate_opts *o);
/* "red", "green", "blue", "yellow", "cyan", "magenta", "white" or
 * "#RRGGBB" into rgb; 0, or -1 when s is none of them. */
LOCUS_API int locus_color_parse(const char *s, unsigned char rgb[3]);

/*
 * The frame (2-D, or slice z of a volume) in grey with a ring around each
 * feature: radius 2.5 x its size (per axis for size_y, size_x), or as
 * opts says; a feature of a volume is the cross-section of its ellipsoid
 * with the slice. features needs x and y (and z for volumes); frame and
 * size columns are used when present. *out is the caller's to free
 * (locus_picture_free); *drawn (may be NULL) counts the rings.
 */
LOCUS_API int locus_annotate(const locus_image *img, const locus_table *features,
                             const locus_annotate_opts *opts, locus_picture *out, size_t *drawn,
                             locus_error *err);

/* The diagnostic sheet (locus diag). */
typedef struct {
    int bins;          /* of the mass and sub-pixel histograms; default 20 */
    double minmass;    /* NaN: none; else marked, and panels (c), (d) count mass > minmass */
    const char *table; /* names the table in errors */
} locus_diag_opts;

typedef enum {
    LOCUS_DIAG_PNG = 1, /* a 1200 x 900 PNG */
    LOCUS_DIAG_SVG,     /* the same sheet as SVG */
    LOCUS_DIAG_TEXT     /* the histograms' numbers, one line per bin */
} locus_diag_format;

LOCUS_API void locus_diag_opts_init(locus_diag_opts *o);
/*
 * Four panels from a feature table (x, y, mass; size and frame when
 * present): the mass histogram, mass against size, the histograms of the
 * fractional parts of x and y (trackpy's subpx_bias), the features per
 * frame. The sheet (or its numbers) goes into out, overwritten.
 */
LOCUS_API int locus_diag(const locus_table *features, const locus_diag_opts *opts, int format,
                         locus_buffer *out, locus_error *err);

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

/* ------------------------------------------------------------------ */
/* Trajectories (trackpy's link; docs/LINKING.md)                      */
/* ------------------------------------------------------------------ */

/*
 * Linking joins the features of successive frames into trajectories,
 * giving the same trajectories as trackpy's `link` (the same partition of
 * rows; ties aside). Positions are rows of ndim doubles in trackpy's
 * pos_columns order (e.g. z, y, x). Trajectory IDs are canonical: the
 * rows, walked in (frame, input order), number trajectories 0, 1, 2, ...
 * by their first row.
 */

/* trackpy's link_strategy names. AUTO is HYBRID (trackpy with numba). */
typedef enum {
    LOCUS_LINK_HYBRID = 0, /* default; also "auto" */
    LOCUS_LINK_NUMBA,
    LOCUS_LINK_RECURSIVE,
    LOCUS_LINK_NONRECURSIVE,
    LOCUS_LINK_DROP,
    LOCUS_LINK_STRATEGY_COUNT_
} locus_link_strategy;

/* "auto", "hybrid", "numba", "recursive", "nonrecursive", "drop" → *out;
 * 0, or -1 for an unknown name. */
LOCUS_API int locus_link_strategy_parse(const char *name, locus_link_strategy *out);
LOCUS_API const char *locus_link_strategy_name(locus_link_strategy s);

/* What to do with a subnet larger than trackpy's solver accepts. */
typedef enum {
    LOCUS_OVERSIZE_SOLVE = 0, /* default: solve it exactly anyway, and count it */
    LOCUS_OVERSIZE_RAISE,     /* fail with LOCUS_E_OVERSIZE, as trackpy does */
} locus_oversize_policy;

/* trackpy's predictors (trackpy.predict); NONE links measured positions. */
typedef enum {
    LOCUS_PREDICT_NONE = 0,
    LOCUS_PREDICT_DRIFT,   /* DriftPredict: the mean velocity */
    LOCUS_PREDICT_NEAREST, /* NearestVelocityPredict: the nearest particle's velocity */
    LOCUS_PREDICT_CHANNEL, /* ChannelPredict: a flow profile across the channel (2-D) */
} locus_predict_kind;

/*
 * A predictor and its arguments, in trackpy's names. Guess arrays are
 * borrowed: they are copied by locus_linker_create.
 */
typedef struct {
    locus_predict_kind kind;
    int span; /* frames the velocities are taken over; default 1 */
    /* DRIFT initial_guess: ndim velocities, used when has_guess. */
    int has_guess;
    double guess[3];
    /* NEAREST initial_guess_positions and initial_guess_vels: nguess rows
     * of ndim values each (both, or neither). */
    const double *guess_positions, *guess_velocities;
    size_t nguess;
    /* CHANNEL: bin_size (required, > 0), flow_axis (an axis index, default
     * the last, x), minsamples (default 20), initial_profile_guess: nprofile
     * rows of (coordinate across the flow, velocity). */
    double bin_size;
    int flow_axis;
    long minsamples;
    const double *profile;
    size_t nprofile;
} locus_predict_params;

typedef struct {
    int ndim;                       /* 1 to 3 (required) */
    locus_axes search_range;        /* required, > 0: one value, or one per axis */
    long memory;                    /* frames a feature may be missing; default 0 */
    double adaptive_stop;           /* NaN (default): no adaptive search; else > 0 */
    double adaptive_step;           /* 0 < step < 1; default 0.95 */
    locus_link_strategy strategy;   /* default HYBRID */
    locus_oversize_policy oversize; /* default SOLVE */
    locus_predict_params predict;   /* default NONE */
} locus_link_params;

/* trackpy's defaults; ndim 2, search_range unset (count 0). */
LOCUS_API void locus_link_params_init(locus_link_params *p);
/* LOCUS_E_PARAM naming the parameter at fault (search_range, memory, ...). */
LOCUS_API int locus_link_params_check(const locus_link_params *p, locus_error *err);

/* Counts over some frames. */
typedef struct {
    uint64_t frames;           /* frames pushed (with rows) */
    uint64_t features;         /* rows */
    uint64_t subnets;          /* non-trivial subnets solved (or dropped) */
    uint64_t oversize;         /* of those, larger than trackpy's limit (solved anyway) */
    uint64_t largest_oversize; /* sources of the largest of them */
    uint64_t largest_subnet;   /* sources of the largest subnet solved */
    uint64_t adaptive_shrinks; /* subnets shrunk by adaptive search */
    uint64_t trajectories;     /* trajectories started */
} locus_link_stats;

/* A streaming linker: frames in increasing order, IDs out at once. */
typedef struct locus_linker locus_linker;

LOCUS_API int locus_linker_create(locus_linker **out, const locus_link_params *p, locus_error *err);
LOCUS_API void locus_linker_free(locus_linker *lk);

/*
 * Link one frame: n positions (n rows of ndim doubles, finite), frame
 * numbers strictly increasing from call to call (gaps allowed; without a
 * predictor every frame number in between counts towards memory, with one
 * only the frames pushed do). ids[i] receives row i's trajectory ID.
 * n = 0 is allowed. A frame refused for its input (LOCUS_E_PARAM: order,
 * non-finite position) changes nothing; after a failure while linking
 * (LOCUS_E_OVERSIZE, LOCUS_E_NOMEM) the linker refuses further frames.
 */
LOCUS_API int locus_linker_push(locus_linker *lk, int64_t frame, const double *pos, size_t n,
                                int64_t *ids, locus_error *err);

/* The counts of the last push and of all pushes so far (either may be NULL). */
LOCUS_API void locus_linker_stats(const locus_linker *lk, locus_link_stats *last,
                                  locus_link_stats *total);

/*
 * Link a whole table: n rows, frames[i] and pos[i * ndim ...], in any
 * order (sorted by frame, stably). ids[i] receives row i's trajectory ID;
 * stats (may be NULL) the totals. n = 0 links nothing.
 */
LOCUS_API int locus_link_table(const locus_link_params *p, const int64_t *frames, const double *pos,
                               size_t n, int64_t *ids, locus_link_stats *stats, locus_error *err);

#ifdef __cplusplus
}
#endif
#endif /* LOCUS_H */

/* The output of a run, with its checkpoint: see output.h. */
#include "run/output.h"

#include "run/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct locus_output {
    char *path; /* NULL: standard output */
    char *header;
    int fd;      /* the output file, opened but not truncated until started */
    FILE *file;  /* once started */
    int created; /* the file did not exist before this run */
    int started; /* the header is written: the file is this run's */
    int write_errno;
    locus_checkpoint *ckpt; /* or NULL */
    size_t chunk, nframes, nchunks;
    size_t next;         /* the next chunk to write */
    locus_chunk filling; /* the chunk the frames go into */
    locus_chunk loaded;  /* a chunk read back from the checkpoint */
    size_t frames, features, blank, skipped, resumed;
    locus_buffer skips;
    locus_output_transform transform;
    void *transform_user;
    locus_buffer transformed;
};

/* ------------------------------------------------------------------ */
/* Chunks                                                              */
/* ------------------------------------------------------------------ */

void locus_chunk_clear(locus_chunk *c)
{
    c->frames = c->features = c->blank = c->skipped = 0;
    c->rows.len = c->skips.len = 0;
}

void locus_chunk_free(locus_chunk *c)
{
    locus_buffer_free(&c->rows);
    locus_buffer_free(&c->skips);
}

int locus_chunk_add_frame(locus_chunk *c, size_t frame, const locus_table *t,
                          const locus_error *why, locus_error *err)
{
    if (!t) {
        char line[LOCUS_ERROR_MAX + 64];
        int n = snprintf(line, sizeof line, "frame %zu: %s\n", frame,
                         why && why->message[0] ? why->message : "cannot be read");
        c->skipped++;
        if (n > 0 && locus_buffer_append(&c->skips, line, (size_t)n))
            return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        return LOCUS_OK;
    }
    c->frames++;
    c->features += locus_table_rows(t);
    c->blank += locus_table_blank(t) != 0;
    if (locus_csv_rows(&c->rows, t, (long)frame))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* The file                                                            */
/* ------------------------------------------------------------------ */

static const char *out_name(const locus_output *o)
{
    return o->path ? o->path : "standard output";
}

static int write_failed(locus_output *o, locus_error *err)
{
    if (!o->write_errno)
        o->write_errno = errno ? errno : EIO;
    return locus_error_set(err, LOCUS_E_IO, "%s: write failed: %s", out_name(o),
                           strerror(o->write_errno));
}

/* The first bytes of the run: from here on the file is this run's. */
static int start(locus_output *o, locus_error *err)
{
    if (o->started)
        return LOCUS_OK;
    if (o->path) {
        /* only a regular file has old contents to drop (not /dev/null, a pipe) */
        struct stat st;
        int regular = fstat(o->fd, &st) == 0 && S_ISREG(st.st_mode);
        if ((regular && ftruncate(o->fd, 0)) || !(o->file = fdopen(o->fd, "w")))
            return write_failed(o, err);
        o->fd = -1; /* the FILE owns it */
    } else {
        o->file = stdout;
    }
    o->started = 1;
    size_t len = strlen(o->header);
    if (fwrite(o->header, 1, len, o->file) != len)
        return write_failed(o, err);
    return LOCUS_OK;
}

static int open_file(locus_output *o, locus_error *err)
{
    struct stat st;
    o->created = stat(o->path, &st) != 0; /* to remove again if nothing is written */
    o->fd = open(o->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (o->fd < 0)
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot write: %s", o->path, strerror(errno));
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Chunks in order                                                     */
/* ------------------------------------------------------------------ */

/* Write chunk c (c->index == o->next). complete: it is saved to the
 * checkpoint first, and o->next moves past it. */
static int write_chunk(locus_output *o, const locus_chunk *c, int complete, locus_error *err)
{
    int rc;
    if (complete && o->ckpt && !locus_checkpoint_has(o->ckpt, c->index) &&
        (rc = locus_checkpoint_save(o->ckpt, c, err)))
        return rc;
    if ((rc = start(o, err)))
        return rc;
    const locus_buffer *rows = &c->rows;
    if (o->transform) {
        if ((rc = o->transform(o->transform_user, c, &o->transformed, err)))
            return rc;
        rows = &o->transformed;
    }
    if (rows->len && fwrite(rows->data, 1, rows->len, o->file) != rows->len)
        return write_failed(o, err);
    o->frames += c->frames;
    o->features += c->features;
    o->blank += c->blank;
    o->skipped += c->skipped;
    if (c->skips.len && locus_buffer_append(&o->skips, c->skips.data, c->skips.len))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (complete)
        o->next = c->index + 1;
    return LOCUS_OK;
}

/* Copy the checkpointed chunks from o->next up to chunk `upto`,
 * stopping at the first one the checkpoint lacks. */
static int resume_to(locus_output *o, size_t upto, locus_error *err)
{
    while (o->ckpt && o->next < upto && locus_checkpoint_has(o->ckpt, o->next)) {
        int rc = locus_checkpoint_load(o->ckpt, o->next, &o->loaded, err);
        if (rc == LOCUS_OK)
            rc = write_chunk(o, &o->loaded, 1, err);
        if (rc)
            return rc;
        o->resumed += o->loaded.frames + o->loaded.skipped;
    }
    return LOCUS_OK;
}

static char *dup_or_null(const char *s, int *bad)
{
    char *d = s ? strdup(s) : NULL;
    *bad |= s && !d;
    return d;
}

int locus_output_open(locus_output **out, const locus_output_opts *opts, locus_error *err)
{
    *out = NULL;
    if (!opts->header || opts->chunk == 0)
        return locus_error_set(err, LOCUS_E_PARAM, "output: no header or no chunk size");
    locus_output *o = calloc(1, sizeof *o);
    if (!o)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    int bad = 0;
    o->fd = -1;
    o->path = opts->path && strcmp(opts->path, "-") ? dup_or_null(opts->path, &bad) : NULL;
    o->header = dup_or_null(opts->header, &bad);
    o->chunk = opts->chunk;
    o->nframes = opts->nframes;
    o->transform = opts->transform;
    o->transform_user = opts->transform_user;
    o->nchunks = (opts->nframes + o->chunk - 1) / o->chunk;
    int rc = bad ? locus_error_set(err, LOCUS_E_NOMEM, "out of memory") : LOCUS_OK;
    /* the checkpoint first: a refused one must not cost the output file */
    if (rc == LOCUS_OK && opts->checkpoint)
        rc = locus_checkpoint_open(&o->ckpt, opts->checkpoint, opts->manifest ? opts->manifest : "",
                                   o->nchunks, err);
    if (rc == LOCUS_OK && o->path)
        rc = open_file(o, err);
    if (rc != LOCUS_OK) {
        locus_output_free(o);
        return rc;
    }
    *out = o;
    return LOCUS_OK;
}

size_t locus_output_chunks(const locus_output *o)
{
    return o->nchunks;
}

int locus_output_has_chunk(const locus_output *o, size_t c)
{
    return o->ckpt && locus_checkpoint_has(o->ckpt, c);
}

size_t locus_output_todo(const locus_output *o, size_t *map)
{
    size_t n = 0;
    for (size_t f = 0; f < o->nframes; f++)
        if (!locus_output_has_chunk(o, f / o->chunk))
            map[n++] = f;
    return n;
}

int locus_output_frame(locus_output *o, size_t frame, const locus_table *t, const locus_error *why,
                       locus_error *err)
{
    size_t c = frame / o->chunk;
    int rc = resume_to(o, c, err);
    if (rc == LOCUS_OK) {
        o->filling.index = c;
        rc = locus_chunk_add_frame(&o->filling, frame, t, why, err);
    }
    if (rc != LOCUS_OK || !(frame + 1 == o->nframes || (frame + 1) % o->chunk == 0))
        return rc;
    rc = write_chunk(o, &o->filling, 1, err);
    locus_chunk_clear(&o->filling);
    return rc;
}

int locus_output_chunk(locus_output *o, const locus_chunk *c, int complete, locus_error *err)
{
    int rc = resume_to(o, c->index, err);
    if (rc == LOCUS_OK && c->index != o->next)
        rc = locus_error_set(err, LOCUS_E_PARAM, "output: chunk %zu given where %zu is next",
                             c->index, o->next);
    return rc ? rc : write_chunk(o, c, complete, err);
}

int locus_output_close(locus_output *o, int ok, locus_error *err)
{
    int rc = LOCUS_OK;
    if (ok) {
        rc = resume_to(o, o->nchunks, err);
        if (rc == LOCUS_OK)
            rc = start(o, err);
    } else if (o->filling.frames || o->filling.skipped) {
        /* the frames of a chunk cut short: out, but not into the checkpoint */
        rc = write_chunk(o, &o->filling, 0, err);
        locus_chunk_clear(&o->filling);
    }
    if (o->file) {
        int closed = o->file == stdout ? fflush(o->file) : fclose(o->file);
        o->file = NULL;
        if (closed && rc == LOCUS_OK)
            rc = write_failed(o, err);
    }
    if (o->fd >= 0) {
        /* never started: an existing file stays as it was; ours goes */
        close(o->fd);
        o->fd = -1;
        if (o->created)
            unlink(o->path);
    }
    if (rc == LOCUS_OK && o->write_errno)
        rc = write_failed(o, err);
    return rc;
}

locus_output_stats locus_output_get_stats(const locus_output *o)
{
    locus_output_stats s = {o->frames,  o->features, o->blank,
                            o->skipped, o->resumed,  o->skips.data ? o->skips.data : ""};
    return s;
}

void locus_output_free(locus_output *o)
{
    if (!o)
        return;
    if (o->file && o->file != stdout)
        fclose(o->file);
    if (o->fd >= 0) {
        close(o->fd);
        if (o->created && !o->started)
            unlink(o->path);
    }
    locus_checkpoint_close(o->ckpt);
    locus_chunk_free(&o->filling);
    locus_chunk_free(&o->loaded);
    locus_buffer_free(&o->skips);
    locus_buffer_free(&o->transformed);
    free(o->path);
    free(o->header);
    free(o);
}

/* ------------------------------------------------------------------ */
/* The manifest                                                        */
/* ------------------------------------------------------------------ */

static int append_axes(locus_buffer *b, const char *name, const locus_axes *a)
{
    char line[200];
    int n = snprintf(line, sizeof line, "%s", name);
    if (a->count == 0)
        n += snprintf(line + n, sizeof line - (size_t)n, " default");
    for (int i = 0; i < a->count && i < 3; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %.17g", a->v[i]);
    n += snprintf(line + n, sizeof line - (size_t)n, "\n");
    return locus_buffer_append(b, line, (size_t)n);
}

static int append_line(locus_buffer *b, const char *fmt, ...) LOCUS_PRINTF(2, 3);
static int append_line(locus_buffer *b, const char *fmt, ...)
{
    char line[4200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    return locus_buffer_append(b, line, (size_t)n);
}

/* A path on one line: control characters escaped. */
static void escape_path(const char *path, char *out, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p && k + 5 < n; p++)
        k += *p < 0x20 || *p == '%' ? (size_t)snprintf(out + k, n - k, "%%%02X", *p)
                                    : (out[k] = (char)*p, 1);
    out[k] = '\0';
}

static int append_files(locus_buffer *b, const locus_source *src)
{
    size_t nframes = locus_source_frames(src);
    for (size_t f = 0; f < nframes;) {
        const char *path = locus_source_path(src, f);
        size_t count = 1;
        while (f + count < nframes && locus_source_path(src, f + count) == path)
            count++;
        struct stat st;
        char esc[4096];
        escape_path(path, esc, sizeof esc);
        if (stat(path, &st))
            memset(&st, 0, sizeof st); /* a missing file: its frame fails either way */
        if (append_line(b, "file %s size %lld mtime %lld.%09ld frames %zu\n", esc,
                        (long long)st.st_size, (long long)st.st_mtim.tv_sec,
                        (long)st.st_mtim.tv_nsec, count))
            return -1;
        f += count;
    }
    return 0;
}

int locus_run_manifest(const locus_params *p, const locus_source_opts *opts,
                       const locus_source *src, size_t chunk, const char *extra, locus_buffer *out,
                       locus_error *err)
{
    out->len = 0;
    int bad = append_line(out, "locus checkpoint 2\nlocus %s\n", locus_version()) ||
              append_line(out, "chunk %zu\nframes %zu\nndim %d\nchannel %d\nvolume %d\n", chunk,
                          locus_source_frames(src), locus_source_ndim(src), opts->channel,
                          opts->volume) ||
              append_axes(out, "diameter", &p->diameter) ||
              append_axes(out, "separation", &p->separation) ||
              append_axes(out, "noise_size", &p->noise_size) ||
              append_axes(out, "smoothing_size", &p->smoothing_size) ||
              append_line(out, "minmass %.17g\nmaxsize %.17g\nthreshold %.17g\n", p->minmass,
                          p->maxsize, p->threshold) ||
              append_line(out, "invert %d\npercentile %.17g\ntopn %ld\n", p->invert, p->percentile,
                          p->topn) ||
              append_line(out, "preprocess %d\nmax_iterations %d\ncharacterize %d\n", p->preprocess,
                          p->max_iterations, p->characterize) ||
              (extra && locus_buffer_append(out, extra, strlen(extra))) || append_files(out, src);
    return bad ? locus_error_set(err, LOCUS_E_NOMEM, "out of memory") : LOCUS_OK;
}

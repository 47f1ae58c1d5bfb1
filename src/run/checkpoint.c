/* Checkpoint directories: see checkpoint.h. */
#include "run/checkpoint.h"

#include "common/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct checkpoint {
    char *dir;
    int dirfd;
    size_t nchunks;
    unsigned char *done;
};

void locus_chunk_result_clear(chunk_result *r)
{
    r->frames = r->features = r->blank = r->skipped = 0;
    r->rows.len = r->skips.len = 0;
}

void locus_chunk_result_free(chunk_result *r)
{
    locus_buffer_free(&r->rows);
    locus_buffer_free(&r->skips);
}

/* ------------------------------------------------------------------ */
/* Files: whole or absent                                              */
/* ------------------------------------------------------------------ */

static int write_fully(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Write the pieces to DIR/name through a temporary file, fsync, rename,
 * fsync the directory. */
static int write_durably(const checkpoint *c, const char *name, const char *const *parts,
                         const size_t *lens, int nparts, locus_error *err)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp.%ld", name, (long)getpid());
    int fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return locus_error_set(err, LOCUS_E_IO, "%s/%s: cannot write: %s", c->dir, tmp,
                               strerror(errno));
    int bad = 0;
    for (int i = 0; i < nparts && !bad; i++)
        bad = write_fully(fd, parts[i], lens[i]);
    bad = bad || fsync(fd);
    int saved = errno;
    bad = close(fd) || bad;
    if (bad || renameat(c->dirfd, tmp, c->dirfd, name) || fsync(c->dirfd)) {
        saved = bad ? saved : errno;
        unlinkat(c->dirfd, tmp, 0);
        return locus_error_set(err, LOCUS_E_IO, "%s/%s: cannot write: %s", c->dir, name,
                               strerror(saved));
    }
    return LOCUS_OK;
}

static char *read_file(int dirfd, const char *name, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *data = NULL;
    if (fstat(fd, &st) == 0 && (data = malloc((size_t)st.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        data[got] = '\0';
        *len = got;
    }
    close(fd);
    return data;
}

/* ------------------------------------------------------------------ */
/* Chunk files                                                         */
/* ------------------------------------------------------------------ */

static void chunk_name(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "chunk-%06zu.csv", i);
}

/* "# locus chunk I frames F features N blank B skipped S bytes K\n" */
static int parse_header(const char *data, size_t len, size_t i, chunk_result *r, size_t *body)
{
    size_t index, bytes;
    int used = 0;
    if (sscanf(data,
               "# locus chunk %zu frames %zu features %zu blank %zu skipped %zu bytes %zu\n%n",
               &index, &r->frames, &r->features, &r->blank, &r->skipped, &bytes, &used) != 6 ||
        used == 0 || index != i || (size_t)used + bytes != len)
        return -1;
    *body = (size_t)used;
    return 0;
}

int locus_checkpoint_has(const checkpoint *c, size_t i)
{
    return i < c->nchunks && c->done[i];
}

size_t locus_checkpoint_count(const checkpoint *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nchunks; i++)
        n += c->done[i];
    return n;
}

int locus_checkpoint_load(const checkpoint *c, size_t i, chunk_result *r, locus_error *err)
{
    char name[64];
    size_t len, body;
    chunk_name(i, name, sizeof name);
    char *data = read_file(c->dirfd, name, &len);
    locus_chunk_result_clear(r);
    r->index = i;
    if (!data || parse_header(data, len, i, r, &body)) {
        free(data);
        return locus_error_set(err, LOCUS_E_IO, "%s/%s: unreadable or damaged checkpoint chunk",
                               c->dir, name);
    }
    /* skipped-frame lines ("# skipped ...") come first, then the rows */
    const char *p = data + body;
    for (size_t k = 0; k < r->skipped; k++) {
        const char *nl = strchr(p, '\n');
        if (strncmp(p, "# skipped ", 10) || !nl) {
            free(data);
            return locus_error_set(err, LOCUS_E_IO, "%s/%s: damaged checkpoint chunk", c->dir,
                                   name);
        }
        if (locus_buffer_append(&r->skips, p + 10, (size_t)(nl + 1 - (p + 10))))
            goto nomem;
        p = nl + 1;
    }
    if (locus_buffer_append(&r->rows, p, len - (size_t)(p - data)))
        goto nomem;
    free(data);
    return LOCUS_OK;
nomem:
    free(data);
    return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
}

int locus_checkpoint_save(checkpoint *c, const chunk_result *r, locus_error *err)
{
    char name[64], head[200];
    locus_buffer skips = {0};
    chunk_name(r->index, name, sizeof name);
    /* each skip line gets its "# skipped " prefix */
    for (size_t k = 0, start = 0; k < r->skips.len; k++)
        if (r->skips.data[k] == '\n') {
            if (locus_buffer_append(&skips, "# skipped ", 10) ||
                locus_buffer_append(&skips, r->skips.data + start, k + 1 - start)) {
                locus_buffer_free(&skips);
                return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
            }
            start = k + 1;
        }
    int n =
        snprintf(head, sizeof head,
                 "# locus chunk %zu frames %zu features %zu blank %zu skipped %zu bytes %zu\n",
                 r->index, r->frames, r->features, r->blank, r->skipped, skips.len + r->rows.len);
    const char *parts[3] = {head, skips.data ? skips.data : "", r->rows.data ? r->rows.data : ""};
    size_t lens[3] = {(size_t)n, skips.len, r->rows.len};
    int rc = write_durably(c, name, parts, lens, 3, err);
    locus_buffer_free(&skips);
    if (rc == LOCUS_OK && r->index < c->nchunks)
        c->done[r->index] = 1;
    return rc;
}

/* ------------------------------------------------------------------ */
/* The directory and its manifest                                      */
/* ------------------------------------------------------------------ */

/* The first line where a and b differ, for the refusal message. */
static void first_difference(const char *a, const char *b, char *out, size_t n)
{
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la)) {
            snprintf(out, n, "'%.*s' where this run has '%.*s'", (int)(la > 120 ? 120 : la), a,
                     (int)(lb > 120 ? 120 : lb), b);
            return;
        }
        a += la + (ea != NULL);
        b += lb + (eb != NULL);
    }
    snprintf(out, n, "%s", *a ? "more inputs than this run" : "fewer inputs than this run");
}

/* Find the whole chunk files; clear away temporaries of a killed run. */
static void scan_chunks(checkpoint *c)
{
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t i, len, body;
        char tail;
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp.")) {
            unlinkat(c->dirfd, e->d_name, 0);
            continue;
        }
        if (sscanf(e->d_name, "chunk-%zu.cs%c", &i, &tail) != 2 || tail != 'v' || i >= c->nchunks)
            continue;
        char *data = read_file(c->dirfd, e->d_name, &len);
        chunk_result r = {0};
        if (data && parse_header(data, len, i, &r, &body) == 0)
            c->done[i] = 1;
        free(data);
    }
    closedir(d);
}

int locus_checkpoint_open(checkpoint **out, const char *dir, const char *manifest, size_t nchunks,
                          locus_error *err)
{
    *out = NULL;
    if (mkdir(dir, 0755) && errno != EEXIST)
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot create checkpoint directory: %s", dir,
                               strerror(errno));
    checkpoint *c = calloc(1, sizeof *c);
    if (!c || !(c->dir = strdup(dir)) || !(c->done = calloc(nchunks + 1, 1))) {
        locus_checkpoint_close(c);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    c->nchunks = nchunks;
    c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->dirfd < 0) {
        int e = errno;
        locus_checkpoint_close(c);
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot open checkpoint directory: %s", dir,
                               strerror(e));
    }
    size_t len;
    char *old = read_file(c->dirfd, "manifest", &len);
    int rc = LOCUS_OK;
    if (old && strcmp(old, manifest)) {
        char why[300];
        first_difference(old, manifest, why, sizeof why);
        rc = locus_error_set(err, LOCUS_E_PARAM,
                             "%s: checkpoint made with other inputs or parameters (it has %s); use "
                             "another directory, or delete this one to start afresh",
                             dir, why);
    } else if (!old) {
        const char *parts[1] = {manifest};
        size_t lens[1] = {strlen(manifest)};
        rc = write_durably(c, "manifest", parts, lens, 1, err);
    }
    free(old);
    if (rc != LOCUS_OK) {
        locus_checkpoint_close(c);
        return rc;
    }
    scan_chunks(c);
    *out = c;
    return LOCUS_OK;
}

void locus_checkpoint_close(checkpoint *c)
{
    if (!c)
        return;
    if (c->dirfd > 0)
        close(c->dirfd);
    free(c->dir);
    free(c->done);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Manifest                                                            */
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

int locus_checkpoint_manifest(const locus_params *p, const locus_source_opts *opts,
                              const locus_source *src, size_t chunk, locus_buffer *out,
                              locus_error *err)
{
    out->len = 0;
    int bad = append_line(out, "locus checkpoint 1\nlocus %s\n", locus_version()) ||
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
              append_files(out, src);
    return bad ? locus_error_set(err, LOCUS_E_NOMEM, "out of memory") : LOCUS_OK;
}

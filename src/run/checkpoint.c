/* Checkpoint directories: see checkpoint.h. */
#include "run/checkpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct locus_checkpoint {
    char *dir;
    int dirfd;
    size_t nchunks;
    unsigned char *done;
};

/* The manifest's last line: a manifest without it is damaged. */
static const char manifest_end[] = "end\n";

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
static int write_durably(const locus_checkpoint *c, const char *name, const char *const *parts,
                         const size_t *lens, int nparts, locus_error *err)
{
    char tmp[96];
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
                               strerror(saved ? saved : EIO));
    }
    return LOCUS_OK;
}

/* The whole of DIR/name into *data (NUL-terminated, to free). 0, or the
 * errno of what failed (ENOENT: there is no such file). */
static int read_file(int dirfd, const char *name, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st))
        e = errno;
    else if (S_ISDIR(st.st_mode))
        e = EISDIR;
    else if (!S_ISREG(st.st_mode))
        e = EINVAL;
    else if (!(*data = malloc((size_t)st.st_size + 1)))
        e = ENOMEM;
    size_t got = 0;
    while (!e && got < (size_t)st.st_size) {
        ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            e = errno;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (e) {
        free(*data);
        *data = NULL;
        return e;
    }
    (*data)[got] = '\0';
    *len = got;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Chunk files                                                         */
/* ------------------------------------------------------------------ */

static void chunk_name(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "chunk-%06zu.csv", i);
}

/* "# locus chunk I frames F features N blank B skipped S bytes K\n" */
static int parse_header(const char *data, size_t len, size_t i, locus_chunk *r, size_t *body)
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

int locus_checkpoint_has(const locus_checkpoint *c, size_t i)
{
    return i < c->nchunks && c->done[i];
}

static int damaged(const locus_checkpoint *c, const char *name, locus_error *err)
{
    return locus_error_set(err, LOCUS_E_IO,
                           "%s/%s: damaged checkpoint chunk (its length or header does not match "
                           "what was written); delete the directory to start afresh",
                           c->dir, name);
}

int locus_checkpoint_load(const locus_checkpoint *c, size_t i, locus_chunk *r, locus_error *err)
{
    char name[64], *data;
    size_t len, body;
    chunk_name(i, name, sizeof name);
    int e = read_file(c->dirfd, name, &data, &len);
    locus_chunk_clear(r);
    r->index = i;
    if (e == ENOMEM)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (e)
        return locus_error_set(err, LOCUS_E_IO, "%s/%s: cannot read: %s", c->dir, name,
                               strerror(e));
    if (parse_header(data, len, i, r, &body)) {
        free(data);
        return damaged(c, name, err);
    }
    /* skipped-frame lines ("# skipped ...") come first, then the rows */
    const char *p = data + body;
    int rc = LOCUS_OK;
    for (size_t k = 0; k < r->skipped && rc == LOCUS_OK; k++) {
        const char *nl = strchr(p, '\n');
        if (strncmp(p, "# skipped ", 10) || !nl)
            rc = damaged(c, name, err);
        else if (locus_buffer_append(&r->skips, p + 10, (size_t)(nl + 1 - (p + 10))))
            rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        else
            p = nl + 1;
    }
    if (rc == LOCUS_OK && locus_buffer_append(&r->rows, p, len - (size_t)(p - data)))
        rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    free(data);
    return rc;
}

int locus_checkpoint_save(locus_checkpoint *c, const locus_chunk *r, locus_error *err)
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

/* Does the manifest in the directory (old, or none) belong to this run? */
static int check_manifest(const locus_checkpoint *c, int read_errno, const char *old, size_t len,
                          const char *manifest, locus_error *err)
{
    size_t tail = sizeof manifest_end - 1, vlen = strcspn(manifest, "\n");
    if (read_errno == ENOMEM)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (read_errno)
        return locus_error_set(err, LOCUS_E_IO, "%s/manifest: cannot read the checkpoint: %s",
                               c->dir, strerror(read_errno));
    /* the first line names the format: another one is not damage */
    if (!strncmp(old, "locus checkpoint ", 17) && strncmp(old, manifest, vlen + 1))
        return locus_error_set(err, LOCUS_E_PARAM,
                               "%s: checkpoint made by another version of locus (%.*s); use "
                               "another directory, or delete this one to start afresh",
                               c->dir, (int)strcspn(old, "\n"), old);
    if (strlen(old) != len || len < tail || strcmp(old + len - tail, manifest_end))
        return locus_error_set(err, LOCUS_E_IO,
                               "%s/manifest: damaged (it does not end as locus writes it); "
                               "use another directory, or delete this one to start afresh",
                               c->dir);
    if (strcmp(old, manifest)) {
        char why[300];
        first_difference(old, manifest, why, sizeof why);
        return locus_error_set(err, LOCUS_E_PARAM,
                               "%s: checkpoint made with other inputs or parameters (it has %s); "
                               "use another directory, or delete this one to start afresh",
                               c->dir, why);
    }
    return LOCUS_OK;
}

/* A directory entry that is a chunk file: its index in *i. */
static int is_chunk_name(const char *name, size_t *i)
{
    char tail;
    int used = 0;
    return sscanf(name, "chunk-%zu.cs%c%n", i, &tail, &used) == 2 && tail == 'v' &&
           name[used] == '\0';
}

/*
 * Look at every entry: find the chunks (each must be whole) and count
 * the temporaries a killed run left. Nothing is changed here.
 */
static int scan_chunks(locus_checkpoint *c, size_t *chunk_files, size_t *temporaries,
                       locus_error *err)
{
    *chunk_files = *temporaries = 0;
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot list the checkpoint: %s", c->dir,
                               strerror(e));
    }
    rewinddir(d); /* dup'd descriptors share their offset */
    int rc = LOCUS_OK;
    struct dirent *e;
    while (rc == LOCUS_OK && (e = readdir(d))) {
        size_t i, len, body;
        char *data;
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp.")) {
            ++*temporaries;
            continue;
        }
        if (!is_chunk_name(e->d_name, &i))
            continue;
        ++*chunk_files;
        int re = read_file(c->dirfd, e->d_name, &data, &len);
        locus_chunk r = {0};
        if (re == ENOMEM)
            rc = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        else if (re)
            rc = locus_error_set(err, LOCUS_E_IO, "%s/%s: cannot read: %s", c->dir, e->d_name,
                                 strerror(re));
        else if (i >= c->nchunks || parse_header(data, len, i, &r, &body))
            rc = damaged(c, e->d_name, err);
        else
            c->done[i] = 1;
        free(data);
    }
    closedir(d);
    return rc;
}

/* Remove what a killed run left half-written (only once the directory
 * is known to be this run's). */
static void remove_temporaries(const locus_checkpoint *c)
{
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d); /* the descriptor's offset is shared with the scan's */
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strstr(e->d_name, ".tmp."))
            unlinkat(c->dirfd, e->d_name, 0);
    closedir(d);
}

static int open_directory(locus_checkpoint *c, const char *dir, locus_error *err)
{
    if (mkdir(dir, 0755) && errno != EEXIST)
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot create the checkpoint directory: %s",
                               dir, strerror(errno));
    c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->dirfd < 0)
        return locus_error_set(err, LOCUS_E_IO, "%s: cannot open the checkpoint directory: %s", dir,
                               strerror(errno));
    return LOCUS_OK;
}

int locus_checkpoint_open(locus_checkpoint **out, const char *dir, const char *manifest,
                          size_t nchunks, locus_error *err)
{
    *out = NULL;
    locus_checkpoint *c = calloc(1, sizeof *c);
    if (c)
        c->dirfd = -1;
    /* what the directory holds: the run's description and the end line */
    size_t mlen = strlen(manifest), elen = sizeof manifest_end - 1;
    char *full = malloc(mlen + elen + 1);
    if (full) {
        memcpy(full, manifest, mlen);
        memcpy(full + mlen, manifest_end, elen + 1);
    }
    if (!c || !full || !(c->dir = strdup(dir)) || !(c->done = calloc(nchunks + 1, 1))) {
        free(full);
        locus_checkpoint_close(c);
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    c->nchunks = nchunks;
    size_t len, chunk_files, temporaries;
    char *old = NULL;
    int rc = open_directory(c, dir, err);
    int read_errno = rc ? 0 : read_file(c->dirfd, "manifest", &old, &len);
    int fresh = read_errno == ENOENT;
    if (rc == LOCUS_OK && !fresh)
        rc = check_manifest(c, read_errno, old, len, full, err);
    free(old);
    if (rc == LOCUS_OK)
        rc = scan_chunks(c, &chunk_files, &temporaries, err);
    if (rc == LOCUS_OK && fresh && chunk_files)
        rc = locus_error_set(err, LOCUS_E_IO,
                             "%s: holds checkpoint chunks but no manifest, so they cannot be "
                             "known to belong to this run; use another directory, or delete "
                             "this one to start afresh",
                             dir);
    if (rc == LOCUS_OK && fresh) {
        const char *parts[1] = {full};
        size_t lens[1] = {mlen + elen};
        rc = write_durably(c, "manifest", parts, lens, 1, err);
    }
    free(full);
    if (rc != LOCUS_OK) {
        locus_checkpoint_close(c);
        return rc;
    }
    if (temporaries)
        remove_temporaries(c);
    *out = c;
    return LOCUS_OK;
}

void locus_checkpoint_close(locus_checkpoint *c)
{
    if (!c)
        return;
    if (c->dirfd >= 0)
        close(c->dirfd);
    free(c->dir);
    free(c->done);
    free(c);
}

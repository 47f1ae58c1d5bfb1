/*
 * Sources: inputs (files, directories, glob patterns) → files → frames.
 *
 * Opening a source reads every file's header, so the frame count is
 * known up front and a bad file is found early. A file that cannot be
 * read does not stop the source: it becomes one frame whose reading
 * fails, so a caller may skip it. After opening, a source is read-only
 * and may be shared by readers on any number of threads.
 */
#include "io/imageio.h"
#include "io/source.h"

#include "common/settings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Inputs → file list                                                  */
/* ------------------------------------------------------------------ */

static int source_add_file(locus_source *src, const char *path, locus_error *err)
{
    if (src->nfiles == src->cap) {
        size_t ncap = src->cap ? 2 * src->cap : 16;
        source_file *f = realloc(src->files, size_mul(ncap, sizeof *f));
        if (!f)
            return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
        src->files = f;
        src->cap = ncap;
    }
    source_file *f = &src->files[src->nfiles];
    memset(f, 0, sizeof *f);
    if (!(f->path = strdup(path)))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    src->nfiles++;
    return LOCUS_OK;
}

static int is_image_name(const char *name)
{
    static const char *const exts[] = {".png", ".tif", ".tiff", ".jpg", ".jpeg",
                                       ".avi", ".mp4", ".mov",  ".mkv"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && strcasecmp(name + n - e, exts[i]) == 0)
            return 1;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_path(const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    int slash = d > 0 && dir[d - 1] != '/';
    char *p = malloc(d + (size_t)slash + n + 1);
    if (p) {
        memcpy(p, dir, d);
        if (slash)
            p[d] = '/';
        memcpy(p + d + slash, name, n + 1);
    }
    return p;
}

typedef struct {
    char **v;
    size_t n, cap;
} name_list;

static void names_free(name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int names_add(name_list *l, char *s)
{
    if (!s)
        return LOCUS_E_NOMEM;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, size_mul(ncap, sizeof *v));
        if (!v) {
            free(s);
            return LOCUS_E_NOMEM;
        }
        l->v = v;
        l->cap = ncap;
    }
    l->v[l->n++] = s;
    return LOCUS_OK;
}

/* Image files in dir, hidden files and subdirectories left out. */
static int list_directory(const char *dir, name_list *l, locus_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return locus_error_errno(err, dir, errno, NULL);
    struct dirent *e;
    int st = LOCUS_OK;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name))
            continue;
        char *path = join_path(dir, e->d_name);
        struct stat sb;
        if (path && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            free(path);
            continue;
        }
        if (names_add(l, path))
            st = locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    }
    closedir(d);
    return st;
}

static int source_add_directory(locus_source *src, const char *dir, locus_error *err)
{
    name_list l = {0};
    int st = list_directory(dir, &l, err);
    if (!st && l.n == 0)
        st = locus_imageio_fail(err, LOCUS_E_IO, dir, "",
                                "no .png/.tif/.tiff/.jpg/.jpeg files in directory (nor "
                                ".avi/.mp4/.mov/.mkv videos)");
    if (!st)
        qsort(l.v, l.n, sizeof *l.v, compare_names);
    for (size_t i = 0; !st && i < l.n; i++)
        st = source_add_file(src, l.v[i], err);
    names_free(&l);
    return st;
}

/* A match of a pattern: a directory stands for its image files. */
static int source_add_match(locus_source *src, const char *path, locus_error *err)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return source_add_directory(src, path, err);
    return source_add_file(src, path, err);
}

static int source_add_glob(locus_source *src, const char *pattern, locus_error *err)
{
    glob_t g;
    int r = glob(pattern, 0, NULL, &g);
    if (r == GLOB_NOMATCH || (r == 0 && g.gl_pathc == 0)) {
        if (r == 0)
            globfree(&g);
        return locus_error_file(err, LOCUS_E_IO, NULL, ENOENT,
                                "'%s': no such file, and no file matches it as a pattern", pattern);
    }
    if (r != 0)
        return locus_error_set(err, r == GLOB_NOSPACE ? LOCUS_E_NOMEM : LOCUS_E_IO,
                               "'%s': cannot expand the pattern", pattern);
    /* glob sorts by the locale's collation; frame order must not depend on it. */
    qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, compare_names);
    int st = LOCUS_OK;
    for (size_t i = 0; !st && i < g.gl_pathc; i++)
        st = source_add_match(src, g.gl_pathv[i], err);
    globfree(&g);
    return st;
}

static int source_add_input(locus_source *src, const char *input, locus_error *err)
{
    struct stat sb;
    if (stat(input, &sb) == 0)
        return S_ISDIR(sb.st_mode) ? source_add_directory(src, input, err)
                                   : source_add_file(src, input, err);
    /* A missing plain name stays a file, whose frame reports the error. */
    if (strpbrk(input, "*?["))
        return source_add_glob(src, input, err);
    return source_add_file(src, input, err);
}

/* ------------------------------------------------------------------ */
/* Reading each file's header                                          */
/* ------------------------------------------------------------------ */

/* A file-level failure: the file is one frame that reports it. */
static void file_fails(source_file *f, const locus_error *e)
{
    f->status = e->status;
    f->failure = locus_error_keep(e); /* NULL: reported as out of memory */
}

static size_t read_head(int fd, unsigned char *buf, size_t n, int *error)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r == 0)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *error = errno;
            break;
        }
        got += (size_t)r;
    }
    return got;
}

static const unsigned char magic_png[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
static const unsigned char magic_tiff[4][4] = {
    {'I', 'I', 42, 0}, {'M', 'M', 0, 42}, {'I', 'I', 43, 0}, {'M', 'M', 0, 43}};

static const unsigned char magic_jpeg[3] = {0xff, 0xd8, 0xff};

/* SOURCE_PNG, _TIFF, _JPEG or _VIDEO by the first bytes, else SOURCE_BAD. */
static int kind_of(const unsigned char *b, size_t n, int *partial, int *container)
{
    *partial = 0;
    if ((*container = locus_videoio_probe(b, n)) != VIDEOIO_NONE)
        return SOURCE_VIDEO;
    if (n >= 3 && memcmp(b, magic_jpeg, 3) == 0)
        return SOURCE_JPEG; /* libjpeg reads the rest, and says if it ends early */
    size_t k = n < 8 ? n : 8;
    if (memcmp(b, magic_png, k) == 0) {
        *partial = n < 8;
        return SOURCE_PNG;
    }
    for (int i = 0; i < 4; i++) {
        k = n < 4 ? n : 4;
        if (memcmp(b, magic_tiff[i], k) == 0) {
            *partial = n < 8;
            return SOURCE_TIFF;
        }
    }
    return SOURCE_BAD;
}

static int scan_png(locus_source *src, source_file *f, const unsigned char *head, size_t n,
                    uint64_t file_bytes, locus_error *e)
{
    pngio_header h;
    int st = locus_pngio_parse_header(head, n, &h, f->path, e);
    if (!st && src->opts.volume) {
        st = locus_imageio_fail(e, LOCUS_E_SHAPE, f->path, "",
                                "needs a multi-page TIFF; this is a PNG");
        locus_error_name(e, "volume", NULL);
    }
    if (st)
        return st;
    f->nframes = 1;
    locus_error problem;
    if (locus_pngio_check(&h, src->opts.channel, f->path, NULL, &problem) ||
        locus_pngio_check_file_size(&h, file_bytes, f->path, &problem)) {
        f->problem = problem.status; /* reading will fail; remember why */
        f->problem_error = locus_error_keep(&problem);
    }
    return LOCUS_OK;
}

static int scan_jpeg(locus_source *src, source_file *f, int fd, locus_error *e)
{
    if (src->opts.volume) {
        locus_imageio_fail(e, LOCUS_E_SHAPE, f->path, "",
                           "needs a multi-page TIFF; this is a JPEG");
        locus_error_name(e, "volume", NULL);
        return LOCUS_E_SHAPE;
    }
    locus_error problem;
    int st = locus_jpegio_scan(fd, f->path, src->opts.channel, &problem, e);
    if (st)
        return st;
    f->nframes = 1;
    if (problem.status) {
        f->problem = problem.status; /* reading will fail; remember why */
        f->problem_error = locus_error_keep(&problem);
    }
    return LOCUS_OK;
}

static int scan_tiff(locus_source *src, source_file *f, int fd, locus_error *e)
{
    int st = locus_tiffio_scan(fd, f->path, src->opts.channel, src->opts.volume, &f->pages, e);
    f->nframes = src->opts.volume && st ? 0 : locus_tiffio_frames(&f->pages, src->opts.volume);
    f->problem = f->pages.first_status;
    f->problem_error = f->pages.first_error;
    f->pages.first_error = NULL; /* now the file's */
    return st;
}

static int scan_video(locus_source *src, source_file *f, int fd, int container, locus_error *e)
{
    if (src->opts.volume) {
        locus_imageio_fail(e, LOCUS_E_SHAPE, f->path, "",
                           "needs a multi-page TIFF; this is a video");
        locus_error_name(e, "volume", NULL);
        return LOCUS_E_SHAPE;
    }
    int st =
        locus_videoio_scan(fd, f->path, container, src->opts.channel, src->opts.luma, &f->video, e);
    f->nframes = f->video.nframes;
    f->problem = f->video.first_status;
    f->problem_error = f->video.first_error;
    f->video.first_error = NULL; /* now the file's */
    return st;
}

static int scan_open_file(locus_source *src, source_file *f, int fd, locus_error *e)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return locus_error_errno(e, f->path, errno, NULL);
    if (!S_ISREG(sb.st_mode))
        return locus_imageio_fail(e, LOCUS_E_IO, f->path, "", "not a regular file");
    if (sb.st_size == 0)
        return locus_imageio_fail(e, LOCUS_E_IO, f->path, "", "file is empty");
    unsigned char head[33];
    int rerr = 0, partial, container;
    size_t n = read_head(fd, head, sizeof head, &rerr);
    if (rerr)
        return locus_error_errno(e, f->path, rerr, "read error");
    f->kind = kind_of(head, n, &partial, &container);
    if (f->kind == SOURCE_BAD)
        return locus_imageio_fail(e, LOCUS_E_FORMAT, f->path, "",
                                  "not a PNG, TIFF or JPEG image, nor an AVI, MP4, MOV or MKV "
                                  "video");
    if (f->kind == SOURCE_VIDEO)
        return scan_video(src, f, fd, container, e);
    if (partial)
        return locus_imageio_fail(e, LOCUS_E_FORMAT, f->path, "",
                                  "truncated %s (header ends early)",
                                  f->kind == SOURCE_PNG ? "PNG" : "TIFF");
    if (f->kind == SOURCE_JPEG)
        return scan_jpeg(src, f, fd, e);
    return f->kind == SOURCE_PNG ? scan_png(src, f, head, n, (uint64_t)sb.st_size, e)
                                 : scan_tiff(src, f, fd, e);
}

static void scan_file(locus_source *src, source_file *f)
{
    locus_error e;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int st = fd < 0 ? locus_error_errno(&e, f->path, errno, NULL) : scan_open_file(src, f, fd, &e);
    if (fd >= 0)
        close(fd);
    if (st)
        file_fails(f, &e);
}

/* The first problem in frame order, for locus_source_check. */
static void note_first_problem(locus_source *src, const source_file *f)
{
    if (src->first.status)
        return;
    if (f->problem)
        locus_error_restore(&src->first, f->problem_error, f->problem);
    else if (f->status)
        locus_error_restore(&src->first, f->failure, f->status);
}

/*
 * Whether an earlier multi-file OME-TIFF of the source already reads
 * file i (its set lists the file): a pattern that matches every file of
 * a set then reads the set once, from its first file.
 */
static int in_earlier_set(const locus_source *src, size_t i)
{
    char *me = NULL;
    int found = 0;
    for (size_t k = 0; k < i && !found; k++) {
        const tiffio_pages *p = &src->files[k].pages;
        for (size_t s = 0; s < p->nset && !found; s++) {
            if (!me && !(me = realpath(src->files[i].path, NULL)))
                return 0;
            char *r = realpath(p->set[s].path, NULL);
            found = r && strcmp(r, me) == 0;
            free(r);
        }
    }
    free(me);
    return found;
}

/* A file read as part of an earlier one's set: no frames of its own. */
static void drop_file(source_file *f)
{
    f->kind = SOURCE_TIFF;
    f->nframes = 0;
}

static void scan_files(locus_source *src)
{
    src->nframes = 0;
    int sets = 0;
    for (size_t i = 0; i < src->nfiles; i++) {
        source_file *f = &src->files[i];
        /* (checked first: scanning a set's file would scan the whole set again) */
        if (sets && in_earlier_set(src, i))
            drop_file(f);
        else
            scan_file(src, f);
        sets |= f->pages.nset > 0;
        f->first = src->nframes;
        src->nframes += f->nframes + (f->status ? 1 : 0);
        note_first_problem(src, f);
    }
}

/* ------------------------------------------------------------------ */
/* The public face                                                     */
/* ------------------------------------------------------------------ */

/* How files become frames: the options, each defined once (see
 * common/settings.h). */
static const setting source_settings[] = {
    {{"channel", LOCUS_PARAM_INT, "N",
      "colour channel to use: 0 red, 1 green, 2 blue, 3 alpha (colour images need one)", 0},
     offsetof(locus_source_opts, channel),
     sizeof(int),
     SETTING_INTEGER | SETTING_HAS_MIN,
     0,
     0,
     -1,
     NULL},
    {{"volume", LOCUS_PARAM_FLAG, NULL, "each multi-page TIFF is one 3-D image (z, y, x)", 0},
     offsetof(locus_source_opts, volume),
     sizeof(int),
     0,
     0,
     0,
     0,
     NULL},
    {{"luma", LOCUS_PARAM_FLAG, NULL,
      "a colour (YUV) video's luma plane, as stored, instead of a channel of its RGB conversion",
      0},
     offsetof(locus_source_opts, luma),
     sizeof(int),
     0,
     0,
     0,
     0,
     NULL},
};

const setting_table locus_source_settings = {source_settings,
                                             sizeof source_settings / sizeof *source_settings};

void locus_source_opts_init(locus_source_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < locus_source_settings.count; i++)
        locus_setting_set(&source_settings[i], o, NULL, 0, NULL);
}

int locus_source_open(locus_source **out, const char *const *inputs, size_t ninputs,
                      const locus_source_opts *opts, locus_error *err)
{
    if (!out)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_source_open: no place for the result");
    *out = NULL;
    locus_source_opts defaults;
    locus_source_opts_init(&defaults);
    if (!opts)
        opts = &defaults;
    int st = locus_settings_check_all(&locus_source_settings, opts, err);
    if (st == LOCUS_OK && opts->luma && opts->channel >= 0)
        st = locus_error_param(err, "luma", "channel",
                               "and a " LOCUS_ERROR_OTHER " exclude each other");
    if (st)
        return st;
    if (ninputs == 0 || !inputs)
        return locus_error_set(err, LOCUS_E_PARAM, "no input files");
    locus_source *src = calloc(1, sizeof *src);
    if (!src)
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    src->opts = *opts;
    for (size_t i = 0; !st && i < ninputs; i++)
        st = inputs[i] ? source_add_input(src, inputs[i], err)
                       : locus_error_set(err, LOCUS_E_PARAM, "input %zu is NULL", i);
    if (!st)
        scan_files(src);
    if (!st && src->nframes == 0)
        st = locus_error_set(err, LOCUS_E_PARAM, "no frames in the input files");
    if (st) {
        locus_source_free(src);
        return st;
    }
    locus_error_clear(err);
    *out = src;
    return LOCUS_OK;
}

void locus_source_free(locus_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->nfiles; i++) {
        free(src->files[i].path);
        free(src->files[i].failure);
        free(src->files[i].problem_error);
        locus_tiffio_pages_free(&src->files[i].pages);
        locus_videoio_index_free(&src->files[i].video);
    }
    free(src->files);
    free(src);
}

size_t locus_source_frames(const locus_source *src)
{
    return src ? src->nframes : 0;
}

size_t locus_source_files(const locus_source *src)
{
    return src ? src->nfiles : 0;
}

int locus_source_ndim(const locus_source *src)
{
    return src && src->opts.volume ? 3 : 2;
}

/* The file holding a frame: the last one whose first frame is <= frame. */
static const source_file *file_of(const locus_source *src, size_t frame)
{
    size_t lo = 0, hi = src->nfiles;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (src->files[mid].first <= frame)
            lo = mid;
        else
            hi = mid;
    }
    return &src->files[lo];
}

const char *locus_source_path(const locus_source *src, size_t frame)
{
    if (!src || frame >= src->nframes)
        return NULL;
    return file_of(src, frame)->path;
}

int locus_source_check(const locus_source *src, locus_error *err)
{
    if (!src)
        return locus_error_set(err, LOCUS_E_PARAM, "no source");
    if (err)
        *err = src->first;
    return src->first.status;
}

locus_reader *locus_reader_create(void)
{
    return calloc(1, sizeof(locus_reader));
}

void locus_reader_free(locus_reader *rd)
{
    if (!rd)
        return;
    locus_mem_release(&rd->pixels, &rd->pixels_cap);
    locus_mem_release(&rd->scratch, &rd->scratch_cap);
    locus_mem_release(&rd->rows, &rd->rows_cap);
    locus_mem_release(&rd->io, &rd->io_cap);
    locus_pngio_release(rd);
    locus_tiffio_handle_free(rd->tiff);
    locus_videoio_handle_free(rd->video);
    free(rd);
}

int locus_source_read(const locus_source *src, size_t frame, locus_reader *rd, locus_image *img,
                      locus_error *err)
{
    if (!src || !rd || !img)
        return locus_error_set(err, LOCUS_E_PARAM, "locus_source_read: missing argument");
    if (frame >= src->nframes)
        return locus_error_set(err, LOCUS_E_PARAM,
                               "frame %zu out of range (the source has %zu frames)", frame,
                               src->nframes);
    const source_file *f = file_of(src, frame);
    size_t k = frame - f->first;
    if (k >= f->nframes)
        return locus_error_restore(err, f->failure, f->status);
    int st;
    if (f->kind == SOURCE_VIDEO && f->problem) /* found at open: every frame has it */
        st = locus_error_restore(err, f->problem_error, f->problem);
    else if (f->kind == SOURCE_VIDEO)
        st = locus_videoio_read(f->path, &f->video, k, src->opts.channel, src->opts.luma, rd, img,
                                err);
    else if (f->kind == SOURCE_PNG)
        st = locus_pngio_read(f->path, src->opts.channel, rd, img, err);
    else if (f->kind == SOURCE_JPEG)
        st = locus_jpegio_read(f->path, src->opts.channel, rd, img, err);
    else
        st = locus_tiffio_read(f->path, &f->pages, k, src->opts.volume, src->opts.channel, rd, img,
                               err);
    if (!st)
        locus_error_clear(err);
    return st;
}

static int frames_get(void *user, size_t frame, void **scratch, locus_image *img, locus_error *err)
{
    if (!*scratch && !(*scratch = locus_reader_create()))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    return locus_source_read(user, frame, *scratch, img, err);
}

static void frames_release(void *user, void *scratch)
{
    (void)user;
    locus_reader_free(scratch);
}

/* "PATH", or "PATH: page K" for a page of a multi-page TIFF, as in errors. */
static void frames_name(void *user, size_t frame, char *buf, size_t n)
{
    const locus_source *src = user;
    if (!n)
        return;
    if (!src || frame >= src->nframes) {
        snprintf(buf, n, "frame %zu", frame);
        return;
    }
    const source_file *f = file_of(src, frame);
    const char *file = f->path;
    uint64_t page = 0;
    int labelled = f->kind == SOURCE_TIFF && !src->opts.volume && frame - f->first < f->nframes &&
                   locus_tiffio_frame_page(&f->pages, f->path, frame - f->first, &file, &page) == 0;
    if (labelled && (f->pages.multi || file != f->path))
        snprintf(buf, n, "%s: page %llu", file, (unsigned long long)page);
    else if (f->kind == SOURCE_VIDEO)
        snprintf(buf, n, "%s: frame %zu", f->path, frame - f->first);
    else
        snprintf(buf, n, "%s", file);
}

locus_frames locus_source_frames_of(const locus_source *src)
{
    locus_frames fr = {.nframes = locus_source_frames(src),
                       .user = (void *)src, /* only ever read through */
                       .get = frames_get,
                       .release = frames_release,
                       .name = frames_name};
    return fr;
}

/*
 * The `locate --annotate DIR` hook: see annotate_frame.h.
 */
#include "annotate_frame.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* The locate hook                                                     */
/* ------------------------------------------------------------------ */

static int make_dir(const char *dir, locus_error *err)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return LOCUS_OK;
    return cli_error(err, LOCUS_E_IO, "--annotate: %s: cannot create the directory: %s", dir,
                     errno == EEXIST ? "a file has that name" : strerror(errno));
}

int annotate_hook_open(annotate_hook *h, const locate_options *o, const locus_source *src,
                       locus_error *err)
{
    memset(h, 0, sizeof *h);
    if (!o->annotate_dir)
        return LOCUS_OK;
    int rc =
        parse_frame_list(o->annotate_frames ? o->annotate_frames : "0", &h->frames, &h->nframes);
    if (rc) /* the options were checked when parsed: only memory can fail */
        return cli_error(err, LOCUS_E_NOMEM, "out of memory");
    size_t last = h->frames[h->nframes - 1], have = locus_source_frames(src);
    if (last >= have)
        return cli_error(err, LOCUS_E_PARAM,
                         "--annotate-frames: no frame %zu: the input has %zu frame%s", last, have,
                         have == 1 ? "" : "s");
    h->dir = o->annotate_dir;
    h->src = src;
    locus_annotate_opts_init(&h->style);
    h->style.invert = o->params.invert;
    h->style.fallback_diameter = o->params.diameter;
    h->style.table = "--annotate";
    if (!(h->rd = locus_reader_create()))
        return cli_error(err, LOCUS_E_NOMEM, "out of memory");
    return make_dir(h->dir, err);
}

/* Whether frame is in the sorted list. */
static int wanted(const annotate_hook *h, size_t frame)
{
    size_t lo = 0, hi = h->nframes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->frames[mid] < frame)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->nframes && h->frames[lo] == frame;
}

int annotate_hook_frame(annotate_hook *h, size_t frame, const locus_table *t, locus_error *err)
{
    if (!h->dir || !t || !wanted(h, frame))
        return LOCUS_OK;
    locus_image img;
    int rc = locus_source_read(h->src, frame, h->rd, &img, err);
    if (rc != LOCUS_OK)
        return rc;
    size_t n = strlen(h->dir) + 32;
    char *path = malloc(n);
    if (!path)
        return cli_error(err, LOCUS_E_NOMEM, "out of memory");
    snprintf(path, n, "%s/frame_%04zu.png", h->dir, frame);
    locus_picture pic;
    rc = locus_annotate(&img, t, &h->style, &pic, NULL, err); /* volumes: the middle slice */
    if (rc == LOCUS_OK)
        rc = locus_picture_write_png(&pic, path, err);
    locus_picture_free(&pic);
    free(path);
    return rc;
}

void annotate_hook_close(annotate_hook *h)
{
    free(h->frames);
    locus_reader_free(h->rd);
    memset(h, 0, sizeof *h);
}

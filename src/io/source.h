/* The inside of a locus_source, shared by source.c and source_pack.c. */
#ifndef LOCUS_SOURCE_H
#define LOCUS_SOURCE_H

#include "io/imageio.h"

enum { SOURCE_BAD, SOURCE_PNG, SOURCE_TIFF, SOURCE_JPEG, SOURCE_VIDEO };

typedef struct {
    char *path;
    int kind;
    size_t first;               /* its first frame */
    size_t nframes;             /* frames that decode (or at least try to) */
    int status;                 /* a file-level failure: one more frame, that fails */
    locus_error *failure;       /* what it was (NULL with a status: out of memory) */
    int problem;                /* the first frame-level problem (e.g. a colour image */
    locus_error *problem_error; /* without a channel): its frames fail */
    tiffio_pages pages;
    videoio_index video; /* SOURCE_VIDEO: its frames and keyframes */
} source_file;

struct locus_source {
    source_file *files;
    size_t nfiles, cap;
    size_t nframes;
    locus_source_opts opts;
    locus_error first; /* the first problem found while opening */
};

#endif

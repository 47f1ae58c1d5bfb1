/* `locate` options, shared by `locus locate` and `locus-mpi locate`. */
#ifndef LOCUS_CLI_OPTIONS_H
#define LOCUS_CLI_OPTIONS_H

#include "locus.h"

/* Frames per chunk: the unit of checkpoints and of MPI work. Fixed (not
 * derived from the number of ranks) so a checkpoint made by one run
 * fits a rerun on any number of ranks or threads. */
#define DEFAULT_CHUNK 16

typedef struct {
    locus_params params;
    locus_source_opts source;
    const char *output; /* NULL: standard output */
    int threads;        /* 0: one per core */
    int progress;       /* -1: when stderr is a terminal, 0 off, 1 on */
    int quiet;
    int skip_bad;
    const char *checkpoint; /* directory, or NULL */
    size_t chunk;           /* frames per chunk (checkpoints, MPI work units) */
    char **inputs;
    int ninputs;
    /* --annotate DIR: draw the frames of --annotate-frames (a list like
     * "0,10,20-30"; NULL: frame 0) with their features, as PNG files in
     * DIR. Only `locus locate` does; locus-mpi refuses the option. */
    const char *annotate_dir;
    const char *annotate_frames;
} locate_options;

/*
 * Parse `locate` arguments (argv[0] is "locate"). Returns -1 to go on,
 * or an exit status: 0 after --help, 2 after a usage error (reported on
 * stderr as "PROG: OPTION: reason").
 */
int locate_options_parse(const char *prog, int argc, char **argv, locate_options *o);

/* Print "PROG: message" for a library error, naming options as the
 * command line spells them (noise_size → --noise-size). */
void report_error(const char *prog, const locus_error *err);

/* Strict number parsing: the whole string, finite, in range. 0 or -1. */
int parse_double(const char *s, double *out);
int parse_long(const char *s, long min, long max, long *out);
/* "13" or "5,9,9": one to three comma-separated numbers. 0 or -1. */
int parse_axes(const char *s, locus_axes *out);

/*
 * A list of frame numbers like "0,10,20-30": sorted, without repeats, at
 * most FRAME_LIST_MAX of them, each up to 10^9. Returns 0 with *list
 * (to free) and *n, -1 if s is not such a list, -2 out of memory.
 */
#define FRAME_LIST_MAX 100000
int parse_frame_list(const char *s, size_t **list, size_t *n);

#endif

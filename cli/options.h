/*
 * The command line, parsed one way for every command. A command lists
 * its options in sections; a section is either the command's own options
 * or a group of the library's parameters (locus_param_at), which become
 * options by themselves: noise_size is --noise-size, a flag on by default
 * (preprocess) is --no-preprocess. The help text, the errors for unknown
 * options, missing values and values given to switches, and the names of
 * options in the library's error messages all come from here.
 */
#ifndef LOCUS_CLI_OPTIONS_H
#define LOCUS_CLI_OPTIONS_H

#include "locus.h"

#include <stddef.h>

/* Frames per chunk: the unit of checkpoints and of MPI work. Fixed (not
 * derived from the number of ranks) so a checkpoint made by one run
 * fits a rerun on any number of ranks or threads. */
#define DEFAULT_CHUNK 16

/* One of a command's own options. */
typedef struct {
    const char *name;  /* long name, without "--" */
    char letter;       /* short option, or 0 */
    const char *value; /* the value's name in the help; NULL: a switch */
    const char *help;  /* "\n" starts a continuation line */
    int id;            /* what the command's handler switches on */
} cli_option;

/* A section of options: the command's own, or a library group. */
typedef struct {
    const char *title;
    const cli_option *options; /* the command's own (count of them) */
    int count;
    int group;               /* else: a locus_param_group whose parameters are options */
    size_t target;           /* offsetof the group's struct in the command's options */
    const char *const *only; /* of the group, only these (NULL-terminated); NULL: all */
    char letter_of_first;    /* a short option for the group's first parameter ('d') */
} cli_section;

/* Apply one of the command's own options; -1 to go on, or an exit status
 * (after printing the error). */
typedef int (*cli_handler)(void *options, int id, const char *arg, const char *prog);

typedef struct {
    const char *prog;     /* "locus locate" */
    const char *synopsis; /* after "usage: PROG " */
    const char *about;    /* between the usage line and the options */
    const char *footer;   /* after the options (the exit status) */
    const cli_section *sections;
    int nsections;
    cli_handler handle;
} cli_command;

/*
 * Parse argv (argv[0] is the command's name) into options. Returns -1 to
 * go on, with *first the index of the first operand; or an exit status:
 * 0 after --help, 2 after a usage error (printed as one line).
 */
int cli_parse(const cli_command *cmd, int argc, char **argv, void *options, int *first);

/* Print "PROG: " and the error's sentence, parameters named as options. */
void cli_report(const char *prog, const locus_error *err);
/* The exit status for a library status (README's table). */
int cli_exit_status(int status);

/* A whole number in [min, max] or a number (finite; inf when allow_inf)
 * for option `opt`: -1, or EXIT_USAGE after printing why. */
int cli_whole(const char *prog, const char *opt, const char *arg, long min, long max, long *out);
int cli_real(const char *prog, const char *opt, const char *arg, int allow_inf, double *out);
/* Fill err with a status and a reason of the command's own (the
 * library's errors come filled); returns the status. */
int cli_error(locus_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "PROG: OPT: reason" and EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *opt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A list of frame numbers like "0,10,20-30": sorted, without repeats, at
 * most FRAME_LIST_MAX of them, each up to 10^9. Returns 0 with *list
 * (to free) and *n, -1 if s is not such a list, -2 out of memory.
 */
#define FRAME_LIST_MAX 100000
int parse_frame_list(const char *s, size_t **list, size_t *n);

/* ------------------------------------------------------------------ */
/* `locate`, shared by `locus locate`, `locus track` and locus-mpi     */
/* ------------------------------------------------------------------ */

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
 * Parse `locate` arguments (argv[0] is "locate"). prog is how the program
 * names itself ("locus locate", "locus-mpi locate"). Returns -1 to go on,
 * or an exit status (0 after --help).
 */
int locate_options_parse(const char *prog, int argc, char **argv, locate_options *o);

/* ------------------------------------------------------------------ */
/* The linking options, shared by `locus link` and `locus track`       */
/* ------------------------------------------------------------------ */

typedef struct {
    locus_link_params params;
    const char *guess, *guess_file; /* --predict-guess, --predict-guess-file */
    const char *flow_axis;          /* --channel-flow-axis */
} link_setup;

/* Option ids from here on are the linking options' (link_option). */
enum { LINK_OPTION_FIRST = 100 };
#define LINK_SECTIONS 3

/* The linking options' sections, for a link_setup at offset `base` of a
 * command's options; writes LINK_SECTIONS sections. */
void link_sections(cli_section *out, size_t base);
/* Apply one (id >= LINK_OPTION_FIRST) to l: -1, or an exit status. */
int link_option(link_setup *l, int id, const char *arg, const char *prog);
/* Defaults (trackpy's). */
void link_setup_init(link_setup *l);
/* Options that depend on each other: -1, or EXIT_USAGE after saying why. */
int link_setup_check(const char *prog, const link_setup *l);

/* ------------------------------------------------------------------ */
/* `track`: locate's options and linking's, shared with locus-mpi      */
/* ------------------------------------------------------------------ */

typedef struct {
    locate_options locate; /* first: locate's sections apply as they are */
    link_setup link;
} track_options;

int track_options_parse(const char *prog, int argc, char **argv, track_options *o);

#endif

/*
 * `locus link`: join the features of a CSV table into trajectories, as
 * trackpy's link does (docs/LINKING.md), and write the table back with a
 * `particle` column. The job is run/link_csv.c's; this parses and prints.
 */
#include "commands.h"
#include "options.h"
#include "progress.h"
#include "run/run.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "locus link"

static const char link_about[] =
    "Link features into trajectories, with the same result as trackpy's\n"
    "link(f, search_range, ...): the same partition of rows into trajectories.\n"
    "The output is every input row, every column as it was written, sorted by\n"
    "frame (input order within a frame), plus a `particle` column (an existing\n"
    "`particle` column is overwritten in place). Trajectory IDs are canonical:\n"
    "numbered 0, 1, 2, ... by their first row in that order. With a predictor\n"
    "(trackpy.predict, linked as pred.link_df), frames without rows are\n"
    "skipped and memory counts the frames present.\n";

static const char link_footer[] =
    "exit status: 0 success, 1 internal error, 2 bad usage, a bad table\n"
    "(FILE:LINE: reason) or an oversize subnet with --oversize raise.\n";

enum {
    OPT_MIN_LENGTH = 1,
    OPT_POS,
    OPT_TCOL,
    OPT_OUTPUT,
    OPT_PROGRESS,
    OPT_QUIET,
};

static const cli_option link_own[] = {
    {"min-length", 0, "N",
     "keep only trajectories of at least N rows (trackpy's filter_stubs; IDs are kept)",
     OPT_MIN_LENGTH},
};

static const cli_option io_own[] = {
    {"pos-columns", 0, "LIST",
     "the position columns (default z,y,x when the table has z, else y,x; any 1 to 3)", OPT_POS},
    {"t-column", 0, "NAME",
     "the frame column (default frame); numbers are truncated toward zero (2.7 -> 2)", OPT_TCOL},
    {"output", 'o', "FILE",
     "write the table to FILE (default: standard output); nothing is written when linking fails",
     OPT_OUTPUT},
    {"progress", 0, NULL, "show progress on stderr (default: when it is a terminal)", OPT_PROGRESS},
    {"quiet", 0, NULL, "no progress, no summary", OPT_QUIET},
};

typedef struct {
    link_setup link;
    locus_link_csv_opts job;
    char pos_buf[256];
    const char *pos[3];
    int progress, quiet;
} link_options;

/* "z,y,x": one to three column names. */
static int parse_pos_columns(const char *prog, const char *arg, link_options *o)
{
    if (strlen(arg) >= sizeof o->pos_buf)
        return cli_usage_error(prog, "--pos-columns", "'%.40s...' is too long", arg);
    strcpy(o->pos_buf, arg);
    o->job.npos = 0;
    for (char *p = o->pos_buf;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (!*p || o->job.npos == 3)
            return cli_usage_error(prog, "--pos-columns",
                                   "'%s' is not a list of 1 to 3 column names", arg);
        o->pos[o->job.npos++] = p;
        if (!c)
            break;
        p = c + 1;
    }
    o->job.pos_columns = o->pos;
    return -1;
}

static int link_cmd_option(void *options, int id, const char *arg, const char *prog)
{
    link_options *o = options;
    switch (id) {
    case OPT_MIN_LENGTH:
        return cli_whole(prog, "--min-length", arg, 0, 1000000000000L, &o->job.min_length);
    case OPT_POS:
        return parse_pos_columns(prog, arg, o);
    case OPT_TCOL:
        o->job.t_column = arg;
        return -1;
    case OPT_OUTPUT:
        o->job.output = arg;
        return -1;
    case OPT_PROGRESS:
        o->progress = 1;
        return -1;
    case OPT_QUIET:
        o->quiet = 1;
        o->progress = 0;
        return -1;
    default:
        return link_option(&o->link, id, arg, prog);
    }
}

static int parse_args(int argc, char **argv, link_options *o)
{
    memset(o, 0, sizeof *o);
    link_setup_init(&o->link);
    o->progress = -1;
    cli_section sections[LINK_SECTIONS + 2];
    link_sections(sections, offsetof(link_options, link));
    /* --min-length goes with the linking options, before prediction */
    memmove(sections + 2, sections + 1, (LINK_SECTIONS - 1) * sizeof *sections);
    sections[1] = (cli_section){sections[0].title, link_own, 1, 0, 0, NULL, 0};
    sections[LINK_SECTIONS + 1] =
        (cli_section){"input and output", io_own, sizeof io_own / sizeof *io_own, 0, 0, NULL, 0};
    const cli_command cmd = {
        PROG,           "FEATURES.csv --search-range R [options] [-o TRACKS.csv]",
        link_about,     link_footer,
        sections,       LINK_SECTIONS + 2,
        link_cmd_option};
    int first, rc = cli_parse(&cmd, argc, argv, o, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 1) {
        fprintf(stderr, PROG ": give one FEATURES.csv (try locus link --help)\n");
        return EXIT_USAGE;
    }
    o->job.input = argv[first];
    o->job.guess = o->link.guess;
    o->job.guess_file = o->link.guess_file;
    o->job.flow_axis = o->link.flow_axis;
    return link_setup_check(PROG, &o->link);
}

static void on_progress(void *user, size_t done, size_t total)
{
    progress_update(user, done, total);
}

static void print_summary(const link_options *o, const locus_link_csv_result *r, double secs)
{
    const locus_link_stats *s = &r->stats;
    /* said even with --quiet: it warns that trackpy would have failed */
    if (s->oversize)
        fprintf(stderr,
                PROG ": %llu subnet%s larger than trackpy's limit %s solved exactly (largest: "
                     "%llu sources); trackpy would fail (--oversize raise does)\n",
                (unsigned long long)s->oversize, s->oversize == 1 ? "" : "s",
                s->oversize == 1 ? "was" : "were", (unsigned long long)s->largest_oversize);
    if (o->quiet)
        return;
    fprintf(stderr, PROG ": %zu frames, %zu features, %llu trajectories, %.2f s, %.0f features/s\n",
            r->frames, r->rows, (unsigned long long)s->trajectories, secs,
            secs > 0 ? (double)r->rows / secs : 0.0);
}

int cmd_link(int argc, char **argv)
{
    link_options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    double t0 = progress_now();
    int show = o.progress < 0 ? isatty(STDERR_FILENO) : o.progress;
    progress_meter *m = show && !o.quiet ? progress_create(PROG) : NULL;
    if (m) {
        o.job.progress = on_progress;
        o.job.progress_user = m;
    }
    locus_link_csv_result result;
    locus_error err = {0};
    rc = locus_link_csv(&o.job, &o.link.params, &result, &err);
    progress_clear(m);
    progress_free(m);
    if (rc != LOCUS_OK) {
        cli_report(PROG, &err);
        return cli_exit_status(rc);
    }
    print_summary(&o, &result, progress_now() - t0);
    return EXIT_OK;
}

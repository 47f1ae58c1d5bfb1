/*
 * `locus track`: locate and link in one run. The frames are located as
 * `locus locate` does (locate_run) and the output's tracker links them
 * as they are written (run/track.c).
 */
#include "commands.h"
#include "options.h"
#include "run.h"

#include <stdio.h>
#include <stdlib.h>

#define PROG "locus track"

/* The tracker for this source: positions are locate's first columns. */
static int open_tracker(const track_options *o, const locus_source *src, locus_tracker **t)
{
    locus_link_params p = o->link.params;
    locus_error err = {0};
    double *guess = NULL;
    size_t chunk = o->locate.checkpoint ? o->locate.chunk : 1;
    int ndim = locus_source_ndim(src);
    int rc = locus_link_fit(&p, ndim, NULL, o->link.flow_axis, o->link.guess, o->link.guess_file,
                            &guess, &err);
    if (rc == LOCUS_OK)
        rc = locus_tracker_create(t, &p, chunk, locus_source_frames(src), &err);
    free(guess); /* the linker keeps its own copy */
    if (rc == LOCUS_OK)
        return -1;
    cli_report(PROG, &err);
    return cli_exit_status(rc);
}

/* What linking adds to locate's summary. */
static void print_link_summary(const track_options *o, const locus_tracker *t)
{
    locus_link_stats s;
    locus_tracker_stats(t, &s);
    if (s.oversize)
        fprintf(stderr,
                PROG ": %llu subnet%s larger than trackpy's limit %s solved exactly (largest: "
                     "%llu sources); trackpy would fail (--oversize raise does)\n",
                (unsigned long long)s.oversize, s.oversize == 1 ? "" : "s",
                s.oversize == 1 ? "was" : "were", (unsigned long long)s.largest_oversize);
    if (!o->locate.quiet)
        fprintf(stderr, PROG ": %llu trajectories\n", (unsigned long long)s.trajectories);
}

int cmd_track(int argc, char **argv)
{
    track_options o;
    int rc = track_options_parse(PROG, argc, argv, &o);
    if (rc >= 0)
        return rc;
    locus_source *src = NULL;
    locus_tracker *t = NULL;
    if ((rc = run_open_source(PROG, &o.locate, &src)) >= 0)
        return rc;
    if ((rc = open_tracker(&o, src, &t)) < 0) {
        rc = locate_run(PROG, &o.locate, src, t);
        if (rc == EXIT_OK || rc == EXIT_SKIPPED)
            print_link_summary(&o, t);
    }
    locus_tracker_free(t);
    locus_source_free(src);
    return rc;
}

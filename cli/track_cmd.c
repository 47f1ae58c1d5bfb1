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
    /* the tracker's chunks are the output's: without a checkpoint every
     * frame goes out as soon as it is done (locate_run) */
    size_t chunk = o.locate.checkpoint ? o.locate.chunk : 1;
    if ((rc = run_open_tracker(PROG, &o, src, chunk, &t)) < 0) {
        rc = locate_run(PROG, &o.locate, src, t);
        if (rc == EXIT_OK || rc == EXIT_SKIPPED)
            run_link_summary(PROG, &o, t);
    }
    locus_tracker_free(t);
    locus_source_free(src);
    return rc;
}

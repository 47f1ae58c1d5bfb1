/* `locus`: dispatch to a subcommand. */
#include "commands.h"
#include "locus.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: locus COMMAND [options]\n"
                 "\n"
                 "Fast, exact particle tracking: trackpy's locate and link, in C.\n"
                 "\n"
                 "commands:\n"
                 "  locate   find features in image files, write a CSV table\n"
                 "  synth    write a synthetic movie with known positions\n"
                 "  annotate draw a frame with a ring around each feature (PNG)\n"
                 "  diag     mass, size, sub-pixel and per-frame plots of a table (PNG/SVG)\n"
                 "  link     join features into trajectories (trackpy's link)\n"
                 "  track    locate and link in one run (locate, then link)\n"
                 "\n"
                 "`locus COMMAND --help` describes a command's options.\n"
                 "  -h, --help       this help\n"
                 "  -V, --version    print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
        printf("locus %s\n", locus_version());
        return EXIT_OK;
    }
    if (!strcmp(cmd, "locate"))
        return cmd_locate(argc - 1, argv + 1);
    if (!strcmp(cmd, "synth"))
        return cmd_synth(argc - 1, argv + 1);
    if (!strcmp(cmd, "annotate"))
        return cmd_annotate(argc - 1, argv + 1);
    if (!strcmp(cmd, "diag"))
        return cmd_diag(argc - 1, argv + 1);
    if (!strcmp(cmd, "track"))
        return cmd_track(argc - 1, argv + 1);
    if (!strcmp(cmd, "link"))
        return cmd_link(argc - 1, argv + 1);
    fprintf(stderr, "locus: unknown command '%s' (try locus --help)\n", cmd);
    return EXIT_USAGE;
}

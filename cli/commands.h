/* The `locus` subcommands. Each returns the process exit status. */
#ifndef LOCUS_CLI_COMMANDS_H
#define LOCUS_CLI_COMMANDS_H

/* Exit codes (documented in README.md). */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_ = 1, /* internal error (out of memory, ...) */
    EXIT_USAGE = 2,    /* bad usage, or unreadable/unsupported input */
    EXIT_SKIPPED = 3,  /* finished, but --skip-bad skipped some frames */
};

int cmd_locate(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_annotate(int argc, char **argv);
int cmd_diag(int argc, char **argv);
int cmd_track(int argc, char **argv);
int cmd_link(int argc, char **argv);

#endif

/*
 * libFuzzer harness for the packed frame list (src/io/source_pack.c):
 * the bytes rank 0 of locus-mpi sends every other rank, turned back into
 * a locus_source. A damaged or hostile message must fail cleanly with a
 * status and an error, never crash, leak or read out of bounds.
 *
 * Checks, for a message that unpacks: every frame has a path; packing it
 * again and unpacking that gives the same bytes when packed a third time
 * (the format is a fixed point after one round); the frame count
 * survives the round trip. No frame is read: the paths inside a message
 * name files of the fuzzing machine.
 *
 * Seeds: `fuzz_pack -seeds DIR DATA` packs sources of the shared data
 * (one file, a directory, a glob, a missing file, volume and channel
 * modes) into DIR; build.sh does this before a run.
 */
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_pack: %s\n", what);
    abort();
}

static int pack_of(const locus_source *src, locus_buffer *b)
{
    memset(b, 0, sizeof *b);
    return locus_source_pack(src, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    locus_source *src = NULL;
    locus_error err = {0};
    int st = locus_source_unpack(&src, data, size, &err);
    if (st != LOCUS_OK) {
        if (src)
            fail("a failed unpack returned a source");
        if (!err.message[0])
            fail("a failed unpack gave no message");
        return 0;
    }
    size_t n = locus_source_frames(src);
    for (size_t i = 0; i < n && i < 4096; i++)
        if (!locus_source_path(src, i))
            fail("a frame without a path");
    locus_buffer once, twice;
    if (pack_of(src, &once) != LOCUS_OK)
        fail("an unpacked source does not pack");
    locus_source *again = NULL;
    if (locus_source_unpack(&again, once.data, once.len, &err) != LOCUS_OK)
        fail("a packed source does not unpack");
    if (locus_source_frames(again) != n)
        fail("the frame count changed in a round trip");
    if (pack_of(again, &twice) != LOCUS_OK || twice.len != once.len ||
        memcmp(twice.data, once.data, once.len) != 0)
        fail("packing is not a fixed point after one round");
    locus_buffer_free(&once);
    locus_buffer_free(&twice);
    locus_source_free(again);
    locus_source_free(src);
    return 0;
}

/* -seeds DIR DATA: write packed sources of DATA's files into DIR, then exit. */
static void write_seed(const char *dir, int k, const char *const *inputs, size_t n, int volume,
                       int channel)
{
    locus_source_opts o;
    locus_source_opts_init(&o);
    o.volume = volume;
    o.channel = channel;
    locus_source *src = NULL;
    locus_error err = {0};
    if (locus_source_open(&src, inputs, n, &o, &err) != LOCUS_OK)
        return;
    locus_buffer b;
    if (pack_of(src, &b) == LOCUS_OK) {
        char path[4200];
        snprintf(path, sizeof path, "%s/pack%02d", dir, k);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(b.data, 1, b.len, f);
            fclose(f);
        }
    }
    locus_buffer_free(&b);
    locus_source_free(src);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (*argc == 4 && !strcmp((*argv)[1], "-seeds")) {
        const char *dir = (*argv)[2], *data = (*argv)[3];
        char one[4096], two[4096], glob[4096], bw[4096], vol[4096], missing[4096];
        snprintf(bw, sizeof bw, "%s/bulk_water", data);
        snprintf(one, sizeof one, "%s/bulk_water/bulk_water_000.png", data);
        snprintf(two, sizeof two, "%s/bulk_water/bulk_water_001.png", data);
        snprintf(glob, sizeof glob, "%s/bulk_water/bulk_water_00*.png", data);
        snprintf(vol, sizeof vol, "%s/synthetic", data);
        snprintf(missing, sizeof missing, "%s/no-such-file.png", data);
        mkdir(dir, 0755);
        const char *a[] = {one}, *b[] = {one, two, one}, *c[] = {glob}, *d[] = {bw}, *e[] = {vol},
                   *f[] = {one, missing};
        write_seed(dir, 0, a, 1, 0, 0);
        write_seed(dir, 1, b, 3, 0, 1);
        write_seed(dir, 2, c, 1, 0, 0);
        write_seed(dir, 3, d, 1, 0, 2);
        write_seed(dir, 4, e, 1, 1, -1);
        write_seed(dir, 5, e, 1, 0, -1);
        write_seed(dir, 6, f, 2, 0, 0);
        exit(0);
    }
    return 0;
}

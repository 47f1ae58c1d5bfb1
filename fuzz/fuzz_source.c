/*
 * libFuzzer harness for sources of several files (src/io/source.c): frame
 * numbering across files, directories and glob patterns, missing files,
 * and the frames_of interface locus_batch uses.
 *
 * Input: one flags byte, then up to 6 files separated by "LCSF".
 *   flags & 3       inputs: 0 the files by name, 1 their directory,
 *                   2 the pattern DIR/f*, 3 the directory, a missing
 *                   file and the first file again
 *   flags & 4       volume mode
 *   (flags>>3) & 7  channel + 1 (-1 .. 3; larger values wrap to -1)
 * File i is DIR/fI.png or DIR/fI.tif (by its first byte, 'I' or 'M'
 * meaning TIFF), so names sort in input order.
 *
 * Checks: every frame names one of the inputs; frames come in input
 * order; each frame decodes (through locus_source_frames_of, as
 * locus_batch reads) exactly as the same frame of a source of that file
 * alone does; a frame read again backwards with a second reader gives the
 * same result; failures follow the rules in common.h with the frame's
 * file as the path.
 */
#include "common.h"

enum { MAXFILES = 6 };

static locus_reader *rd_single;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rd_single = locus_reader_create();
    return rd_single ? 0 : -1;
}

static char dir[300];
static char names[MAXFILES][400];

static void clear_dir(void)
{
    char p[400];
    for (int i = 0; i < MAXFILES; i++) {
        snprintf(p, sizeof p, "%s/f%d.png", dir, i);
        unlink(p);
        snprintf(p, sizeof p, "%s/f%d.tif", dir, i);
        unlink(p);
    }
}

/* Split the input into files; returns how many. */
static int write_files(const uint8_t *d, size_t n)
{
    int k = 0;
    size_t start = 0;
    while (k < MAXFILES) {
        size_t end = start;
        while (end + 4 <= n && memcmp(d + end, "LCSF", 4) != 0)
            end++;
        if (end + 4 > n)
            end = n;
        int tiff = end > start && (d[start] == 'I' || d[start] == 'M');
        snprintf(names[k], sizeof names[k], "%s/f%d.%s", dir, k, tiff ? "tif" : "png");
        fuzz_write(names[k], d + start, end - start);
        k++;
        if (end >= n)
            break;
        start = end + 4;
    }
    return k;
}

static int index_of(const char *path, int nfiles)
{
    for (int i = 0; i < nfiles; i++)
        if (!strcmp(path, names[i]))
            return i;
    return -1;
}

/* The same frame from a source of its file alone. */
static void read_alone(const char *path, size_t k, int channel, int volume, fuzz_result *r)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    const char *in[1] = {path};
    locus_error err;
    int st = locus_source_open(&src, in, 1, &o, &err);
    if (st)
        fuzz_fail("%s alone does not open (\"%s\") but opened in a list", path, err.message);
    if (k >= locus_source_frames(src))
        fuzz_fail("%s alone has %zu frames; frame %zu was of it", path, locus_source_frames(src),
                  k);
    fuzz_poison(rd_single, 0x5a);
    fuzz_read(src, k, rd_single, volume ? 3 : 2, path, r, "alone");
    locus_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trim(&rd_single);
    if (size < 1)
        return 0;
    int mode = data[0] & 3, volume = (data[0] >> 2) & 1, channel = ((data[0] >> 3) & 7) - 1;
    if (channel > 3)
        channel = -1;
    snprintf(dir, sizeof dir, "%s/d", fuzz_dir());
    mkdir(dir, 0700);
    clear_dir();
    int nfiles = write_files(data + 1, size - 1);
    for (int i = 0; i < nfiles; i++)
        if (fuzz_tiff_claims_too_much(names[i]))
            return 0; /* see common.h */

    const char *inputs[MAXFILES + 2];
    size_t ninputs = 0;
    char pattern[320], missing[320];
    snprintf(pattern, sizeof pattern, "%s/f*", dir);
    snprintf(missing, sizeof missing, "%s/missing.png", dir);
    if (mode == 0)
        for (int i = 0; i < nfiles; i++)
            inputs[ninputs++] = names[i];
    else if (mode == 1)
        inputs[ninputs++] = dir;
    else if (mode == 2)
        inputs[ninputs++] = pattern;
    else {
        inputs[ninputs++] = dir;
        inputs[ninputs++] = missing;
        inputs[ninputs++] = names[0];
    }

    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    locus_error err;
    int st = locus_source_open(&src, inputs, ninputs, &o, &err);
    if (st) {
        size_t len = strnlen(err.message, sizeof err.message);
        if (src || err.status != st || len == 0 || len == sizeof err.message ||
            strchr(err.message, '\n') ||
            (st != LOCUS_E_IO && st != LOCUS_E_PARAM && st != LOCUS_E_NOMEM))
            fuzz_fail("open: status %d, message \"%s\"", st, err.message);
        return 0;
    }
    size_t n = locus_source_frames(src);
    size_t want_files = mode == 3 ? (size_t)nfiles + 2 : (size_t)nfiles;
    if (locus_source_files(src) != want_files)
        fuzz_fail("%zu files in the source, expected %zu", locus_source_files(src), want_files);
    if (locus_source_check(src, &err)) {
        int from_input = 0;
        for (int i = 0; i < nfiles; i++)
            from_input |= !strncmp(err.message, names[i], strlen(names[i]));
        from_input |= !strncmp(err.message, missing, strlen(missing));
        if (!from_input)
            fuzz_fail("source check names no input: \"%s\"", err.message);
    }

    locus_frames fr = locus_source_frames_of(src);
    if (fr.nframes != n)
        fuzz_fail("frames_of has %zu frames, the source %zu", fr.nframes, n);
    void *fwd = NULL, *bwd = NULL;
    fuzz_result *res = calloc(n, sizeof *res);
    int last = mode == 3 ? -2 : -1; /* mode 3: the directory's files, then missing, then f0 */
    size_t k_in_file = 0;
    const char *prev = NULL;
    for (size_t f = 0; f < n; f++) {
        const char *path = locus_source_path(src, f);
        int idx = path ? index_of(path, nfiles) : -1;
        if (!path || (idx < 0 && strcmp(path, missing) != 0))
            fuzz_fail("frame %zu names \"%s\", not an input", f, path ? path : "(null)");
        k_in_file = prev && !strcmp(prev, path) ? k_in_file + 1 : 0;
        if (!prev || strcmp(prev, path) != 0) {
            if (mode != 3 && idx <= last)
                fuzz_fail("frame %zu is of file %d after file %d", f, idx, last);
            last = idx;
        }
        prev = path;
        char label[512];
        fr.name(fr.user, f, label, sizeof label);
        if (strncmp(label, path, strlen(path)) != 0)
            fuzz_fail("frame %zu is labelled \"%s\", its file is %s", f, label, path);
        if (!fwd && !(fwd = locus_reader_create()))
            abort();
        fuzz_poison(fwd, 0x00);
        res[f].status = fr.get(fr.user, f, &fwd, &res[f].img, &res[f].err);
        if (res[f].status)
            fuzz_check_error(res[f].status, &res[f].err, path, "list");
        else
            res[f].hash = fuzz_check_image(&res[f].img, volume ? 3 : 2, "list");
        fuzz_result alone;
        if (strcmp(path, missing) != 0) {
            read_alone(path, k_in_file, channel, volume, &alone);
            alone.img.data = res[f].img.data; /* compare by hash */
            fuzz_same(&res[f], &alone, "a frame in a list vs its file alone");
        }
    }
    for (size_t f = n; f-- > 0;) {
        fuzz_result b;
        if (!bwd && !(bwd = locus_reader_create()))
            abort();
        fuzz_poison(bwd, 0xff);
        memset(&b, 0, sizeof b);
        b.status = fr.get(fr.user, f, &bwd, &b.img, &b.err);
        if (!b.status)
            b.hash = fuzz_check_image(&b.img, volume ? 3 : 2, "backwards");
        res[f].img.data = b.img.data;
        fuzz_same(&res[f], &b, "forwards vs backwards");
    }
    fr.release(fr.user, fwd);
    fr.release(fr.user, bwd);
    free(res);
    locus_source_free(src);
    return 0;
}

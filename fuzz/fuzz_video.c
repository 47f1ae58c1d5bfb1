/*
 * libFuzzer harness for video files (src/io/video_read.c through
 * src/io/source.c): the container probe, the packet index built at open,
 * seeking with its checks and fallbacks, decoding, pixel conversion and
 * the error paths, on whatever bytes libavformat and libavcodec are given.
 *
 * Input: the file's bytes. It is written to a file on tmpfs (the reader
 * reads through its own descriptor with pread, as in use) and opened with
 * --luma; a video with no luma plane (RGB) is opened again with channel 1.
 *
 * Checks: what common.h checks of every open and read (statuses, one-line
 * messages naming the file, valid images within the limits); reading in
 * order is deterministic (a second reader gets the same statuses,
 * messages and pixels); a frame read in a shuffled order by a third
 * reader is what in-order reading gives or, failing that, exactly what a
 * fresh reader seeking straight to it gives (status, message, pixels).
 * Every frame's decoding starts afresh at its keyframe, so on sound
 * streams the three agree (tests/io/test_video.c and test_video.py
 * require it); on damaged ones, reaching a keyframe by seeking or by
 * reading on can still make a difference FFmpeg does not report.
 *
 * FFmpeg's own allocations are capped at 256 MiB (av_max_alloc, here in
 * the harness only), so a header claiming a huge frame costs a refused
 * allocation, not gigabytes under ASan.
 */
#include "common.h"

#include <libavutil/mem.h>

enum { FUZZ_MAX_FRAMES = 12 };

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    av_max_alloc((size_t)256 << 20);
    return 0;
}

static uint64_t fuzz_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int same_result(const fuzz_result *a, const fuzz_result *b)
{
    if (a->status || b->status)
        return a->status == b->status && !strcmp(a->err.message, b->err.message);
    return a->img.dtype == b->img.dtype && a->img.shape[0] == b->img.shape[0] &&
           a->img.shape[1] == b->img.shape[1] &&
           memcmp(a->img.data, b->img.data, fuzz_image_bytes(&a->img)) == 0;
}

/*
 * Frame k read by reader rd (in a shuffled sequence): as in order, or
 * else exactly as a fresh reader seeking straight to it reads it.
 */
static void check_shuffled(const locus_source *src, const char *path, locus_reader *rd, size_t k,
                           const fuzz_result *want)
{
    fuzz_result r, s;
    char what[80];
    fuzz_read(src, k, rd, 2, path, &r, "shuffled");
    if (same_result(want, &r))
        return;
    void *copy = NULL;
    if (!r.status) {
        size_t bytes = fuzz_image_bytes(&r.img);
        if (!(copy = malloc(bytes)))
            abort();
        memcpy(copy, r.img.data, bytes);
        r.img.data = copy;
    }
    locus_reader *fresh = locus_reader_create();
    fuzz_read(src, k, fresh, 2, path, &s, "fresh");
    snprintf(what, sizeof what, "frame %zu shuffled (not as in order) vs a fresh reader", k);
    fuzz_same(&r, &s, what);
    locus_reader_free(fresh);
    free(copy);
}

/* Frames 0..n-1: in order by two readers, shuffled by a third. */
static void read_both_ways(const locus_source *src, const char *path, size_t n, uint64_t seed)
{
    static fuzz_result in_order[FUZZ_MAX_FRAMES];
    static void *kept[FUZZ_MAX_FRAMES];
    locus_reader *a = locus_reader_create(), *b = locus_reader_create();
    if (!a || !b)
        abort();
    for (size_t i = 0; i < n; i++) {
        fuzz_read(src, i, a, 2, path, &in_order[i], "in order");
        kept[i] = NULL;
        if (!in_order[i].status) { /* the reader's buffer is reused: keep a copy */
            size_t bytes = fuzz_image_bytes(&in_order[i].img);
            if (!(kept[i] = malloc(bytes)))
                abort();
            memcpy(kept[i], in_order[i].img.data, bytes);
            in_order[i].img.data = kept[i];
        }
    }
    size_t order[FUZZ_MAX_FRAMES];
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(fuzz_rng(&seed) % i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        fuzz_result r;
        fuzz_read(src, i, b, 2, path, &r, "in order again");
        char what[64];
        snprintf(what, sizeof what, "frame %zu in order, twice", i);
        fuzz_same(&in_order[i], &r, what);
    }
    locus_reader_free(b);
    b = locus_reader_create();
    for (size_t i = 0; i < n; i++)
        check_shuffled(src, path, b, order[i], &in_order[order[i]]);
    for (size_t i = 0; i < n; i++)
        free(kept[i]);
    locus_reader_free(a);
    locus_reader_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(0, "v.mkv");
    fuzz_write(path, data, size);
    locus_source *src = NULL;
    locus_error err;
    const char *in[1] = {path};
    locus_source_opts o = {.channel = -1, .volume = 0, .luma = 1};
    int st = locus_source_open(&src, in, 1, &o, &err);
    if (st) {
        if (src)
            fuzz_fail("open failed (%d) but returned a source", st);
        fuzz_check_error(st, &err, path, "open");
        return 0;
    }
    if (locus_source_check(src, &err) == LOCUS_E_CHANNEL) { /* RGB: no luma */
        locus_source_free(src);
        if (!(src = fuzz_open(path, 1, 0)))
            return 0;
    }
    size_t n = locus_source_frames(src);
    if (n > FUZZ_MAX_FRAMES)
        n = FUZZ_MAX_FRAMES;
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ size;
    read_both_ways(src, path, n, seed);
    locus_source_free(src);
    return 0;
}

/*
 * Video files through locus_source: random access gives the pixels of
 * decoding in order, whatever the order frames are read in and however
 * many readers read them; frame counts; the per-reader error messages.
 * The videos are made here with Debian's ffmpeg, in a temporary directory.
 *
 * Also a helper for tests/io/test_video.py (not run by tests/run.sh):
 *   test_video --dump FILE [--channel N | --luma] [--shuffle]
 * writes "NFRAMES HEIGHT WIDTH BYTES_PER_SAMPLE\n" and then every frame's
 * pixels in frame order (read in a shuffled order with --shuffle), or one
 * line "error STATUS MESSAGE" for the first frame that fails.
 */
#include "check.h"
#include "io/imageio.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char ring[16][512];
    static int next;
    char *p = ring[next++ % 16];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void shuffle(size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng() % i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static locus_source *open_one(const char *path, int channel, int luma, locus_error *err)
{
    locus_source_opts o = {.channel = channel, .volume = 0, .luma = luma};
    locus_source *src = NULL;
    const char *in[1] = {path};
    if (locus_source_open(&src, in, 1, &o, err))
        return NULL;
    return src;
}

static size_t image_bytes(const locus_image *img)
{
    return img->shape[0] * img->shape[1] * locus_dtype_size(img->dtype);
}

/* Every frame's pixels, read in `order` by one reader (NULL: 0, 1, ...). */
static unsigned char **read_all(const locus_source *src, const size_t *order, locus_reader *rd,
                                size_t *bytes, int *status, locus_error *err)
{
    size_t n = locus_source_frames(src);
    unsigned char **out = calloc(n, sizeof *out);
    *status = 0;
    for (size_t i = 0; i < n && !*status; i++) {
        size_t k = order ? order[i] : i;
        locus_image img;
        *status = locus_source_read(src, k, rd, &img, err);
        if (*status)
            break;
        *bytes = image_bytes(&img);
        out[k] = malloc(*bytes);
        memcpy(out[k], img.data, *bytes);
    }
    return out;
}

static void free_all(unsigned char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------ */
/* --dump                                                              */
/* ------------------------------------------------------------------ */

static int dump(int argc, char **argv)
{
    const char *path = argv[2];
    int channel = -1, luma = 0, shuffled = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--channel") && i + 1 < argc)
            channel = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--luma"))
            luma = 1;
        else if (!strcmp(argv[i], "--shuffle"))
            shuffled = 1;
    }
    locus_error err;
    locus_source *src = open_one(path, channel, luma, &err);
    if (!src) {
        printf("error %d %s\n", err.status, err.message);
        return 0;
    }
    size_t n = locus_source_frames(src), bytes = 0;
    size_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (shuffled)
        shuffle(order, n);
    locus_reader *rd = locus_reader_create();
    int st;
    unsigned char **px = read_all(src, order, rd, &bytes, &st, &err);
    if (st) {
        printf("error %d %s\n", err.status, err.message);
    } else {
        locus_image img;
        locus_source_read(src, 0, rd, &img, &err);
        printf("%zu %zu %zu %zu\n", n, img.shape[0], img.shape[1], locus_dtype_size(img.dtype));
        for (size_t i = 0; i < n; i++)
            fwrite(px[i], 1, bytes, stdout);
    }
    free_all(px, n);
    free(order);
    locus_reader_free(rd);
    locus_source_free(src);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static int ffmpeg(const char *args, const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -v error -y %s '%s' >/dev/null 2>&1", args,
             tpath(out));
    return system(cmd);
}

/*
 * Read every frame in order with one reader, then in shuffled, reversed
 * and strided orders with others: the same pixels each time.
 */
/* seeks: 1, reads must seek and never restart; 2, they must fall back; 3, seeks
 * must miss and be made good by reading; 0, any of these */
static void check_random_access(const char *name, int channel, int luma, size_t want_frames,
                                int seeks)
{
    locus_error err;
    locus_source *src = open_one(tpath(name), channel, luma, &err);
    if (!CHECK(src, "%s: opens (%s)", name, src ? "" : err.message))
        return;
    size_t n = locus_source_frames(src), bytes = 0;
    CHECK(n == want_frames, "%s: %zu frames (want %zu)", name, n, want_frames);
    locus_reader *rd = locus_reader_create();
    int st;
    unsigned char **ref = read_all(src, NULL, rd, &bytes, &st, &err);
    CHECK(st == 0, "%s: every frame reads in order (%s)", name, st ? err.message : "");
    size_t *order = malloc(n * sizeof *order);
    for (int pass = 0; pass < 4 && st == 0; pass++) {
        for (size_t i = 0; i < n; i++)
            order[i] = pass == 1 ? n - 1 - i : i;
        if (pass == 0 || pass == 3)
            shuffle(order, n);
        if (pass == 2) /* every third frame, then the rest: forward jumps */
            for (size_t i = 0, j = 0; i < 3; i++)
                for (size_t k = i; k < n; k += 3)
                    order[j++] = k;
        /* pass 3 reuses the in-order reader, positioned at the end */
        locus_reader *r2 = pass == 3 ? rd : locus_reader_create();
        size_t b2 = 0;
        int st2;
        unsigned char **got = read_all(src, order, r2, &b2, &st2, &err);
        size_t bad = n;
        for (size_t i = 0; i < n && st2 == 0 && bad == n; i++)
            if (b2 != bytes || memcmp(got[i], ref[i], bytes) != 0)
                bad = i;
        static const char *const passes[] = {"shuffled", "reversed", "strided", "shuffled again"};
        CHECK(st2 == 0 && bad == n,
              "%s: frames read %s are those read in order (%s; first "
              "difference at frame %zu)",
              name, passes[pass], st2 ? err.message : "ok", bad);
        /* an indexed video seeks to keyframes; it never needs the start */
        if (seeks == 2 && pass < 3) /* seeks that land wrong fall back */
            CHECK(r2->probe.video_restarts > 0,
                  "%s: read %s, bad seeks fell back to the start (%lu)", name, passes[pass],
                  r2->probe.video_restarts);
        if (seeks == 3 && pass < 3) /* seeks that miss read up to the keyframe instead */
            CHECK(r2->probe.video_reopens > 0 && r2->probe.video_restarts == 0,
                  "%s: read %s, missed seeks reached their keyframe by reading the file afresh "
                  "(%lu), never decoding from the start (%lu)",
                  name, passes[pass], r2->probe.video_reopens, r2->probe.video_restarts);
        if (seeks == 1 && pass < 3)
            CHECK(r2->probe.video_seeks > 0 && r2->probe.video_restarts == 0,
                  "%s: read %s by seeking (%lu seeks), never from the start again (%lu)", name,
                  passes[pass], r2->probe.video_seeks, r2->probe.video_restarts);
        free_all(got, n);
        if (r2 != rd)
            locus_reader_free(r2);
    }
    free(order);
    free_all(ref, n);
    locus_reader_free(rd);
    locus_source_free(src);
}

/* A source packed and unpacked (as MPI ranks get it) reads the same frames. */
static void check_pack(const char *name, int luma, int channel)
{
    locus_error err;
    locus_source *src = open_one(tpath(name), channel, luma, &err), *copy = NULL;
    locus_buffer b = {0};
    int st = src ? locus_source_pack(src, &b) : err.status;
    if (!st)
        st = locus_source_unpack(&copy, b.data, b.len, &err);
    size_t n = src ? locus_source_frames(src) : 0, bytes = 0, bad = n;
    if (CHECK(st == 0 && copy && locus_source_frames(copy) == n,
              "%s: packs and unpacks with its %zu frames", name, n)) {
        size_t *order = malloc(n * sizeof *order);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        shuffle(order, n);
        locus_reader *r1 = locus_reader_create(), *r2 = locus_reader_create();
        int s1, s2;
        unsigned char **a = read_all(src, NULL, r1, &bytes, &s1, &err);
        unsigned char **c = read_all(copy, order, r2, &bytes, &s2, &err);
        for (size_t i = 0; i < n && !s1 && !s2 && bad == n; i++)
            if (memcmp(a[i], c[i], bytes) != 0)
                bad = i;
        CHECK(!s1 && !s2 && bad == n, "%s: the unpacked source reads the same pixels (%zu)", name,
              bad);
        free_all(a, n);
        free_all(c, n);
        free(order);
        locus_reader_free(r1);
        locus_reader_free(r2);
    }
    /* a damaged pack fails cleanly, wherever it is cut */
    int clean = 1;
    for (size_t cut = 0; cut + 1 < b.len && clean; cut += 1 + b.len / 97) {
        locus_source *bad_src = NULL;
        if (locus_source_unpack(&bad_src, b.data, cut, &err) != LOCUS_E_FORMAT || bad_src)
            clean = 0;
        locus_source_free(bad_src);
    }
    CHECK(clean, "%s: a cut pack is refused", name);
    locus_buffer_free(&b);
    locus_source_free(copy);
    locus_source_free(src);
}

static void check_error(const char *name, int channel, int luma, int want, const char *needle)
{
    locus_error err;
    locus_source *src = open_one(tpath(name), channel, luma, &err);
    int st = src ? locus_source_check(src, &err) : err.status;
    if (src && !st) {
        locus_reader *rd = locus_reader_create();
        locus_image img;
        for (size_t i = 0; i < locus_source_frames(src) && !st; i++)
            st = locus_source_read(src, i, rd, &img, &err);
        locus_reader_free(rd);
    }
    CHECK(st == want && strstr(err.message, tpath(name)) == err.message &&
              strstr(err.message, needle) && !strchr(err.message, '\n'),
          "%s: status %d (want %d), message \"%s\" names the file and says \"%s\"", name, st, want,
          err.message, needle);
    locus_source_free(src);
}

/*
 * Rewrites the idx1 entries of an AVI's video packets ("00dc") in place:
 * edit(entry, i) gets each 16-byte entry (fourcc, flags, offset, size)
 * and its number i, and returns whether it changed it. Returns how many
 * it changed.
 */
static size_t edit_avi_index(const char *name, int (*edit)(unsigned char *entry, size_t i))
{
    FILE *f = fopen(tpath(name), "r+b");
    static unsigned char buf[1 << 20];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    size_t at = 0, changed = 0, entry = 0;
    for (size_t i = 0; i + 8 <= n; i++)
        if (!memcmp(buf + i, "idx1", 4))
            at = i + 8;
    for (size_t e = at; at && e + 16 <= n; e += 16)
        if (!memcmp(buf + e, "00dc", 4) && edit(buf + e, entry++))
            changed++;
    if (f) {
        fseek(f, 0, SEEK_SET);
        fwrite(buf, 1, n, f);
        fclose(f);
    }
    return changed;
}

static int mark_keyframe(unsigned char *entry, size_t i)
{
    (void)i;
    entry[4] |= 0x10; /* AVIIF_KEYFRAME */
    return 1;
}

/* Every third entry's offset (little-endian) 7 bytes on. */
static int move_offset(unsigned char *entry, size_t i)
{
    if (i % 3 != 1)
        return 0;
    entry[8] = (unsigned char)(entry[8] + 7);
    return 1;
}

/*
 * An AVI whose index calls every packet a keyframe (AVIIF_KEYFRAME on
 * each idx1 entry) while only every 10th is (FFV1 has no parser to say
 * otherwise): seeking there gives frames the decoder cannot make, which
 * must be noticed and read from a real keyframe instead.
 */
static void make_false_keys(void)
{
    size_t marked = edit_avi_index("keys.avi", mark_keyframe);
    CHECK(marked == 50, "keys.avi: every one of %zu index entries marked a keyframe", marked);
}

/*
 * An MJPEG AVI whose index puts every third packet 7 bytes from where it
 * is: the AVI demuxer's seeks to those packets miss (where they land
 * then depends on what it has read before), and a missed seek must
 * still reach its keyframe, by reading, with the same pixels.
 */
static void make_bad_offsets(void)
{
    size_t moved = edit_avi_index("offsets.avi", move_offset);
    CHECK(moved == 17, "offsets.avi: %zu of 50 index entries point 7 bytes off", moved);
}

static const char *const testsrc = "-f lavfi -i testsrc2=size=96x64:rate=25:duration=2";

static void make_videos(void)
{
    char a[512];
    snprintf(a, sizeof a, "%s -vf format=yuv420p -c:v libx264 -bf 3 -g 12", testsrc);
    CHECK(ffmpeg(a, "b.mp4") == 0, "ffmpeg makes an H.264 MP4 with B-frames");
    snprintf(a, sizeof a, "%s -vf format=yuv420p -c:v libx264 -bf 3 -g 12", testsrc);
    CHECK(ffmpeg(a, "b.mkv") == 0, "ffmpeg makes an H.264 MKV with B-frames");
    snprintf(a, sizeof a, "%s -vf format=yuv420p -c:v libx264 -bf 2 -g 10", testsrc);
    CHECK(ffmpeg(a, "b.avi") == 0, "ffmpeg makes an H.264 AVI with B-frames (no pts)");
    snprintf(a, sizeof a, "%s -vf format=gray -c:v ffv1 -g 7", testsrc);
    CHECK(ffmpeg(a, "g.mkv") == 0, "ffmpeg makes an FFV1 MKV");
    snprintf(a, sizeof a,
             "%s -vf format=yuv420p -c:v libx265 -x265-params log-level=error:keyint=9:bframes=3",
             testsrc);
    CHECK(ffmpeg(a, "h.mov") == 0, "ffmpeg makes an H.265 MOV (open GOP)");
    snprintf(a, sizeof a, "%s -vf format=gray16le -c:v ffv1", testsrc);
    CHECK(ffmpeg(a, "g16.mkv") == 0, "ffmpeg makes a 16-bit FFV1 MKV");
    snprintf(a, sizeof a, "%s -vf format=gray -c:v ffv1 -g 10", testsrc);
    CHECK(ffmpeg(a, "keys.avi") == 0, "ffmpeg makes an FFV1 AVI with keyframes every 10");
    make_false_keys();
    snprintf(a, sizeof a, "%s -c:v mjpeg", testsrc);
    CHECK(ffmpeg(a, "offsets.avi") == 0, "ffmpeg makes an MJPEG AVI");
    make_bad_offsets();
    snprintf(a, sizeof a, "-f lavfi -i sine=duration=1 -c:a pcm_s16le");
    CHECK(ffmpeg(a, "audio.avi") == 0, "ffmpeg makes an audio-only AVI");
}

static void check_truncated(void)
{
    FILE *in = fopen(tpath("b.mkv"), "rb"), *out = fopen(tpath("cut.mkv"), "wb");
    char buf[1 << 16];
    size_t n = in ? fread(buf, 1, 300, in) : 0;
    if (out)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    check_error("cut.mkv", 0, 0, LOCUS_E_FORMAT, "");
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--dump"))
        return dump(argc, argv);
    if (system("ffmpeg -version >/dev/null 2>&1") != 0) {
        printf("# SKIP test_video: Debian's ffmpeg is not installed (scripts/install-deps.sh)\n");
        return 0;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/locus-video-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    make_videos();
    check_random_access("b.mp4", 0, 0, 50, 1);
    check_random_access("b.mp4", -1, 1, 50, 1);
    check_random_access("b.mkv", 1, 0, 50, 1);
    check_random_access("b.avi", 2, 0, 50, 0); /* sequential */
    check_random_access("g.mkv", -1, 0, 50, 1);
    check_random_access("h.mov", -1, 1, 50, 1);
    check_random_access("g16.mkv", -1, 0, 50, 1);
    check_random_access("keys.avi", -1, 1, 50, 2);    /* false keyframes: seeks fall back */
    check_random_access("offsets.avi", -1, 1, 50, 3); /* a damaged index: seeks miss */
    check_pack("b.mp4", 1, -1);
    check_pack("b.avi", 0, 0);
    check_error("b.mp4", -1, 0, LOCUS_E_CHANNEL, "colour video (yuv420p)");
    check_error("b.mp4", 3, 0, LOCUS_E_CHANNEL, "no channel 3");
    check_error("audio.avi", -1, 0, LOCUS_E_FORMAT, "no video stream");
    check_truncated();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return 1;
    return check_done();
}

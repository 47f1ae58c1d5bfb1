/*
 * libFuzzer harness for the JPEG reader (src/io/jpeg_read.c through
 * src/io/source.c).
 *
 * The input is written to a file under /dev/shm and opened as a source
 * with channels -1, 0, 1, 2 and 3, and in volume mode (refused). Every
 * frame is decoded by two readers whose buffers are pre-filled with 0x00
 * and 0xff, which must agree exactly (status, message, shape, pixels):
 * a byte of output that libjpeg or locus never wrote would differ. A
 * success must have the size the frame header (read here with libjpeg
 * on its own) gives, uint8 samples, a channel the components have, and
 * no colour image read without a channel.
 *
 * A file whose header claims more than 2^16 pixels is opened but not
 * decoded: libjpeg pads a file that ends early, so a few bytes can ask
 * for seconds of decoding under ASan (arithmetic coding makes any size
 * cheap to claim); the reader's own limits (2^31 pixels, libjpeg's 4 GiB
 * of memory, 1000 scans) are what stands there, not this harness.
 */
#include "common.h"

#include <setjmp.h>

#include <jpeglib.h>

static locus_reader *rd_a, *rd_b;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rd_a = locus_reader_create();
    rd_b = locus_reader_create();
    if (!rd_a || !rd_b)
        abort();
    return 0;
}

/* ------------------------------------------------------------------ */
/* What the header promises                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    int valid;
    uint32_t width, height;
    int components;
} header;

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
} quiet_error;

static void quiet_exit(j_common_ptr c)
{
    longjmp(((quiet_error *)c->err)->jump, 1);
}

static void quiet_message(j_common_ptr c, int level)
{
    (void)c;
    (void)level;
}

static header read_header(const uint8_t *d, size_t n)
{
    header h = {0};
    struct jpeg_decompress_struct c;
    quiet_error e;
    memset(&c, 0, sizeof c);
    c.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = quiet_exit;
    e.pub.emit_message = quiet_message;
    if (!setjmp(e.jump)) {
        jpeg_create_decompress(&c);
        jpeg_mem_src(&c, d, (unsigned long)n);
        if (jpeg_read_header(&c, TRUE) == JPEG_HEADER_OK) {
            h.valid = 1;
            h.width = c.image_width;
            h.height = c.image_height;
            h.components = c.num_components;
        }
    }
    jpeg_destroy_decompress(&c);
    return h;
}

static void check_promise(const header *h, const locus_image *img, int channel, const char *what)
{
    if (!h->valid)
        fuzz_fail("%s: decoded a file libjpeg finds no header in", what);
    if (img->shape[0] != h->height || img->shape[1] != h->width || img->dtype != LOCUS_U8)
        fuzz_fail("%s: %zu x %zu dtype %d, header %u x %u", what, img->shape[0], img->shape[1],
                  (int)img->dtype, h->height, h->width);
    if (h->components != 1 && h->components != 3)
        fuzz_fail("%s: decoded %d components", what, h->components);
    if (channel >= h->components || (channel < 0 && h->components == 3))
        fuzz_fail("%s: channel %d of %d components", what, channel, h->components);
}

/* ------------------------------------------------------------------ */
/* The harness                                                         */
/* ------------------------------------------------------------------ */

static void run_source(const char *path, const header *h, int channel, int volume, int decode)
{
    locus_source *src = fuzz_open(path, channel, volume);
    if (!src)
        return;
    locus_error problem;
    int problem_st = locus_source_check(src, &problem), any_failed = 0;
    size_t n = decode ? locus_source_frames(src) : 0;
    for (size_t f = 0; f < n; f++) {
        fuzz_result a, b;
        char what[64];
        fuzz_poison(rd_a, 0x00);
        fuzz_poison(rd_b, 0xff);
        snprintf(what, sizeof what, "channel %d frame %zu (A)", channel, f);
        fuzz_read(src, f, rd_a, volume ? 3 : 2, path, &a, what);
        snprintf(what, sizeof what, "channel %d frame %zu (B)", channel, f);
        fuzz_read(src, f, rd_b, volume ? 3 : 2, path, &b, what);
        snprintf(what, sizeof what, "channel %d frame %zu: two readers", channel, f);
        fuzz_same(&a, &b, what);
        if (!a.status)
            check_promise(h, &a.img, channel, what);
        any_failed |= a.status != 0;
    }
    if (decode && problem_st && !any_failed)
        fuzz_fail("channel %d: open found \"%s\" but every frame decodes", channel,
                  problem.message);
    locus_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trim(&rd_a);
    fuzz_trim(&rd_b);
    const char *path = fuzz_file(0, "input.jpg");
    fuzz_write(path, data, size);
    header h = read_header(data, size);
    int decode = !h.valid || (uint64_t)h.width * h.height <= ((uint64_t)1 << 16);
    static const int channels[] = {-1, 0, 1, 2, 3};
    for (size_t i = 0; i < sizeof channels / sizeof *channels; i++)
        run_source(path, &h, channels[i], 0, decode);
    run_source(path, &h, 0, 1, decode);
    return 0;
}

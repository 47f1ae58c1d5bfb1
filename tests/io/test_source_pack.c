/*
 * The packed frame list (src/io/source_pack.c), what rank 0 of locus-mpi
 * sends the other ranks: a source packed and unpacked has the same
 * frames, paths and pixels, and its open-time problems; every truncation
 * and a flipped magic of a message fail cleanly with a message; packing
 * is a fixed point after one round.
 */
#include "check.h"
#include "locus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *shared(void)
{
    const char *s = getenv("LOCUS_SHARED");
    return s ? s : "../shared";
}

static locus_source *open_src(const char *const *inputs, size_t n, int channel, int volume)
{
    locus_source_opts o;
    locus_source_opts_init(&o);
    o.channel = channel;
    o.volume = volume;
    locus_source *src = NULL;
    locus_error err = {0};
    if (locus_source_open(&src, inputs, n, &o, &err) != LOCUS_OK)
        printf("# open: %s\n", err.message);
    return src;
}

/* Both sources give frame i with the same path and the same pixels. */
static int same_frame(const locus_source *a, const locus_source *b, size_t i, locus_reader *ra,
                      locus_reader *rb)
{
    if (strcmp(locus_source_path(a, i), locus_source_path(b, i)) != 0)
        return 0;
    locus_image x, y;
    locus_error ea = {0}, eb = {0};
    int sa = locus_source_read(a, i, ra, &x, &ea), sb = locus_source_read(b, i, rb, &y, &eb);
    if (sa != sb)
        return 0;
    if (sa != LOCUS_OK) /* a frame that fails fails for the same reason */
        return strcmp(ea.message, eb.message) == 0;
    if (x.dtype != y.dtype || x.ndim != y.ndim)
        return 0;
    size_t n = 1;
    for (int d = 0; d < x.ndim; d++) {
        if (x.shape[d] != y.shape[d])
            return 0;
        n *= x.shape[d];
    }
    /* the readers give contiguous frames of one dtype: compare bytes */
    size_t bytes = n * (size_t)(x.dtype == LOCUS_U8 ? 1 : x.dtype == LOCUS_U16 ? 2 : 8);
    return x.dtype == LOCUS_U8 || x.dtype == LOCUS_U16 ? memcmp(x.data, y.data, bytes) == 0 : 1;
}

static void test_round_trip(void)
{
    char one[1024], dir[1024], missing[1024], glob[1024];
    snprintf(one, sizeof one, "%s/data/bulk_water/bulk_water_000.png", shared());
    snprintf(dir, sizeof dir, "%s/data/bulk_water", shared());
    snprintf(glob, sizeof glob, "%s/data/bulk_water/bulk_water_01*.png", shared());
    snprintf(missing, sizeof missing, "%s/data/bulk_water/no-such-frame.png", shared());
    const char *lists[][3] = {
        {one, NULL, NULL}, {dir, NULL, NULL}, {glob, one, NULL}, {one, missing, one}};
    const size_t counts[] = {1, 1, 2, 3};
    locus_reader *ra = locus_reader_create(), *rb = locus_reader_create();
    for (int k = 0; k < 4; k++) {
        locus_source *src = open_src(lists[k], counts[k], 0, 0);
        locus_buffer packed = {0}, again = {0};
        locus_source *copy = NULL;
        locus_error err = {0};
        int ok = src && locus_source_pack(src, &packed) == LOCUS_OK &&
                 locus_source_unpack(&copy, packed.data, packed.len, &err) == LOCUS_OK;
        CHECK(ok, "input list %d: packs and unpacks (%s)", k, err.message);
        if (!ok) {
            locus_source_free(src);
            locus_buffer_free(&packed);
            continue;
        }
        size_t n = locus_source_frames(src);
        int same = n == locus_source_frames(copy);
        for (size_t i = 0; same && i<n; i += n> 10 ? 7 : 1)
            same = same_frame(src, copy, i, ra, rb);
        CHECK(same, "input list %d: the same %zu frames, paths and pixels", k, n);
        locus_error e1 = {0}, e2 = {0};
        int c1 = locus_source_check(src, &e1), c2 = locus_source_check(copy, &e2);
        CHECK(c1 == c2 && (c1 == LOCUS_OK || strcmp(e1.message, e2.message) == 0),
              "input list %d: the same open-time problem (%d %d: '%s' / '%s')", k, c1, c2,
              e1.message, e2.message);
        CHECK(locus_source_pack(copy, &again) == LOCUS_OK && again.len == packed.len &&
                  memcmp(again.data, packed.data, packed.len) == 0,
              "input list %d: packing the copy gives the same bytes", k);
        if (k == 1) {
            /* every proper prefix of a message is refused, with a message */
            int clean = 1;
            for (size_t cut = 0; cut < packed.len && clean; cut += 1 + cut / 64) {
                locus_source *bad = NULL;
                locus_error e = {0};
                int st = locus_source_unpack(&bad, packed.data, cut, &e);
                clean = st != LOCUS_OK && !bad && e.message[0];
                locus_source_free(bad);
            }
            CHECK(clean, "every truncation of the message is refused with a reason");
            char *flip = malloc(packed.len);
            memcpy(flip, packed.data, packed.len);
            flip[0] ^= 1;
            locus_source *bad = NULL;
            locus_error e = {0};
            CHECK(locus_source_unpack(&bad, flip, packed.len, &e) != LOCUS_OK && !bad &&
                      e.message[0],
                  "a message with a damaged magic is refused (%s)", e.message);
            free(flip);
        }
        locus_buffer_free(&packed);
        locus_buffer_free(&again);
        locus_source_free(copy);
        locus_source_free(src);
    }
    locus_reader_free(ra);
    locus_reader_free(rb);
}

int main(void)
{
    test_round_trip();
    return check_done();
}

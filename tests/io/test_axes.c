/*
 * Stacks whose metadata gives their axes: the ImageJ and OME-XML parsers
 * on their own, then ImageJ hyperstacks, OME-TIFFs (one file and
 * multi-file sets) and ImageJ's one-directory stacks over 4 GiB, written
 * here with libtiff (or by hand) and read back through a locus_source.
 * Every page holds a pattern that encodes its (t, z, c), so a frame that
 * comes from the wrong plane shows.
 */
#include "check.h"
#include "io/tiff_meta.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <unistd.h>

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char ring[32][512];
    static int next;
    char *p = ring[next++ % 32];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

enum { W = 7, H = 5, NPX = W * H };

/* The pixels of plane (t, z, c): a value unique to it in every pixel. */
static uint16_t plane_value(int t, int z, int c, int i)
{
    return (uint16_t)(((t * 16 + z) * 8 + c) * 64 + i);
}

static void fill_plane(uint16_t *px, int t, int z, int c)
{
    for (int i = 0; i < NPX; i++)
        px[i] = plane_value(t, z, c, i);
}

/* Page `signed_page` of the next stack written has complex-integer samples, which
 * locus refuses (-1: none). */
static int signed_page = -1;

/* A multi-page uint16 TIFF; page k holds plane at[k] = {t, z, c}; the
 * first page carries desc. */
static void write_stack(const char *path, const char *desc, int npages, const int (*at)[3],
                        const char *mode)
{
    TIFF *tif = TIFFOpen(path, mode);
    uint16_t px[NPX];
    for (int k = 0; k < npages; k++) {
        if (k == signed_page)
            TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_COMPLEXINT);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, W);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, H);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 16);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, H);
        if (k == 0 && desc)
            TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, desc);
        fill_plane(px, at[k][0], at[k][1], at[k][2]);
        for (int y = 0; y < H; y++)
            TIFFWriteScanline(tif, px + y * W, (uint32_t)y, 0);
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
}

/* ImageJ's page order: c fastest, then z, then t. */
static int imagej_order(int nt, int nz, int nc, int (*at)[3])
{
    int k = 0;
    for (int t = 0; t < nt; t++)
        for (int z = 0; z < nz; z++)
            for (int c = 0; c < nc; c++) {
                at[k][0] = t;
                at[k][1] = z;
                at[k][2] = c;
                k++;
            }
    return k;
}

static void imagej_desc(char *buf, size_t n, int nt, int nz, int nc)
{
    int len = snprintf(buf, n, "ImageJ=1.53t\nimages=%d\n", nt * nz * nc);
    if (nc > 1)
        len += snprintf(buf + len, n - (size_t)len, "channels=%d\n", nc);
    if (nz > 1)
        len += snprintf(buf + len, n - (size_t)len, "slices=%d\n", nz);
    if (nt > 1)
        len += snprintf(buf + len, n - (size_t)len, "frames=%d\n", nt);
    snprintf(buf + len, n - (size_t)len, "hyperstack=true\nmode=grayscale\nloop=false\n");
}

static locus_source *open_one(const char *path, int channel, int volume, locus_error *err)
{
    locus_source_opts o = {.channel = channel, .volume = volume};
    locus_source *src = NULL;
    const char *in[1] = {path};
    if (locus_source_open(&src, in, 1, &o, err))
        return NULL;
    return src;
}

/* Frame `frame` of src is planes (t, z0 .. z0 + depth - 1, c). */
static int frame_is(const locus_source *src, size_t frame, locus_reader *rd, int t, int z0,
                    int depth, int c, int ndim)
{
    locus_image img;
    locus_error err;
    if (locus_source_read(src, frame, rd, &img, &err)) {
        printf("# frame %zu: %s\n", frame, err.message);
        return 0;
    }
    if (img.dtype != LOCUS_U16 || img.ndim != ndim || img.shape[ndim - 1] != W ||
        img.shape[ndim - 2] != H || (ndim == 3 && img.shape[0] != (size_t)depth))
        return 0;
    const uint16_t *px = img.data;
    for (int z = 0; z < depth; z++)
        for (int i = 0; i < NPX; i++)
            if (px[z * NPX + i] != plane_value(t, z0 + z, c, i))
                return 0;
    return 1;
}

/* The source opens, and every frame fails (or the open fails) with
 * this status and a one-line message naming path and saying needle. */
static void expect_refusal(const char *path, int channel, int volume, int want, const char *needle,
                           const char *what)
{
    locus_error err;
    locus_source *src = open_one(path, channel, volume, &err);
    int st = err.status;
    if (src) {
        locus_reader *rd = locus_reader_create();
        locus_image img;
        st = locus_source_read(src, 0, rd, &img, &err);
        CHECK(locus_source_check(src, NULL) == want, "%s: found while opening", what);
        locus_reader_free(rd);
        locus_source_free(src);
    }
    size_t n = strlen(path);
    CHECK(st == want && !strncmp(err.message, path, n) && err.message[n] == ':' &&
              !strchr(err.message, '\n') && strstr(err.message, needle),
          "%s: status %d (want %d), \"%s\"", what, st, want, err.message);
}

/* ------------------------------------------------------------------ */
/* The parsers                                                         */
/* ------------------------------------------------------------------ */

static void test_imagej_parser(void)
{
    imagej_meta m;
    const char *d = "ImageJ=1.53t\nimages=24\nchannels=3\nslices=4\nframes=2\nhyperstack=true\n";
    CHECK(locus_imagej_parse(d, strlen(d), &m) && m.images == 24 && m.channels == 3 &&
              m.slices == 4 && m.frames == 2 && m.hyperstack && locus_imagej_consistent(&m),
          "ImageJ: images, channels, slices, frames, hyperstack");
    d = "ImageJ=1.4\r\nimages=6\r\nframes=6\r\n";
    CHECK(locus_imagej_parse(d, strlen(d), &m) && m.frames == 6 && m.channels == 1 &&
              m.slices == 1 && !m.hyperstack && locus_imagej_consistent(&m),
          "ImageJ: CRLF lines, absent axes are 1");
    d = "ImageJ=\nimages=7\nchannels=3\n";
    CHECK(locus_imagej_parse(d, strlen(d), &m) && !locus_imagej_consistent(&m),
          "ImageJ: 3 channels do not divide 7 images: inconsistent");
    d = "ImageJ=\nimages=9\nchannels=x3\nslices=-2\nframes=99999999999999999999\n";
    CHECK(locus_imagej_parse(d, strlen(d), &m) && m.channels == 1 && m.slices == 1 && m.frames == 1,
          "ImageJ: values that are not counts are ignored");
    d = "ImageJ=\nimages=0\nchannels=4294967296\nslices=4294967296\nframes=1\n";
    CHECK(locus_imagej_parse(d, strlen(d), &m) && !locus_imagej_consistent(&m),
          "ImageJ: 2^32 x 2^32 does not wrap round to images=0");
    char nul[] = "ImageJ=\nimages=4\0channels=4\n";
    CHECK(locus_imagej_parse(nul, sizeof nul - 1, &m) && m.channels == 1,
          "ImageJ: the description ends at a NUL");
    CHECK(!locus_imagej_parse("imagej=1\nimages=3", 17, &m) && !locus_imagej_parse("", 0, &m),
          "not ImageJ without \"ImageJ=\" first");
}

static int ome(const char *xml, ome_meta *m, char *why)
{
    return locus_ome_parse(xml, strlen(xml), m, why, 256);
}

#define OME_HEAD                                                                                   \
    "<?xml version=\"1.0\"?><OME xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\""

static void test_ome_parser(void)
{
    ome_meta m;
    char why[256];
    int st =
        ome(OME_HEAD " UUID=\"urn:uuid:1\"><Image ID=\"Image:0\"><Pixels DimensionOrder=\"XYCZT\" "
                     "SizeX=\"7\" SizeY=\"5\" SizeZ=\"3\" SizeC=\"2\" SizeT=\"4\" "
                     "Type=\"uint16\"><Channel SamplesPerPixel=\"1\"/><Channel/>"
                     "<TiffData IFD=\"5\" PlaneCount=\"2\" FirstZ=\"1\" FirstC=\"1\" "
                     "FirstT=\"2\"/><TiffData><UUID FileName=\"b.ome.tif\">urn:uuid:2</UUID>"
                     "</TiffData><TiffData IFD=\"3\"><UUID>urn:uuid:1</UUID></TiffData>"
                     "</Pixels></Image><Image/></OME>",
            &m, why);
    CHECK(st == 0 && !strcmp(m.order, "XYCZT") && m.size_z == 3 && m.size_c == 2 &&
              m.size_t_ == 4 && m.planes == 24 && m.images == 2 && m.ndata == 3,
          "OME: Pixels sizes and order, %zu TiffData, 2 images: %s", m.ndata, why);
    /* XYCZT: c fastest, then z, then t: (z 1, c 1, t 2) is 1 + 2 * (1 + 3 * 2) */
    CHECK(st == 0 && m.data[0].first == 15 && m.data[0].ifd == 5 && m.data[0].count == 2 &&
              m.data[0].file == 0,
          "OME: TiffData FirstZ/C/T become plane 15 in XYCZT order");
    CHECK(st == 0 && m.data[1].count == OME_ALL && m.data[1].ifd == 0 && m.data[1].file == 1 &&
              m.nfiles == 2 && !strcmp(m.files[1], "b.ome.tif"),
          "OME: a TiffData with a UUID FileName is in another file, every IFD");
    CHECK(st == 0 && m.data[2].count == 1 && m.data[2].file == 0,
          "OME: IFD alone is PlaneCount 1; the root UUID is this file");
    locus_ome_free(&m);

    st = ome("<ome:OME xmlns:ome=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\"><ome:Image>"
             "<ome:Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"2\" SizeC=\"3\" "
             "SizeT=\"1\"/></ome:Image></ome:OME>",
             &m, why);
    CHECK(st == 0 && m.planes == 6 && m.ndata == 0 && locus_ome_plane_index(&m, 1, 2, 0) == 5,
          "OME: prefixed names; XYZCT plane of z 1, c 2 is 5");
    locus_ome_free(&m);
    st = ome(OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"4\" SizeY=\"4\" "
                      "SizeZ=\"1\" SizeC=\"3\" SizeT=\"2\"><Channel SamplesPerPixel=\"3\"/>"
                      "</Pixels></Image></OME>",
             &m, why);
    CHECK(st == 0 && m.samples == 3 && m.planes == 2, "OME: an RGB channel is one plane");
    locus_ome_free(&m);

    static const struct {
        const char *xml, *why;
        int status;
    } bad[] = {
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" "
                  "SizeC=\"1\" SizeT=\"1000000000000\"/></Image></OME>",
         "too large", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" "
                  "SizeZ=\"100000\" SizeC=\"100000\" SizeT=\"100000\"/></Image></OME>",
         "too many", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZQT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" "
                  "SizeC=\"1\" SizeT=\"1\"/></Image></OME>",
         "DimensionOrder", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"0\" "
                  "SizeC=\"1\" SizeT=\"1\"/></Image></OME>",
         "without a size", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"2\" "
                  "SizeC=\"1\" SizeT=\"1\"><TiffData FirstZ=\"2\"/></Pixels></Image></OME>",
         "outside", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"2\" "
                  "SizeC=\"1\" SizeT=\"1\"><TiffData FirstZ=\"1\" PlaneCount=\"2\"/></Pixels>"
                  "</Image></OME>",
         "past the 2 planes", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" "
                  "SizeC=\"1\" SizeT=\"1\"><TiffData IFD=\"x\"/></Pixels></Image></OME>",
         "not a whole number", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" "
                  "SizeC=\"1\" SizeT=\"1\"><TiffData><UUID>urn:uuid:9</UUID></TiffData></Pixels>"
                  "</Image></OME>",
         "only by UUID", LOCUS_E_UNSUPPORTED},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"1\" SizeY=\"1\" SizeZ=\"1\" "
                  "SizeC=\"4\" SizeT=\"1\"><Channel SamplesPerPixel=\"3\"/></Pixels></Image></OME>",
         "not a multiple", LOCUS_E_FORMAT},
        {OME_HEAD "><Image></Image></OME>", "no Image with Pixels", LOCUS_E_FORMAT},
        {OME_HEAD "><Image><Pixels DimensionOrder=\"XYZCT\"", "corrupt OME-XML", LOCUS_E_FORMAT},
        {"<!DOCTYPE OME [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d "
         "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
         "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f "
         "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
         "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\"><!ENTITY h "
         "\"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">"
         "]><OME><Image><Pixels DimensionOrder=\"XYZCT\" SizeX=\"&h;\"/></Image></OME>",
         "corrupt OME-XML", LOCUS_E_FORMAT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st = ome(bad[i].xml, &m, why);
        CHECK(st == bad[i].status && strstr(why, bad[i].why) && !m.data && !m.files,
              "OME refused: %s (status %d: \"%s\")", bad[i].why, st, why);
        locus_ome_free(&m);
    }
    CHECK(ome("<svg><OME/></svg>", &m, why) == 1 && ome("<not xml", &m, why) == 1 &&
              ome("", &m, why) == 1,
          "XML that is not OME's is not OME-XML");
    st = ome(OME_HEAD "><BinaryOnly MetadataFile=\"x.companion.ome\" UUID=\"u\"/></OME>", &m, why);
    CHECK(st == 0 && m.binary_only, "OME: BinaryOnly is recognised");
    locus_ome_free(&m);
}

/* ------------------------------------------------------------------ */
/* ImageJ hyperstacks                                                  */
/* ------------------------------------------------------------------ */

static void test_imagej_channels(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    int at[64][3];
    char desc[256];
    /* TCYX: 3 time points of 2 channels */
    int n = imagej_order(3, 1, 2, at);
    imagej_desc(desc, sizeof desc, 3, 1, 2);
    const char *tcyx = tpath("tcyx.tif");
    write_stack(tcyx, desc, n, (const int(*)[3])at, "w");
    for (int c = 0; c < 2; c++) {
        locus_source *src = open_one(tcyx, c, 0, &err);
        int ok = src && locus_source_frames(src) == 3;
        for (int t = 0; ok && t < 3; t++)
            ok = frame_is(src, (size_t)t, rd, t, 0, 1, c, 2);
        CHECK(ok, "ImageJ TCYX, channel %d: 3 frames, each that channel's plane at t", c);
        locus_source_free(src);
    }
    expect_refusal(tcyx, -1, 0, LOCUS_E_CHANNEL,
                   "2 channels (ImageJ hyperstack TCYX); choose one with channel",
                   "ImageJ TCYX without a channel");
    expect_refusal(tcyx, 2, 0, LOCUS_E_CHANNEL,
                   "channel 2 out of range (the ImageJ hyperstack TCYX has 2 channels)",
                   "ImageJ TCYX channel 2");
    expect_refusal(tcyx, 0, 1, LOCUS_E_SHAPE, "volume needs z slices", "ImageJ TCYX as a volume");
    /* a page locus cannot decode (t 1, c 0) is channel 0's problem only */
    signed_page = 2;
    write_stack(tpath("bad_c0.tif"), desc, n, (const int(*)[3])at, "w");
    signed_page = -1;
    locus_source *bad = open_one(tpath("bad_c0.tif"), 1, 0, &err);
    CHECK(bad && locus_source_check(bad, NULL) == 0 && frame_is(bad, 1, rd, 1, 0, 1, 1, 2),
          "a bad page of channel 0 leaves channel 1 clean");
    locus_source_free(bad);
    bad = open_one(tpath("bad_c0.tif"), 0, 0, &err);
    locus_image bimg;
    CHECK(bad && locus_source_check(bad, &err) == LOCUS_E_UNSUPPORTED &&
              strstr(err.message, "page 2: 16-bit complex integer") &&
              frame_is(bad, 0, rd, 0, 0, 1, 0, 2) &&
              locus_source_read(bad, 1, rd, &bimg, &err) == LOCUS_E_UNSUPPORTED,
          "channel 0: opening reports its bad page, whose frame fails (%s)", err.message);
    locus_source_free(bad);

    /* TZCYX: 2 time points of 3 slices of 2 channels, big-endian */
    n = imagej_order(2, 3, 2, at);
    imagej_desc(desc, sizeof desc, 2, 3, 2);
    const char *tzcyx = tpath("tzcyx.tif");
    write_stack(tzcyx, desc, n, (const int(*)[3])at, "wb");
    for (int c = 0; c < 2; c++) {
        locus_source *src = open_one(tzcyx, c, 0, &err);
        int ok = src && locus_source_frames(src) == 6;
        for (int f = 0; ok && f < 6; f++)
            ok = frame_is(src, (size_t)f, rd, f / 3, f % 3, 1, c, 2);
        CHECK(ok, "ImageJ TZCYX, channel %d: 6 frames in (t, z) order", c);
        locus_source_free(src);
        src = open_one(tzcyx, c, 1, &err);
        ok = src && locus_source_frames(src) == 2 && locus_source_ndim(src) == 3;
        for (int t = 0; ok && t < 2; t++)
            ok = frame_is(src, (size_t)t, rd, t, 0, 3, c, 3);
        CHECK(ok, "ImageJ TZCYX, channel %d, volume: 2 volumes of 3 slices", c);
        locus_source_free(src);
    }
    locus_source *src = open_one(tzcyx, 1, 0, &err);
    locus_frames fr = locus_source_frames_of(src);
    char label[600], want[600];
    fr.name(fr.user, 4, label, sizeof label);
    snprintf(want, sizeof want, "%s: page 9", tzcyx); /* t 1, z 1, c 1 */
    CHECK(!strcmp(label, want), "a frame is labelled by its page: \"%s\"", label);
    locus_source_free(src);
    locus_reader_free(rd);
}

static void test_imagej_plain(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    int at[64][3];
    char desc[256];
    /* ZT without channels: page k is frame k, as for any TIFF */
    int n = imagej_order(2, 4, 1, at);
    imagej_desc(desc, sizeof desc, 2, 4, 1);
    const char *tz = tpath("tz.tif");
    write_stack(tz, desc, n, (const int(*)[3])at, "w");
    locus_source *src = open_one(tz, -1, 0, &err);
    int ok = src && locus_source_frames(src) == 8;
    for (int f = 0; ok && f < 8; f++)
        ok = frame_is(src, (size_t)f, rd, f / 4, f % 4, 1, 0, 2);
    CHECK(ok, "ImageJ TZYX without channels: 8 frames, one per page");
    locus_source_free(src);
    src = open_one(tz, -1, 1, &err);
    ok = src && locus_source_frames(src) == 2;
    for (int t = 0; ok && t < 2; t++)
        ok = frame_is(src, (size_t)t, rd, t, 0, 4, 0, 3);
    CHECK(ok, "ImageJ TZYX, volume: 2 volumes of 4 slices (not one of 8)");
    locus_source_free(src);

    /* slices only: a volume of every page, as before */
    n = imagej_order(1, 5, 1, at);
    imagej_desc(desc, sizeof desc, 1, 5, 1);
    write_stack(tpath("z.tif"), desc, n, (const int(*)[3])at, "w");
    src = open_one(tpath("z.tif"), -1, 1, &err);
    CHECK(src && locus_source_frames(src) == 1 && frame_is(src, 0, rd, 0, 0, 5, 0, 3),
          "ImageJ ZYX, volume: one volume of 5 slices");
    locus_source_free(src);
    /* frames only: no z to make a volume of */
    n = imagej_order(4, 1, 1, at);
    imagej_desc(desc, sizeof desc, 4, 1, 1);
    write_stack(tpath("t.tif"), desc, n, (const int(*)[3])at, "w");
    expect_refusal(tpath("t.tif"), -1, 1, LOCUS_E_SHAPE,
                   "volume needs z slices, and this ImageJ hyperstack TYX has 1 slice (4 time "
                   "points)",
                   "ImageJ TYX as a volume");
    /* channels that do not add up to the pages */
    n = imagej_order(1, 1, 3, at);
    write_stack(tpath("short.tif"), "ImageJ=1.5\nimages=6\nchannels=3\nslices=2\n", n,
                (const int(*)[3])at, "w");
    expect_refusal(tpath("short.tif"), 0, 0, LOCUS_E_FORMAT, "cannot tell the channels apart",
                   "ImageJ channels, pages missing");
    /* a description that is not consistent and has no channels: pages */
    write_stack(tpath("odd.tif"), "ImageJ=1.5\nimages=5\nslices=2\n", n, (const int(*)[3])at, "w");
    src = open_one(tpath("odd.tif"), -1, 0, &err);
    CHECK(src && locus_source_frames(src) == 3 && frame_is(src, 2, rd, 0, 0, 1, 2, 2),
          "an inconsistent ImageJ description without channels: one frame per page");
    locus_source_free(src);
    locus_reader_free(rd);
}

/* ------------------------------------------------------------------ */
/* ImageJ's one-directory stacks (files over 4 GiB)                    */
/* ------------------------------------------------------------------ */

static void put16(unsigned char *p, uint16_t v, int be)
{
    p[be ? 0 : 1] = (unsigned char)(v >> 8);
    p[be ? 1 : 0] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[be ? i : 3 - i] = (unsigned char)(v >> (24 - 8 * i));
}

/*
 * What ImageJ writes: a header, one IFD, the description, then every
 * page's samples back to back (only the first one in the IFD), in the
 * file's byte order. `pages` pages of planes at[k]; `cut` bytes left off.
 */
static void write_imagej_raw(const char *path, const char *desc, int pages, const int (*at)[3],
                             int be, size_t cut)
{
    enum { NTAGS = 10 };
    size_t dlen = strlen(desc) + 1, ifd = 8, after = ifd + 2 + NTAGS * 12 + 4;
    size_t data = after + dlen, page = NPX * 2, total = data + (size_t)pages * page;
    unsigned char *f = calloc(1, total);
    memcpy(f, be ? "MM\0*" : "II*\0", 4);
    put32(f + 4, (uint32_t)ifd, be);
    put16(f + ifd, NTAGS, be);
    static const uint16_t tags[NTAGS] = {256, 257, 258, 259, 262, 270, 273, 277, 278, 279};
    uint32_t vals[NTAGS] = {W, H, 16, 1, 1, (uint32_t)after, (uint32_t)data, 1, H, (uint32_t)page};
    for (int i = 0; i < NTAGS; i++) {
        unsigned char *e = f + ifd + 2 + 12 * i;
        int ascii = tags[i] == 270, lng = tags[i] == 273 || tags[i] == 279;
        put16(e, tags[i], be);
        put16(e + 2, ascii ? 2 : lng ? 4 : 3, be);
        put32(e + 4, ascii ? (uint32_t)dlen : 1, be);
        if (ascii || lng)
            put32(e + 8, vals[i], be);
        else
            put16(e + 8, (uint16_t)vals[i], be);
    }
    memcpy(f + after, desc, dlen);
    for (int k = 0; k < pages; k++)
        for (int i = 0; i < NPX; i++)
            put16(f + data + (size_t)k * page + 2 * (size_t)i,
                  plane_value(at[k][0], at[k][1], at[k][2], i), be);
    FILE *out = fopen(path, "wb");
    fwrite(f, 1, total - cut, out);
    fclose(out);
    free(f);
}

static void test_imagej_raw(void)
{
    locus_reader *rd = locus_reader_create();
    locus_error err;
    int at[64][3];
    char desc[256];
    int n = imagej_order(3, 1, 2, at);
    imagej_desc(desc, sizeof desc, 3, 1, 2);
    for (int be = 0; be < 2; be++) {
        const char *path = tpath(be ? "raw_be.tif" : "raw_le.tif");
        write_imagej_raw(path, desc, n, (const int(*)[3])at, be, 0);
        for (int c = 0; c < 2; c++) {
            locus_source *src = open_one(path, c, 0, &err);
            int ok = src && locus_source_frames(src) == 3 && locus_source_check(src, NULL) == 0;
            for (int t = 0; ok && t < 3; t++)
                ok = frame_is(src, (size_t)t, rd, t, 0, 1, c, 2);
            CHECK(ok, "ImageJ raw stack (%s-endian), channel %d: 3 frames from 1 directory",
                  be ? "big" : "little", c);
            locus_source_free(src);
        }
    }
    /* without channels: one frame per raw page; as a volume, every page */
    n = imagej_order(1, 4, 1, at);
    imagej_desc(desc, sizeof desc, 1, 4, 1);
    const char *z = tpath("raw_z.tif");
    write_imagej_raw(z, desc, n, (const int(*)[3])at, 1, 0);
    locus_source *src = open_one(z, -1, 0, &err);
    int ok = src && locus_source_frames(src) == 4;
    for (int f = 0; ok && f < 4; f++)
        ok = frame_is(src, (size_t)f, rd, 0, f, 1, 0, 2);
    CHECK(ok, "ImageJ raw ZYX stack: 4 frames");
    locus_source_free(src);
    src = open_one(z, -1, 1, &err);
    CHECK(src && frame_is(src, 0, rd, 0, 0, 4, 0, 3), "ImageJ raw ZYX stack as one volume");
    locus_source_free(src);
    /* the file ends inside page 3: pages 0-2 read, page 3 fails */
    write_imagej_raw(tpath("raw_cut.tif"), desc, n, (const int(*)[3])at, 1, 10);
    src = open_one(tpath("raw_cut.tif"), -1, 0, &err);
    locus_image img;
    ok = src && locus_source_frames(src) == 4 && frame_is(src, 2, rd, 0, 2, 1, 0, 2);
    int st = src ? locus_source_read(src, 3, rd, &img, &err) : -1;
    CHECK(ok && st == LOCUS_E_FORMAT && strstr(err.message, "truncated TIFF") &&
              locus_source_check(src, NULL) == LOCUS_E_FORMAT,
          "ImageJ raw stack cut short: the last page fails (%s)", err.message);
    locus_source_free(src);
    locus_reader_free(rd);
}

/* ------------------------------------------------------------------ */
/* OME-TIFF                                                            */
/* ------------------------------------------------------------------ */

/* Plane order of a DimensionOrder: page k holds (t, z, c). */
static int ome_order(const char *order, int nt, int nz, int nc, int (*at)[3])
{
    int size[3], *val[3], k = 0, t, z, c;
    for (int i = 0; i < 3; i++) {
        char a = order[2 + i];
        size[i] = a == 'T' ? nt : a == 'Z' ? nz : nc;
        val[i] = a == 'T' ? &t : a == 'Z' ? &z : &c;
    }
    for (int s = 0; s < size[2]; s++)
        for (int r = 0; r < size[1]; r++)
            for (int q = 0; q < size[0]; q++) {
                *val[0] = q;
                *val[1] = r;
                *val[2] = s;
                at[k][0] = t;
                at[k][1] = z;
                at[k][2] = c;
                k++;
            }
    return k;
}

static void ome_xml(char *buf, size_t n, const char *order, int nt, int nz, int nc,
                    const char *tiffdata)
{
    snprintf(buf, n,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OME "
             "xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\" "
             "UUID=\"urn:uuid:0000\"><Image ID=\"Image:0\"><Pixels ID=\"Pixels:0\" "
             "DimensionOrder=\"%s\" Type=\"uint16\" SizeX=\"%d\" SizeY=\"%d\" SizeZ=\"%d\" "
             "SizeC=\"%d\" SizeT=\"%d\"><Channel ID=\"Channel:0:0\" SamplesPerPixel=\"1\"/>%s"
             "</Pixels></Image></OME>",
             order, W, H, nz, nc, nt, tiffdata);
}

static void check_ome_stack(const char *path, int nt, int nz, int nc, locus_reader *rd,
                            const char *what)
{
    locus_error err;
    for (int c = 0; c < nc; c++) {
        locus_source *src = open_one(path, c, 0, &err);
        int ok = src && locus_source_frames(src) == (size_t)(nt * nz);
        for (int f = 0; ok && f < nt * nz; f++)
            ok = frame_is(src, (size_t)f, rd, f / nz, f % nz, 1, c, 2);
        CHECK(ok, "%s, channel %d: %d frames in (t, z) order %s", what, c, nt * nz,
              src ? "" : err.message);
        locus_source_free(src);
        if (nz < 2)
            continue;
        src = open_one(path, c, 1, &err);
        ok = src && locus_source_frames(src) == (size_t)nt;
        for (int t = 0; ok && t < nt; t++)
            ok = frame_is(src, (size_t)t, rd, t, 0, nz, c, 3);
        CHECK(ok, "%s, channel %d, volume: %d volumes of %d slices", what, c, nt, nz);
        locus_source_free(src);
    }
}

static void test_ome_orders(void)
{
    locus_reader *rd = locus_reader_create();
    static const char *const orders[] = {"XYZCT", "XYZTC", "XYCZT", "XYCTZ", "XYTZC", "XYTCZ"};
    int at[64][3];
    char xml[4096], name[64], what[64];
    for (int i = 0; i < 6; i++) {
        int n = ome_order(orders[i], 2, 3, 2, at);
        ome_xml(xml, sizeof xml, orders[i], 2, 3, 2, "");
        snprintf(name, sizeof name, "order_%s.ome.tif", orders[i]);
        write_stack(tpath(name), xml, n, (const int(*)[3])at, i % 2 ? "wb" : "w");
        snprintf(what, sizeof what, "OME-TIFF %s, no TiffData", orders[i]);
        check_ome_stack(tpath(name), 2, 3, 2, rd, what);
    }
    expect_refusal(tpath("order_XYZCT.ome.tif"), -1, 0, LOCUS_E_CHANNEL,
                   "2 channels (OME-TIFF TCZYX); choose one with channel",
                   "OME-TIFF without a channel");
    expect_refusal(tpath("order_XYZCT.ome.tif"), 5, 0, LOCUS_E_CHANNEL,
                   "channel 5 out of range (the OME-TIFF TCZYX has 2 channels)",
                   "OME-TIFF channel 5");

    /* TiffData that place the planes in an order of their own: IFD k
     * holds XYZCT plane 11 - k, one TiffData per IFD */
    int n = ome_order("XYZCT", 2, 3, 2, at), rev[64][3];
    char td[4096] = "";
    size_t len = 0;
    for (int k = 0; k < n; k++) {
        memcpy(rev[k], at[n - 1 - k], sizeof rev[k]);
        len += (size_t)snprintf(td + len, sizeof td - len,
                                "<TiffData IFD=\"%d\" FirstT=\"%d\" FirstZ=\"%d\" FirstC=\"%d\" "
                                "PlaneCount=\"1\"/>",
                                k, rev[k][0], rev[k][1], rev[k][2]);
    }
    ome_xml(xml, sizeof xml, "XYZCT", 2, 3, 2, td);
    write_stack(tpath("tiffdata.ome.tif"), xml, n, (const int(*)[3])rev, "w");
    check_ome_stack(tpath("tiffdata.ome.tif"), 2, 3, 2, rd, "OME-TIFF, planes placed by TiffData");

    /* a plane no TiffData names: that frame fails, the others read */
    ome_xml(xml, sizeof xml, "XYZCT", 1, 1, 2, "<TiffData IFD=\"0\" PlaneCount=\"1\"/>");
    write_stack(tpath("gap.ome.tif"), xml, 2, (const int(*)[3])at, "w");
    locus_error err;
    locus_image img;
    locus_source *src = open_one(tpath("gap.ome.tif"), 1, 0, &err);
    int st = src ? locus_source_read(src, 0, rd, &img, &err) : -1;
    CHECK(st == LOCUS_E_FORMAT && strstr(err.message, "puts the plane in no page"),
          "OME-TIFF plane in no IFD: %s", err.message);
    locus_source_free(src);
    /* more planes than pages */
    ome_xml(xml, sizeof xml, "XYZCT", 5, 1, 2, "");
    write_stack(tpath("few.ome.tif"), xml, 2, (const int(*)[3])at, "w");
    expect_refusal(tpath("few.ome.tif"), 0, 0, LOCUS_E_FORMAT,
                   "OME-XML says 10 planes (SizeZ x SizeC x SizeT), but the file holds 2 pages",
                   "OME-TIFF with too few pages");
    /* SizeT of 10^12: refused before anything is allocated for it */
    ome_xml(xml, sizeof xml, "XYZCT", 1, 1, 1, "");
    char *big = strstr(xml, "SizeT=\"1\"");
    memcpy(big, "SizeT=\"1000000000000\"/></Image></OME>", 38);
    write_stack(tpath("huge.ome.tif"), xml, 1, (const int(*)[3])at, "w");
    expect_refusal(tpath("huge.ome.tif"), -1, 0, LOCUS_E_FORMAT, "unusable OME-XML metadata",
                   "OME-TIFF claiming SizeT=1e12");
    write_stack(tpath("broken.ome.tif"), "<?xml version=\"1.0\"?><OME><Image>", 1,
                (const int(*)[3])at, "w");
    expect_refusal(tpath("broken.ome.tif"), -1, 0, LOCUS_E_FORMAT, "corrupt OME-XML",
                   "OME-TIFF with broken XML");
    locus_reader_free(rd);
}

/* A multi-file set: file c holds the planes of channel c (z fastest). */
static void test_ome_multifile(void)
{
    locus_reader *rd = locus_reader_create();
    mkdir(tpath("set"), 0755);
    char xml[4096];
    ome_xml(xml, sizeof xml, "XYZCT", 2, 2, 3,
            "<TiffData FirstC=\"0\" IFD=\"0\" PlaneCount=\"2\"><UUID FileName=\"c0.ome.tif\">"
            "urn:uuid:0000</UUID></TiffData>"
            "<TiffData FirstC=\"0\" FirstT=\"1\" IFD=\"2\" PlaneCount=\"2\"><UUID "
            "FileName=\"c0.ome.tif\">urn:uuid:0000</UUID></TiffData>"
            "<TiffData FirstC=\"1\"><UUID FileName=\"c1.ome.tif\">urn:uuid:1111</UUID></TiffData>"
            "<TiffData FirstC=\"1\" FirstT=\"1\" IFD=\"2\" PlaneCount=\"2\"><UUID "
            "FileName=\"c1.ome.tif\">urn:uuid:1111</UUID></TiffData>"
            "<TiffData FirstC=\"2\" IFD=\"0\" PlaneCount=\"2\"><UUID FileName=\"sub/c2.ome.tif\">"
            "urn:uuid:2222</UUID></TiffData>"
            "<TiffData FirstC=\"2\" FirstT=\"1\" IFD=\"2\" PlaneCount=\"2\"><UUID "
            "FileName=\"sub/c2.ome.tif\">urn:uuid:2222</UUID></TiffData>");
    mkdir(tpath("set/sub"), 0755);
    static const char *const names[3] = {"set/c0.ome.tif", "set/c1.ome.tif", "set/sub/c2.ome.tif"};
    for (int c = 0; c < 3; c++) {
        int at[4][3] = {{0, 0, c}, {0, 1, c}, {1, 0, c}, {1, 1, c}};
        write_stack(tpath(names[c]), xml, 4, (const int(*)[3])at, c == 1 ? "wb" : "w");
    }
    /* the first c1.ome.tif used to give 1: it is the middle file now */
    check_ome_stack(tpath("set/c0.ome.tif"), 2, 2, 3, rd, "multi-file OME-TIFF from c0");
    check_ome_stack(tpath("set/c1.ome.tif"), 2, 2, 3, rd, "multi-file OME-TIFF from c1");
    locus_error err;
    locus_source_opts o = {.channel = 2, .volume = 0};
    locus_source *src = NULL;
    const char *in[2] = {tpath("set/c*.ome.tif"), tpath("set/sub")};
    int st = locus_source_open(&src, in, 2, &o, &err);
    CHECK(st == 0 && locus_source_files(src) == 3 && locus_source_frames(src) == 4 &&
              frame_is(src, 3, rd, 1, 1, 1, 2, 2),
          "every file of a set listed: the set is read once (%zu frames)",
          src ? locus_source_frames(src) : 0);
    locus_source_free(src);
    rename(tpath("set/sub/c2.ome.tif"), tpath("set/sub/c2.away"));
    expect_refusal(tpath("set/c0.ome.tif"), 0, 0, LOCUS_E_IO, "No such file",
                   "multi-file OME-TIFF with a file missing");
    rename(tpath("set/sub/c2.away"), tpath("set/sub/c2.ome.tif"));
    char bad[4096];
    ome_xml(bad, sizeof bad, "XYZCT", 1, 1, 1,
            "<TiffData><UUID FileName=\"../elsewhere.tif\">urn:uuid:9</UUID></TiffData>");
    int at[1][3] = {{0, 0, 0}};
    write_stack(tpath("escape.ome.tif"), bad, 1, (const int(*)[3])at, "w");
    expect_refusal(tpath("escape.ome.tif"), -1, 0, LOCUS_E_UNSUPPORTED,
                   "outside this file's directory", "OME FileName with ..");
    locus_reader_free(rd);
}

/* A packed source (as locus-mpi sends it) reads the same frames. */
static void test_pack(void)
{
    locus_reader *rd = locus_reader_create();
    static const struct {
        const char *name;
        int channel, volume, nt, nz, c;
    } cases[] = {{"tzcyx.tif", 1, 1, 2, 3, 1},
                 {"raw_be.tif", 0, 0, 3, 1, 0},
                 {"set/c1.ome.tif", 2, 0, 2, 2, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        locus_error err;
        locus_source *src = open_one(tpath(cases[i].name), cases[i].channel, cases[i].volume, &err);
        locus_buffer b = {0};
        locus_source *back = NULL;
        int st = src ? locus_source_pack(src, &b) : -1;
        st = st ? st : locus_source_unpack(&back, b.data, b.len, &err);
        int ok = st == 0 && locus_source_frames(back) == locus_source_frames(src);
        for (size_t f = 0; ok && f < locus_source_frames(src); f++) {
            int t = cases[i].volume ? (int)f : (int)f / cases[i].nz;
            int z = cases[i].volume ? 0 : (int)f % cases[i].nz;
            int depth = cases[i].volume ? cases[i].nz : 1;
            ok = frame_is(back, f, rd, t, z, depth, cases[i].c, cases[i].volume ? 3 : 2);
        }
        CHECK(ok, "%s packed and unpacked: the same frames", cases[i].name);
        for (size_t cut = 0; ok && cut < b.len; cut += 7) {
            locus_source *bad = NULL;
            ok = locus_source_unpack(&bad, b.data, cut, &err) == LOCUS_E_FORMAT && !bad;
        }
        CHECK(ok, "%s: every cut of the packed source is refused", cases[i].name);
        locus_buffer_free(&b);
        locus_source_free(back);
        locus_source_free(src);
    }
    locus_reader_free(rd);
}

/* ------------------------------------------------------------------ */
/* The command line                                                    */
/* ------------------------------------------------------------------ */

/* `locus locate` on path: exit 2 and one stderr line naming path. */
static void cli_refuses(const char *args, const char *path, const char *needle)
{
    const char *bin = getenv("LOCUS_BIN");
    if (!bin)
        bin = "build/locus";
    char cmd[2048], out[2048] = "";
    snprintf(cmd, sizeof cmd, "%s locate -d 3 %s '%s' >/dev/null 2>'%s'", bin, args, path,
             tpath("stderr.txt"));
    int rc = system(cmd);
    FILE *f = fopen(tpath("stderr.txt"), "r");
    size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
    if (f)
        fclose(f);
    out[n] = '\0';
    char *nl = strchr(out, '\n');
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2 && nl && nl[1] == '\0' && strstr(out, path) &&
              strstr(out, needle),
          "locus locate %s on %s: exit 2, one line: %s", args, path, out);
}

static void test_cli(void)
{
    cli_refuses("", tpath("tcyx.tif"), "choose one with --channel");
    cli_refuses("--channel 7", tpath("order_XYCZT.ome.tif"), "channel 7 out of range");
    cli_refuses("--volume --channel 0", tpath("tcyx.tif"), "volume needs z slices");
    cli_refuses("", tpath("broken.ome.tif"), "corrupt OME-XML");
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", dir);
}

int main(void)
{
    TIFFSetWarningHandler(NULL);
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%s/locus_axes_XXXXXX", base);
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_imagej_parser();
    test_ome_parser();
    test_imagej_channels();
    test_imagej_plain();
    test_imagej_raw();
    test_ome_orders();
    test_ome_multifile();
    test_pack();
    test_cli();
    remove_tree(tmpdir);
    return check_done();
}

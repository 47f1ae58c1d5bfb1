/*
 * Video files (AVI, MP4/MOV, MKV/WebM) through FFmpeg's libraries:
 * libavformat demuxes, libavcodec decodes, libswscale converts colour.
 *
 * Opening (locus_videoio_scan) demuxes every packet of the first video
 * stream without decoding it and keeps the timestamps of the frames in
 * presentation order (frame k has the k-th smallest pts of the packets
 * the decoder outputs), the keyframes, and a hash of every packet. Only
 * the first frame is decoded, to learn the pixel format and which leading
 * frames a decoder drops. Where timestamps cannot name frames (missing or
 * repeated, or keyframes out of order) the file is read "sequentially":
 * counted by decoding it whole, frame k being the k-th frame out.
 *
 * Reading frame k (locus_videoio_read) goes on decoding when the reader's
 * decoder started at frame k's keyframe and has not passed k; otherwise
 * it starts a new decoder at that keyframe (the last one at or before
 * frame k's pts), seeking there unless it is the next packet anyway, and
 * checks that it landed on that very packet and that every packet after
 * it is the one indexed. It decodes forward until the frame with frame
 * k's pts comes out. A seek that lands wrong, a frame that never appears,
 * a damaged frame or a decoding error is retried from the keyframe before
 * and then from the start of the file; only what decoding from the start
 * says is reported. So on a sound stream every frame is what decoding the
 * whole file in order gives, whatever order frames are read in.
 *
 * Every reader has its own demuxer, decoder (one thread) and scaler, and
 * reads the file through its own descriptor (pread, a custom AVIOContext):
 * no protocol, URL or other file is ever opened by libavformat.
 *
 * FFmpeg logs through one process-wide callback; see vio_log for how
 * locus keeps its readers' messages off stderr and uses them.
 */
#include "io/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include "io/video_av.h" /* FFmpeg, loaded on first use */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { VIO_BUFFER = 1 << 16 };

/* The outcome of a positioning or decoding step. */
enum { VIO_FOUND = 0, VIO_MISS = 1, VIO_ERROR = 2, VIO_DAMAGED = 3 };

/* ------------------------------------------------------------------ */
/* Recognising a container                                             */
/* ------------------------------------------------------------------ */

int locus_videoio_probe(const unsigned char *b, size_t n)
{
    static const unsigned char ebml[4] = {0x1a, 0x45, 0xdf, 0xa3};
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "AVI ", 4) == 0)
        return VIDEOIO_AVI;
    if (n >= 4 && memcmp(b, ebml, 4) == 0)
        return VIDEOIO_MKV;
    /* ISO base media / QuickTime: a box type at bytes 4..7 */
    static const char *const boxes[] = {"ftyp", "moov", "mdat", "free", "wide", "skip", "pnot"};
    for (size_t i = 0; n >= 8 && i < sizeof boxes / sizeof *boxes; i++)
        if (memcmp(b + 4, boxes[i], 4) == 0)
            return VIDEOIO_MOV;
    return VIDEOIO_NONE;
}

static const char *demuxer_name(int container)
{
    switch (container) {
    case VIDEOIO_AVI:
        return "avi";
    case VIDEOIO_MOV:
        return "mov";
    case VIDEOIO_MKV:
        return "matroska";
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Input: the file through its descriptor                              */
/* ------------------------------------------------------------------ */

typedef struct {
    int fd;
    uint64_t size, pos;
    int io_errno; /* the last failed pread(2) */
} vio_file;

static int vio_read(void *opaque, uint8_t *buf, int n)
{
    vio_file *f = opaque;
    if (n <= 0)
        return 0;
    if (f->pos >= f->size)
        return AVERROR_EOF;
    size_t want = (size_t)n;
    if (want > f->size - f->pos)
        want = (size_t)(f->size - f->pos);
    for (;;) {
        ssize_t r = pread(f->fd, buf, want, (off_t)f->pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            f->io_errno = errno;
            return AVERROR(errno);
        }
        if (r == 0)
            return AVERROR_EOF; /* the file shrank */
        f->pos += (uint64_t)r;
        return (int)r;
    }
}

static int64_t vio_seek(void *opaque, int64_t off, int whence)
{
    vio_file *f = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE:
        return (int64_t)f->size;
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = (int64_t)f->pos;
        break;
    case SEEK_END:
        base = (int64_t)f->size;
        break;
    default:
        return AVERROR(EINVAL);
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return AVERROR(EINVAL);
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

/* Demuxers may ask to open other files (references, playlists): never. */
static int deny_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                        AVDictionary **options)
{
    (void)s;
    (void)pb;
    (void)url;
    (void)flags;
    (void)options;
    return AVERROR(EPERM);
}

/* ------------------------------------------------------------------ */
/* A demuxer and decoder on one file                                   */
/* ------------------------------------------------------------------ */

typedef struct {
    vio_file file;
    AVIOContext *avio;
    AVFormatContext *fmt;
    AVStream *st;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame;
    uint64_t read; /* packets of the stream read since the last positioning */
    /* what the index says the packets are: checked as they are read */
    const uint64_t *expect; /* hashes in decode order, or NULL: no check */
    uint64_t nexpect;
    uint64_t expect_at; /* decode index of the next packet */
    int diverged;       /* a packet was not the one the index holds */
    int flushed;        /* the decoder was told the stream ended */
    int corrupt_pkt;    /* the last packet error was a packet flagged corrupt */
    /* FFmpeg's error messages while this thread works on this file */
    unsigned long errors;      /* how many so far */
    unsigned long errors_seen; /* how many when the last frame came out */
    char error[160];           /* the first since the last frame came out */
} vio_media;

/*
 * FFmpeg's log callback is process-wide. locus's one sends what FFmpeg
 * says while a locus reader works on this thread to that reader (error
 * messages are kept and count against the frame being decoded) instead
 * of stderr; everything else goes to FFmpeg's default callback as before.
 * The thread-local pointer says which reader, if any, is at work here.
 */
static _Thread_local vio_media *vio_listener;

static void vio_log(void *avcl, int level, const char *fmt, va_list ap)
{
    vio_media *m = vio_listener;
    if (!m) {
        av_log_default_callback(avcl, level, fmt, ap);
        return;
    }
    if (level > AV_LOG_ERROR)
        return;
    if (m->errors++ == m->errors_seen) {
        vsnprintf(m->error, sizeof m->error, fmt, ap);
        m->error[strcspn(m->error, "\n")] = '\0';
    }
}

/* FFmpeg's messages on this thread go to m (NULL: to FFmpeg's default). */
static void vio_listen(vio_media *m)
{
    vio_listener = m;
    if (m)
        av_log_set_callback(vio_log);
}

/* Whether FFmpeg reported an error since the last frame came out; then
 * forget it, the frame in m->frame having taken the blame. */
static int vio_took_error(vio_media *m)
{
    int e = m->errors != m->errors_seen;
    m->errors_seen = m->errors;
    return e;
}

static void media_close(vio_media *m)
{
    if (vio_listener == m)
        vio_listen(NULL);
    avcodec_free_context(&m->dec);
    avformat_close_input(&m->fmt);
    if (m->avio) {
        av_freep(&m->avio->buffer);
        avio_context_free(&m->avio);
    }
    av_packet_free(&m->pkt);
    av_frame_free(&m->frame);
    m->st = NULL;
}

/* A libav error as locus status and text (frame-level when pre is set). */
static int av_fail(const vio_media *m, int r, const char *path, const char *pre, const char *what,
                   locus_error *err)
{
    char text[AV_ERROR_MAX_STRING_SIZE] = "";
    if (m && m->file.io_errno)
        return locus_imageio_fail(err, LOCUS_E_IO, path, pre, "%s: read error: %s", what,
                                  strerror(m->file.io_errno));
    if (r == AVERROR(ENOMEM))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, pre, "out of memory");
    if (m && m->diverged)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre,
                                  "%s: the file's packets are not those found when it was opened "
                                  "(damaged, or changed since)",
                                  what);
    if (m && m->corrupt_pkt)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre, "%s: corrupt or truncated packet",
                                  what);
    av_strerror(r, text, sizeof text);
    int status = r == AVERROR_PATCHWELCOME ? LOCUS_E_UNSUPPORTED : LOCUS_E_FORMAT;
    if (m && m->error[0])
        return locus_imageio_fail(err, status, path, pre, "%s: %s (FFmpeg: %s)", what, text,
                                  m->error);
    return locus_imageio_fail(err, status, path, pre, "%s: %s", what, text);
}

static int open_demuxer(vio_media *m, int container, const char *path, locus_error *err)
{
    unsigned char *buf = av_malloc(VIO_BUFFER);
    if (buf)
        m->avio = avio_alloc_context(buf, VIO_BUFFER, 0, &m->file, vio_read, NULL, vio_seek);
    if (!m->avio)
        av_free(buf);
    if (!m->avio || !(m->fmt = avformat_alloc_context()) || !(m->pkt = av_packet_alloc()) ||
        !(m->frame = av_frame_alloc()))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    m->fmt->pb = m->avio;
    m->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    m->fmt->io_open = deny_io_open;
    const AVInputFormat *ifmt = av_find_input_format(demuxer_name(container));
    if (!ifmt)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "this FFmpeg has no %s demuxer", demuxer_name(container));
    int r = avformat_open_input(&m->fmt, "", ifmt, NULL); /* frees fmt on failure */
    if (r < 0)
        return av_fail(m, r, path, "", "not a readable video", err);
    /* as PyAV's av.open does: some timestamps are only known after this */
    r = avformat_find_stream_info(m->fmt, NULL);
    if (r < 0)
        return av_fail(m, r, path, "", "cannot read the stream information", err);
    return LOCUS_OK;
}

/* The first video stream (not a cover picture), as PyAV's streams.video[0]. */
static int pick_stream(vio_media *m, int want, const char *path, locus_error *err)
{
    for (unsigned i = 0; i < m->fmt->nb_streams && !m->st; i++) {
        AVStream *s = m->fmt->streams[i];
        int video = s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
                    !(s->disposition & AV_DISPOSITION_ATTACHED_PIC);
        if (want >= 0 ? (int)i == want && video : video)
            m->st = s;
    }
    if (!m->st)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "no video stream (no frames)");
    for (unsigned i = 0; i < m->fmt->nb_streams; i++)
        if (m->fmt->streams[i] != m->st)
            m->fmt->streams[i]->discard = AVDISCARD_ALL;
    return LOCUS_OK;
}

static int check_claims(const AVStream *st, const char *path, locus_error *err)
{
    const AVCodecParameters *p = st->codecpar;
    if (p->width < 0 || p->height < 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "negative frame size");
    if (p->width == 0 || p->height == 0)
        return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                  "no valid frame size in the header (damaged, or larger than "
                                  "FFmpeg allows)");
    uint64_t pixels = (uint64_t)p->width * (uint64_t)p->height;
    int st_ = locus_imageio_check_size(path, "", pixels, 6, err); /* up to RGB48 */
    if (st_)
        return st_;
    if (st->nb_frames > 0 && (uint64_t)st->nb_frames > IMAGEIO_MAX_FRAMES)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "the video claims %lld frames (the limit is 2^25 per file)",
                                  (long long)st->nb_frames);
    return LOCUS_OK;
}

static int open_decoder(vio_media *m, const char *path, locus_error *err)
{
    const AVCodecParameters *par = m->st->codecpar;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "no decoder for the %s codec in this FFmpeg",
                                  avcodec_get_name(par->codec_id));
    if (!(m->dec = avcodec_alloc_context3(codec)))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    int r = avcodec_parameters_to_context(m->dec, par);
    if (r < 0)
        return av_fail(m, r, path, "", "bad codec parameters", err);
    m->dec->pkt_timebase = m->st->time_base;
    /* one thread: locus runs one reader per core already */
    m->dec->thread_count = 1;
    /* a damaged packet is an error, not a concealed (made-up) frame */
    m->dec->err_recognition |= AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE;
    m->dec->max_pixels = (int64_t)IMAGEIO_MAX_PIXELS;
    r = avcodec_open2(m->dec, codec, NULL);
    if (r < 0)
        return av_fail(m, r, path, "", "cannot open the decoder", err);
    return LOCUS_OK;
}

/* Open fd's video; stream < 0 picks the first video stream. */
static int media_open(vio_media *m, int fd, uint64_t size, int container, int stream,
                      const char *path, locus_error *err)
{
    memset(m, 0, sizeof *m);
    m->file.fd = fd;
    m->file.size = size;
    vio_listen(m);
    int st = open_demuxer(m, container, path, err);
    if (!st)
        st = pick_stream(m, stream, path, err);
    if (!st)
        st = check_claims(m->st, path, err);
    if (!st)
        st = open_decoder(m, path, err);
    return st;
}

/* A hash of a packet's bytes, 8 at a time (not cryptographic: it tells a
 * demuxer's different readings of one place in a damaged file apart). */
static uint64_t packet_hash(const AVPacket *p)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)p->size;
    size_t n = (size_t)p->size, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p->data + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ p->data[i]) * 0x100000001b3ull;
    return h;
}

/* The next non-empty packet of the stream: 1, 0 at the end, or an error. */
static int next_packet(vio_media *m)
{
    for (;;) {
        int r = av_read_frame(m->fmt, m->pkt);
        if (r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return r;
        if (m->pkt->stream_index == m->st->index && m->pkt->size > 0) {
            m->read++;
            if (m->pkt->flags & AV_PKT_FLAG_CORRUPT) {
                av_packet_unref(m->pkt);
                m->corrupt_pkt = 1;
                return AVERROR_INVALIDDATA;
            }
            if (m->expect &&
                (m->expect_at >= m->nexpect || packet_hash(m->pkt) != m->expect[m->expect_at])) {
                av_packet_unref(m->pkt); /* not the stream that was indexed */
                m->diverged = 1;
                return AVERROR_INVALIDDATA;
            }
            m->expect_at++;
            return 1;
        }
        av_packet_unref(m->pkt);
    }
}

static int send_packet(vio_media *m)
{
    int r = avcodec_send_packet(m->dec, m->pkt);
    av_packet_unref(m->pkt);
    return r == AVERROR(EAGAIN) ? 0 : r;
}

/* The next decoded frame into m->frame: 1, 0 at the end, or an error. */
static int next_frame(vio_media *m)
{
    for (;;) {
        int r = avcodec_receive_frame(m->dec, m->frame);
        if (r == 0)
            return 1;
        if (r == AVERROR_EOF)
            return 0;
        if (r != AVERROR(EAGAIN))
            return r;
        if (m->flushed)
            return 0;
        r = next_packet(m);
        if (r < 0)
            return r;
        if (r == 0) {
            m->flushed = 1;
            r = avcodec_send_packet(m->dec, NULL);
        } else {
            r = send_packet(m);
        }
        if (r < 0)
            return r;
    }
}

static int64_t frame_ts(const AVFrame *f)
{
    return f->pts != AV_NOPTS_VALUE ? f->pts : f->best_effort_timestamp;
}

/* A frame the decoder flags as damaged (concealed errors) is not data. */
static int frame_damaged(const AVFrame *f)
{
    return f->decode_error_flags != 0 || (f->flags & AV_FRAME_FLAG_CORRUPT);
}

/* ------------------------------------------------------------------ */
/* Pixels                                                              */
/* ------------------------------------------------------------------ */

/* How a decoded frame becomes locus pixels. */
typedef struct {
    int sws;                /* convert to RGB with libswscale, else copy a component */
    int comp;               /* the component to copy, or the RGB channel to take */
    enum AVPixelFormat rgb; /* AV_PIX_FMT_RGB24 or AV_PIX_FMT_RGB48 */
    locus_dtype dtype;
} vio_plan;

static int plan_fail(locus_error *err, int status, const char *path, const char *pre,
                     const char *fmt_name, const char *why)
{
    return locus_imageio_fail(err, status, path, pre, "%s video (%s); %s",
                              status == LOCUS_E_UNSUPPORTED ? "unsupported" : "colour", fmt_name,
                              why);
}

static int plan_pixels(int format, int channel, int luma, const char *path, const char *pre,
                       vio_plan *p, locus_error *err)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    if (!d)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre, "unknown pixel format");
    const char *name = d->name;
    if (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BITSTREAM) ||
        d->comp[0].depth > 16 || d->nb_components == 0)
        return plan_fail(err, LOCUS_E_UNSUPPORTED, path, pre, name,
                         "locus reads 8- to 16-bit integer samples");
    int rgb = (d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BAYER)) != 0;
    int grey = !rgb && d->nb_components <= 2;
    memset(p, 0, sizeof *p);
    p->dtype = d->comp[0].depth > 8 ? LOCUS_U16 : LOCUS_U8;
    if (grey) {
        if (luma)
            return LOCUS_OK;
        return locus_imageio_pick_channel(channel, d->nb_components,
                                          d->nb_components == 1 ? IMAGEIO_GREY : IMAGEIO_GREY_ALPHA,
                                          path, pre, &p->comp, err);
    }
    if (luma && !rgb)
        return LOCUS_OK; /* component 0 is Y */
    if (luma)
        return plan_fail(err, LOCUS_E_CHANNEL, path, pre, name,
                         "it has no luma plane to take with --luma: choose a channel with "
                         "--channel N (0 = red, 1 = green, 2 = blue)");
    if (channel < 0)
        return plan_fail(err, LOCUS_E_CHANNEL, path, pre, name,
                         "choose a channel with --channel N (0 = red, 1 = green, 2 = blue), or "
                         "--luma for its luma (Y) plane");
    p->sws = 1;
    p->rgb = p->dtype == LOCUS_U16 ? AV_PIX_FMT_RGB48 : AV_PIX_FMT_RGB24;
    return locus_imageio_pick_channel(channel, 3, IMAGEIO_RGB, path, pre, &p->comp, err);
}

/* Component c of a frame, row by row, into dst (uint8 or uint16). */
static void copy_component(const AVFrame *f, int c, locus_dtype dtype, void *dst, uint16_t *line)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    const AVComponentDescriptor *cd = &d->comp[c];
    size_t w = (size_t)f->width, size = locus_dtype_size(dtype);
    int native_be = AV_HAVE_BIGENDIAN;
    int be = (d->flags & AV_PIX_FMT_FLAG_BE) != 0;
    /* the common planar layouts are plain rows of samples */
    int plain = cd->shift == 0 && cd->offset == 0 && (size_t)cd->step == size &&
                (size == 1 || be == native_be);
    for (int y = 0; y < f->height; y++) {
        unsigned char *out = (unsigned char *)dst + (size_t)y * w * size;
        if (plain) {
            memcpy(out, f->data[cd->plane] + (ptrdiff_t)y * f->linesize[cd->plane], w * size);
            continue;
        }
        av_read_image_line2(size == 2 ? (void *)out : (void *)line, (const uint8_t **)f->data,
                            f->linesize, d, 0, y, c, f->width, 0, 2);
        if (size == 1)
            for (size_t x = 0; x < w; x++)
                out[x] = (unsigned char)line[x];
    }
}

/*
 * RGB as PyAV's frame.to_ndarray(format='rgb24') makes it (PyAV 10's
 * VideoReformatter): sws_getCachedContext at the same size with
 * SWS_BILINEAR and no colorspace details set (so swscale's defaults:
 * BT.601, the range the pixel format implies), sws_scale from the
 * frame's planes into a buffer laid out as av_image_alloc(..., 16) lays
 * it out. Then one channel.
 */
static int convert_rgb(videoio_handle *h, const AVFrame *f, const vio_plan *p, locus_reader *rd,
                       const char *path, const char *pre, locus_error *err);

/* ------------------------------------------------------------------ */
/* The reader's open video                                             */
/* ------------------------------------------------------------------ */

struct videoio_handle {
    vio_media m;
    int open;
    int fd;
    struct SwsContext *sws;
    /* which file: a path can be replaced by another file */
    char *path;
    dev_t dev;
    ino_t ino;
    off_t bytes;
    struct timespec mtime;
    /* where decoding stands */
    int positioned;            /* the decoder continues from a known place */
    uint64_t base;             /* decode-order index of the packet positioned at */
    int64_t floor_pts;         /* frames before this are leading pictures: not trusted */
    int64_t last_pts;          /* the frame last handed out */
    uint64_t out;              /* sequential: frames out of the decoder since the start */
    int tainted;               /* a damaged frame came out since the last clean keyframe */
    const videoio_key *at_key; /* decoding started afresh here (NULL: the start) */
};

static int convert_rgb(videoio_handle *h, const AVFrame *f, const vio_plan *p, locus_reader *rd,
                       const char *path, const char *pre, locus_error *err)
{
    int lines[4];
    int st = av_image_fill_linesizes(lines, p->rgb, FFALIGN(f->width, 8));
    if (st < 0)
        return av_fail(NULL, st, path, pre, "cannot convert to RGB", err);
    size_t stride = (size_t)FFALIGN(lines[0], 16), size = locus_dtype_size(p->dtype);
    size_t w = (size_t)f->width, hgt = (size_t)f->height;
    if (locus_mem_reserve(&rd->scratch, &rd->scratch_cap, size_mul(stride, hgt + 1)))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, pre, "out of memory");
    h->sws = sws_getCachedContext(h->sws, f->width, f->height, f->format, f->width, f->height,
                                  p->rgb, SWS_BILINEAR, NULL, NULL, NULL);
    if (!h->sws)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, pre,
                                  "cannot convert %s pixels to RGB",
                                  av_get_pix_fmt_name(f->format));
    uint8_t *dst[4] = {rd->scratch, NULL, NULL, NULL};
    int dst_lines[4] = {(int)stride, 0, 0, 0};
    sws_scale(h->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_lines);
    for (size_t y = 0; y < hgt; y++)
        locus_imageio_extract((unsigned char *)rd->pixels + y * w * size,
                              (const unsigned char *)rd->scratch + y * stride, w, 3, p->comp, size);
    return LOCUS_OK;
}

/* The decoded frame in h->m.frame as locus pixels in rd->pixels. */
static int deliver(videoio_handle *h, int channel, int luma, locus_reader *rd, locus_image *img,
                   const char *path, const char *pre, locus_error *err)
{
    const AVFrame *f = h->m.frame;
    vio_plan p;
    int st = plan_pixels(f->format, channel, luma, path, pre, &p, err);
    if (st)
        return st;
    size_t size = locus_dtype_size(p.dtype);
    st = locus_imageio_check_size(path, pre, (uint64_t)f->width * (uint64_t)f->height,
                                  size * (p.sws ? 3 : 1), err);
    if (st)
        return st;
    size_t w = (size_t)f->width, hgt = (size_t)f->height;
    if (locus_mem_reserve(&rd->pixels, &rd->pixels_cap, w * hgt * size) ||
        (!p.sws && locus_mem_reserve(&rd->rows, &rd->rows_cap, w * 2 + 64)))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, pre, "out of memory");
    if (p.sws) {
        st = convert_rgb(h, f, &p, rd, path, pre, err);
        if (st)
            return st;
    } else {
        copy_component(f, p.comp, p.dtype, rd->pixels, rd->rows);
    }
    img->data = rd->pixels;
    img->dtype = p.dtype;
    img->ndim = 2;
    img->shape[0] = hgt;
    img->shape[1] = w;
    locus_image_set_contiguous(img);
    return LOCUS_OK;
}

static void handle_close(videoio_handle *h)
{
    media_close(&h->m);
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    h->open = 0;
    h->positioned = 0;
}

void locus_videoio_handle_free(videoio_handle *h)
{
    if (!h)
        return;
    handle_close(h);
    sws_freeContext(h->sws);
    free(h->path);
    free(h);
}

static int same_file(const videoio_handle *h, const char *path, const struct stat *st)
{
    return h->open && h->path && !strcmp(h->path, path) && h->dev == st->st_dev &&
           h->ino == st->st_ino && h->bytes == st->st_size &&
           h->mtime.tv_sec == st->st_mtim.tv_sec && h->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* (Re)open the file from its start: the decoder is then at packet 0. */
static int handle_open(videoio_handle *h, const char *path, const videoio_index *ix,
                       locus_error *err)
{
    handle_close(h);
    struct stat st;
    h->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0 || fstat(h->fd, &st) != 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    if (!h->path || strcmp(h->path, path) != 0) {
        free(h->path);
        if (!(h->path = strdup(path)))
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    }
    h->dev = st.st_dev;
    h->ino = st.st_ino;
    h->bytes = st.st_size;
    h->mtime = st.st_mtim;
    int s = media_open(&h->m, h->fd, (uint64_t)st.st_size, ix->container, ix->stream, path, err);
    if (s)
        return s;
    h->m.expect = ix->hashes;
    h->m.nexpect = ix->npackets;
    h->open = 1;
    h->positioned = 1;
    h->base = 0;
    h->floor_pts = INT64_MIN;
    h->last_pts = INT64_MIN;
    h->out = 0;
    h->tainted = 0;
    h->at_key = NULL;
    vio_took_error(&h->m); /* the file was vetted when it was indexed */
    return LOCUS_OK;
}

static int handle_get(locus_reader *rd, const char *path, const videoio_index *ix,
                      videoio_handle **out, locus_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    if (!rd->video) {
        if (!(rd->video = calloc(1, sizeof *rd->video)))
            return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
        rd->video->fd = -1;
    }
    *out = rd->video;
    if (same_file(rd->video, path, &st) && rd->video->m.st && rd->video->m.st->index == ix->stream)
        return LOCUS_OK;
    int s = handle_open(rd->video, path, ix, err);
    if (s)
        handle_close(rd->video);
    return s;
}

/* ------------------------------------------------------------------ */
/* Finding a frame                                                     */
/* ------------------------------------------------------------------ */

/* The last keyframe whose pts is at or before t, or NULL (the start). */
static const videoio_key *key_for(const videoio_index *ix, int64_t t)
{
    size_t lo = 0, hi = ix->nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->keys[mid].pts <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &ix->keys[lo - 1] : NULL;
}

static int same_packet(const AVPacket *p, const videoio_key *k)
{
    return p->pts == k->pts && p->dts == k->dts && p->pos == k->pos && p->size == k->size &&
           packet_hash(p) == k->hash;
}

/* Whether packet p comes before keyframe k in the file. */
static int packet_before(const AVPacket *p, const videoio_key *k)
{
    if (p->pos >= 0 && k->pos >= 0)
        return p->pos < k->pos;
    if (p->dts != AV_NOPTS_VALUE && k->dts != AV_NOPTS_VALUE)
        return p->dts < k->dts;
    return p->pts != AV_NOPTS_VALUE && p->pts < k->pts;
}

/*
 * Read packets up to keyframe k, leaving it in m->pkt: those before it
 * are skipped, reaching one after it is a miss.
 */
static int skip_to_key(vio_media *m, const videoio_key *k)
{
    const uint64_t *expect = m->expect;
    m->expect = NULL; /* where reading lands is checked here instead */
    int found = VIO_MISS;
    while (next_packet(m) > 0) {
        if (same_packet(m->pkt, k)) {
            found = VIO_FOUND;
            break;
        }
        int before = packet_before(m->pkt, k);
        av_packet_unref(m->pkt);
        if (!before)
            break;
    }
    m->expect = expect;
    return found;
}

/*
 * Put the decoder at keyframe k, a new decoder whose first packet is k's.
 *
 * A new decoder rather than avcodec_flush_buffers: some decoders keep
 * state across a flush and even across keyframes (FFV1's header state,
 * MJPEG's Huffman tables), so a damaged stream would decode differently
 * after a seek than in order.
 *
 * Where a seek lands can depend on what the demuxer has read before: the
 * AVI demuxer, for one, adds to its index the packets it reads, so on a
 * damaged file the same seek can hit after some reads and miss after
 * others, or on the file freshly opened (fuzz_video found both). A miss
 * is therefore never final: the file is opened afresh and read, without
 * decoding, up to k's packet. Whichever way k is reached, the decoder
 * then gets the packets the index holds from k on (each is checked
 * against it), so a frame's pixels do not depend on the frames read
 * before it. Sound files never miss, so this costs them nothing.
 */
static int seek_to_key(videoio_handle *h, const char *path, const videoio_index *ix,
                       const videoio_key *k, unsigned long *reopens, locus_error *err)
{
    vio_media *m = &h->m;
    /* the keyframe is the next packet anyway: no need to seek */
    int here = h->positioned && !m->flushed && h->base + m->read == k->dec;
    h->positioned = 0;
    int64_t ts = k->dts != AV_NOPTS_VALUE ? k->dts : k->pts;
    int found = VIO_MISS;
    if (here || av_seek_frame(m->fmt, m->st->index, ts, AVSEEK_FLAG_BACKWARD) >= 0) {
        locus_error ignored;
        avcodec_free_context(&m->dec);
        if (open_decoder(m, "", &ignored))
            return VIO_MISS;
        found = skip_to_key(m, k);
    }
    if (found == VIO_MISS) {
        if (handle_open(h, path, ix, err)) /* with a new decoder */
            return VIO_ERROR;
        h->positioned = 0;
        (*reopens)++;
        if (skip_to_key(m, k) == VIO_MISS)
            return VIO_MISS;
    }
    m->flushed = 0;
    m->corrupt_pkt = 0;
    m->diverged = 0;
    m->expect_at = k->dec + 1;
    vio_took_error(m); /* what seeking said is no frame's fault */
    if (send_packet(m) < 0)
        return VIO_MISS;
    m->read = 1;
    h->at_key = k;
    h->base = k->dec;
    h->tainted = 0;
    h->floor_pts = k->pts;
    h->last_pts = INT64_MIN;
    h->positioned = 1;
    return VIO_FOUND;
}

/*
 * Whether the frame just decoded may be wrong: FFmpeg reported an error
 * for it, or for a frame it may depend on (since the last clean keyframe).
 */
static int frame_suspect(videoio_handle *h)
{
    const AVFrame *f = h->m.frame;
    int damaged = vio_took_error(&h->m) || frame_damaged(f);
    /* the frame of the keyframe sought to must decode as a keyframe */
    if (h->floor_pts != INT64_MIN && frame_ts(f) == h->floor_pts && !f->key_frame)
        damaged = 1;
    if (damaged)
        h->tainted = 1;
    else if (f->key_frame)
        h->tainted = 0;
    return h->tainted;
}

/* Decode forward to the frame with pts t. */
static int decode_to(videoio_handle *h, int64_t t, int *av_error)
{
    for (;;) {
        int r = next_frame(&h->m);
        if (r < 0) {
            *av_error = r;
            h->positioned = 0;
            return VIO_ERROR;
        }
        if (r == 0) {
            h->positioned = 0;
            return VIO_MISS;
        }
        int64_t ts = frame_ts(h->m.frame);
        int damaged = frame_suspect(h);
        if (ts == t && ts >= h->floor_pts) {
            h->last_pts = ts;
            return damaged ? VIO_DAMAGED : VIO_FOUND;
        }
        av_frame_unref(h->m.frame);
        if (ts > t && ts != AV_NOPTS_VALUE) {
            h->positioned = 0; /* passed it: frames came out of order */
            return VIO_MISS;
        }
    }
}

/*
 * Whether the reader's decoder reaches pts t without starting afresh: it
 * did start at t's keyframe k and has not passed t. (Continuing through a
 * later keyframe would give the same pixels on a sound stream, but not
 * always on a damaged one.)
 */
static int can_continue(const videoio_handle *h, const videoio_key *k, int64_t t)
{
    return h->positioned && t > h->last_pts && t >= h->floor_pts && h->at_key == k;
}

/* Put the decoder at key k (NULL: the start of the file). */
static int position(videoio_handle *h, const char *path, const videoio_index *ix,
                    const videoio_key *k, unsigned long *reopens, locus_error *err)
{
    if (k)
        return seek_to_key(h, path, ix, k, reopens, err);
    return handle_open(h, path, ix, err) ? VIO_ERROR : VIO_FOUND;
}

static int frame_error(videoio_handle *h, int r, const char *path, const char *pre,
                       locus_error *err)
{
    return av_fail(&h->m, r, path, pre, "cannot decode", err);
}

static int damaged_error(videoio_handle *h, const char *path, const char *pre, locus_error *err)
{
    av_frame_unref(h->m.frame);
    h->positioned = 0;
    return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre, "damaged data (FFmpeg: %s)",
                              h->m.error[0] ? h->m.error : "the decoder flags the frame");
}

/*
 * Index mode: frame k is the one whose pts is ix->pts[k]: decoded from
 * its keyframe or, where that fails (an index can call a frame a
 * keyframe that is not one), from the keyframe before, then from the
 * start of the file.
 */
static int find_indexed(videoio_handle *h, const char *path, const videoio_index *ix, size_t k,
                        const char *pre, locus_reader *rd, locus_error *err)
{
    int64_t t = ix->pts[k];
    const videoio_key *key = key_for(ix, t);
    int averr = 0, r;
    if (can_continue(h, key, t) && (r = decode_to(h, t, &averr)) == VIO_FOUND)
        return LOCUS_OK;
    const videoio_key *tries[3] = {key, key && key > ix->keys ? key - 1 : NULL, NULL};
    for (int i = 0; i < 3; i++) {
        if (i > 0 && tries[i] == tries[i - 1])
            continue;
        if (tries[i])
            rd->probe.video_seeks++;
        else if (i > 0)
            rd->probe.video_restarts++;
        r = position(h, path, ix, tries[i], &rd->probe.video_reopens, err);
        if (r == VIO_ERROR)
            return err->status;
        if (r == VIO_FOUND && (r = decode_to(h, t, &averr)) == VIO_FOUND)
            return LOCUS_OK;
        if (r == VIO_ERROR && !tries[i])
            return frame_error(h, averr, path, pre, err);
        if (r == VIO_DAMAGED && !tries[i])
            return damaged_error(h, path, pre, err);
    }
    return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre,
                              "the decoder does not give this frame (damaged stream, or the file "
                              "changed since it was opened)");
}

/* Sequential mode: frame k is the k-th frame decoded from the start. */
static int find_sequential(videoio_handle *h, const char *path, const videoio_index *ix, size_t k,
                           const char *pre, locus_error *err)
{
    if (!(h->positioned && h->out <= k) && handle_open(h, path, ix, err))
        return err->status;
    for (;;) {
        int r = next_frame(&h->m);
        if (r <= 0) {
            h->positioned = 0;
            if (r < 0)
                return frame_error(h, r, path, pre, err);
            return locus_imageio_fail(err, LOCUS_E_FORMAT, path, pre,
                                      "the video ends before this frame (the file changed since "
                                      "it was opened?)");
        }
        int damaged = frame_suspect(h);
        if (h->out++ == k)
            return damaged ? damaged_error(h, path, pre, err) : LOCUS_OK;
        av_frame_unref(h->m.frame);
    }
}

int locus_videoio_read(const char *path, const videoio_index *ix, size_t frame, int channel,
                       int luma, locus_reader *rd, locus_image *img, locus_error *err)
{
    char pre[48];
    snprintf(pre, sizeof pre, "frame %zu: ", frame);
    if (frame >= ix->nframes)
        return locus_imageio_fail(err, LOCUS_E_PARAM, path, pre, "out of range");
    videoio_handle *h = NULL;
    int st = locus_videoio_load(path, err);
    if (st)
        return st;
    st = handle_get(rd, path, ix, &h, err);
    if (st)
        return st;
    vio_listen(&h->m);
    st = ix->sequential ? find_sequential(h, path, ix, frame, pre, err)
                        : find_indexed(h, path, ix, frame, pre, rd, err);
    if (!st)
        st = deliver(h, channel, luma, rd, img, path, pre, err);
    av_frame_unref(h->m.frame);
    vio_listen(NULL);
    return st;
}

/* ------------------------------------------------------------------ */
/* Opening: the index                                                  */
/* ------------------------------------------------------------------ */

typedef struct {
    int64_t pts;
    uint64_t hash;
    int discard;
} vio_entry;

/* What one pass over the packets collects. */
typedef struct {
    vio_entry *frames;
    size_t nframes, cap;
    videoio_key *keys;
    size_t nkeys, kcap;
    uint64_t packets;
    int64_t first_pts; /* of the first decoded frame */
    int first_format;  /* its pixel format */
    int decoded;       /* the first frame came out */
} vio_scan;

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? 2 * *cap : 1024;
    void *p = realloc(*v, size_mul(ncap, size));
    if (!p)
        return -1;
    *v = p;
    *cap = ncap;
    return 0;
}

static int record_packet(vio_scan *s, const AVPacket *p, const char *path, locus_error *err)
{
    if (s->nframes >= IMAGEIO_MAX_FRAMES)
        return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                  "more than 2^25 frames in one video");
    if (grow((void **)&s->frames, &s->cap, s->nframes, sizeof *s->frames) ||
        ((p->flags & AV_PKT_FLAG_KEY) &&
         grow((void **)&s->keys, &s->kcap, s->nkeys, sizeof *s->keys)))
        return locus_imageio_fail(err, LOCUS_E_NOMEM, path, "", "out of memory");
    s->frames[s->nframes++] =
        (vio_entry){p->pts, packet_hash(p), (p->flags & AV_PKT_FLAG_DISCARD) != 0};
    if (p->flags & AV_PKT_FLAG_KEY)
        s->keys[s->nkeys++] =
            (videoio_key){p->pts, p->dts, p->pos, p->size, packet_hash(p), s->packets};
    s->packets++;
    return LOCUS_OK;
}

/* Until the first frame is out, feed the decoder; then only demux. */
static int scan_decode_first(vio_media *m, vio_scan *s, int sent_eof)
{
    int r = sent_eof ? avcodec_send_packet(m->dec, NULL) : send_packet(m);
    if (r < 0)
        return r;
    r = avcodec_receive_frame(m->dec, m->frame);
    if (r == 0 && (vio_took_error(m) || frame_damaged(m->frame))) {
        av_frame_unref(m->frame);
        return AVERROR_INVALIDDATA;
    }
    if (r == 0) {
        s->decoded = 1;
        s->first_pts = frame_ts(m->frame);
        s->first_format = m->frame->format;
        av_frame_unref(m->frame);
        return 0;
    }
    return r == AVERROR(EAGAIN) || r == AVERROR_EOF ? 0 : r;
}

/* One pass over the packets; a demuxing error ends it with that error. */
static int scan_packets(vio_media *m, vio_scan *s, const char *path, locus_error *err)
{
    for (;;) {
        int r = next_packet(m);
        if (r < 0)
            return av_fail(m, r, path, "", "cannot read the video", err);
        if (r == 0 && s->decoded && vio_took_error(m))
            return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                      "damaged or truncated video (FFmpeg: %s)", m->error);
        if (r == 0)
            break;
        if (s->decoded && vio_took_error(m)) {
            av_packet_unref(m->pkt);
            return locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                      "damaged or truncated video (FFmpeg: %s)", m->error);
        }
        int st = record_packet(s, m->pkt, path, err);
        if (st) {
            av_packet_unref(m->pkt);
            return st;
        }
        if (!s->decoded && (r = scan_decode_first(m, s, 0)) < 0)
            return av_fail(m, r, path, "", "cannot decode the first frame", err);
        av_packet_unref(m->pkt);
    }
    if (!s->decoded) {
        int r = scan_decode_first(m, s, 1);
        if (r < 0)
            return av_fail(m, r, path, "", "cannot decode the first frame", err);
    }
    return LOCUS_OK;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * The frames' timestamps in presentation order: the packets the decoder
 * keeps (not flagged discard, not leading pictures it drops before the
 * first frame), below limit. 0, or 1 when timestamps cannot name frames.
 */
static int keep(const vio_entry *e, const vio_scan *s, int64_t limit)
{
    return !e->discard && e->pts >= s->first_pts && e->pts < limit;
}

static int build_frames(vio_scan *s, videoio_index *ix, int64_t limit)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nframes; i++) {
        if (s->frames[i].pts == AV_NOPTS_VALUE)
            return 1;
        n += keep(&s->frames[i], s, limit);
    }
    if (!s->decoded || n == 0 || !(ix->pts = malloc(n * sizeof *ix->pts)))
        return 1;
    n = 0;
    for (size_t i = 0; i < s->nframes; i++)
        if (keep(&s->frames[i], s, limit))
            ix->pts[n++] = s->frames[i].pts;
    qsort(ix->pts, n, sizeof *ix->pts, compare_i64);
    ix->nframes = n;
    if (ix->pts[0] != s->first_pts)
        return 1;
    for (size_t i = 1; i < n; i++)
        if (ix->pts[i] == ix->pts[i - 1])
            return 1;
    for (size_t i = 0; i < s->nkeys; i++)
        if (s->keys[i].pts == AV_NOPTS_VALUE || (i && s->keys[i].pts <= s->keys[i - 1].pts))
            return 1;
    if (!(ix->hashes = malloc(s->nframes * sizeof *ix->hashes)))
        return 1;
    for (size_t i = 0; i < s->nframes; i++)
        ix->hashes[i] = s->frames[i].hash;
    ix->npackets = s->nframes;
    ix->keys = s->keys;
    ix->nkeys = s->nkeys;
    s->keys = NULL;
    return 0;
}

/*
 * After a demuxing error, the frames that surely decode as in a whole
 * file: every frame of an intra-only stream, else those before the last
 * keyframe read (later ones may miss packets the error cut off).
 */
static int64_t complete_before(const vio_scan *s)
{
    if (s->nkeys == s->packets || s->nkeys == 0)
        return s->nkeys ? INT64_MAX : INT64_MIN;
    return s->keys[s->nkeys - 1].pts;
}

static void index_reset(videoio_index *ix)
{
    free(ix->pts);
    free(ix->keys);
    free(ix->hashes);
    ix->pts = NULL;
    ix->keys = NULL;
    ix->hashes = NULL;
    ix->npackets = 0;
    ix->nkeys = 0;
    ix->nframes = 0;
}

/* Sequential files: count by decoding every frame from the start. */
static int count_by_decoding(int fd, uint64_t size, const char *path, videoio_index *ix,
                             locus_error *err)
{
    vio_media m;
    int st = media_open(&m, fd, size, ix->container, ix->stream, path, err);
    vio_took_error(&m);
    while (!st) {
        int r = next_frame(&m);
        if (r < 0)
            st = av_fail(&m, r, path, "", "cannot decode the video", err);
        if (r <= 0)
            break;
        av_frame_unref(m.frame);
        vio_took_error(&m); /* a damaged frame still counts; reading it fails */
        if (++ix->nframes > IMAGEIO_MAX_FRAMES)
            st = locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                                    "more than 2^25 frames in one video");
    }
    media_close(&m);
    return st;
}

/* A problem every frame would have: recorded, not a file failure. */
static void check_pixels(videoio_index *ix, int format, int channel, int luma, const char *path)
{
    vio_plan p;
    locus_error e;
    int st = plan_pixels(format, channel, luma, path, "", &p, &e);
    if (st) {
        ix->first_status = st;
        ix->first_error = locus_error_keep(&e);
    }
}

int locus_videoio_scan(int fd, const char *path, int container, int channel, int luma,
                       videoio_index *ix, locus_error *err)
{
    memset(ix, 0, sizeof *ix);
    ix->container = container;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return locus_imageio_fail(err, LOCUS_E_IO, path, "", "%s", strerror(errno));
    int loaded = locus_videoio_load(path, err);
    if (loaded)
        return loaded;
    vio_media m;
    vio_scan s = {0};
    int st = media_open(&m, fd, (uint64_t)sb.st_size, container, -1, path, err);
    if (!st && vio_took_error(&m))
        st =
            locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "damaged file (FFmpeg: %s)", m.error);
    if (!st) {
        ix->stream = m.st->index;
        st = scan_packets(&m, &s, path, err);
    }
    media_close(&m);
    if (s.decoded)
        check_pixels(ix, s.first_format, channel, luma, path);
    if (!st && s.packets == 0)
        st = locus_imageio_fail(err, LOCUS_E_FORMAT, path, "", "the video has no frames");
    if (!st) {
        if ((ix->sequential = build_frames(&s, ix, INT64_MAX))) {
            index_reset(ix);
            st = count_by_decoding(fd, (uint64_t)sb.st_size, path, ix, err);
            if (!st && ix->nframes == 0)
                st = locus_imageio_fail(err, LOCUS_E_FORMAT, path, "",
                                        "the video has no frames that decode");
        }
    } else if (!s.decoded || build_frames(&s, ix, complete_before(&s))) {
        index_reset(ix);
    }
    free(s.frames);
    free(s.keys);
    return st;
}

void locus_videoio_index_free(videoio_index *ix)
{
    free(ix->pts);
    free(ix->hashes);
    free(ix->keys);
    free(ix->first_error);
    memset(ix, 0, sizeof *ix);
}

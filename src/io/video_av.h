/*
 * FFmpeg's functions as video_read.c calls them: through pointers filled
 * by locus_videoio_load() the first time a video is opened, so that
 * FFmpeg's libraries (and the hundred-odd codec libraries they bring)
 * are loaded only by runs that read video. Linked directly they cost
 * every run 150 ms of start-up and 20 MB of resident memory: a quarter
 * of locating bulk_water's 100 PNG frames at -j1, and three times the
 * peak RSS (measured: 11.5 -> 34.3 MB between dd40fb1 and the commit
 * that linked them).
 *
 * Include after FFmpeg's headers: the macros below turn each call of an
 * FFmpeg function into a call through its pointer.
 */
#ifndef LOCUS_IO_VIDEO_AV_H
#define LOCUS_IO_VIDEO_AV_H

#include "common/internal.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#define LOCUS_AV_FUNCTIONS(X)                                                                      \
    X(av_find_input_format)                                                                        \
    X(av_frame_alloc)                                                                              \
    X(av_frame_free)                                                                               \
    X(av_frame_unref)                                                                              \
    X(av_free)                                                                                     \
    X(av_freep)                                                                                    \
    X(av_get_pix_fmt_name)                                                                         \
    X(av_image_alloc)                                                                              \
    X(av_image_fill_linesizes)                                                                     \
    X(av_log_default_callback)                                                                     \
    X(av_log_set_callback)                                                                         \
    X(av_malloc)                                                                                   \
    X(av_packet_alloc)                                                                             \
    X(av_packet_free)                                                                              \
    X(av_packet_unref)                                                                             \
    X(av_pix_fmt_desc_get)                                                                         \
    X(av_read_frame)                                                                               \
    X(av_read_image_line2)                                                                         \
    X(av_seek_frame)                                                                               \
    X(av_strerror)                                                                                 \
    X(avcodec_alloc_context3)                                                                      \
    X(avcodec_find_decoder)                                                                        \
    X(avcodec_flush_buffers)                                                                       \
    X(avcodec_free_context)                                                                        \
    X(avcodec_get_name)                                                                            \
    X(avcodec_open2)                                                                               \
    X(avcodec_parameters_to_context)                                                               \
    X(avcodec_receive_frame)                                                                       \
    X(avcodec_send_packet)                                                                         \
    X(avformat_alloc_context)                                                                      \
    X(avformat_close_input)                                                                        \
    X(avformat_find_stream_info)                                                                   \
    X(avformat_open_input)                                                                         \
    X(avio_alloc_context)                                                                          \
    X(avio_context_free)                                                                           \
    X(sws_freeContext)                                                                             \
    X(sws_getCachedContext)                                                                        \
    X(sws_scale)

#define LOCUS_AV_POINTER(name) __typeof__(name) *name;
typedef struct {
    LOCUS_AV_FUNCTIONS(LOCUS_AV_POINTER)
} locus_av_table;
#undef LOCUS_AV_POINTER

extern locus_av_table locus_av;

/* Load FFmpeg's libraries and fill locus_av, once per process (thread
 * safe); LOCUS_OK, or an error saying what is missing. */
int locus_videoio_load(const char *path, locus_error *err);

#ifndef LOCUS_VIDEO_AV_LOADER
#define av_find_input_format locus_av.av_find_input_format
#define av_frame_alloc locus_av.av_frame_alloc
#define av_frame_free locus_av.av_frame_free
#define av_frame_unref locus_av.av_frame_unref
#define av_free locus_av.av_free
#define av_freep locus_av.av_freep
#define av_get_pix_fmt_name locus_av.av_get_pix_fmt_name
#define av_image_alloc locus_av.av_image_alloc
#define av_image_fill_linesizes locus_av.av_image_fill_linesizes
#define av_log_default_callback locus_av.av_log_default_callback
#define av_log_set_callback locus_av.av_log_set_callback
#define av_malloc locus_av.av_malloc
#define av_packet_alloc locus_av.av_packet_alloc
#define av_packet_free locus_av.av_packet_free
#define av_packet_unref locus_av.av_packet_unref
#define av_pix_fmt_desc_get locus_av.av_pix_fmt_desc_get
#define av_read_frame locus_av.av_read_frame
#define av_read_image_line2 locus_av.av_read_image_line2
#define av_seek_frame locus_av.av_seek_frame
#define av_strerror locus_av.av_strerror
#define avcodec_alloc_context3 locus_av.avcodec_alloc_context3
#define avcodec_find_decoder locus_av.avcodec_find_decoder
#define avcodec_flush_buffers locus_av.avcodec_flush_buffers
#define avcodec_free_context locus_av.avcodec_free_context
#define avcodec_get_name locus_av.avcodec_get_name
#define avcodec_open2 locus_av.avcodec_open2
#define avcodec_parameters_to_context locus_av.avcodec_parameters_to_context
#define avcodec_receive_frame locus_av.avcodec_receive_frame
#define avcodec_send_packet locus_av.avcodec_send_packet
#define avformat_alloc_context locus_av.avformat_alloc_context
#define avformat_close_input locus_av.avformat_close_input
#define avformat_find_stream_info locus_av.avformat_find_stream_info
#define avformat_open_input locus_av.avformat_open_input
#define avio_alloc_context locus_av.avio_alloc_context
#define avio_context_free locus_av.avio_context_free
#define sws_freeContext locus_av.sws_freeContext
#define sws_getCachedContext locus_av.sws_getCachedContext
#define sws_scale locus_av.sws_scale
#endif

#endif

/*
 * Every limit of the library, in one place, with why it is what it is.
 * A limit refuses work with a clear error before memory is committed; no
 * limit is a silent truncation.
 */
#ifndef LOCUS_COMMON_LIMITS_H
#define LOCUS_COMMON_LIMITS_H

#include <stdint.h>

/* Pixels (or voxels) of an image given to locus_locate: far beyond any
 * camera, small enough that no index or sum of the pipeline overflows. */
#define LOCUS_LIMIT_IMAGE_PIXELS ((uint64_t)1 << 34)

/* Pixels of an image decoded from a file, and the bytes its samples may
 * take: a header of a few bytes must not be able to commit more memory
 * than a real microscope frame (a 2-GPixel frame of float64 is 16 GiB). */
#define LOCUS_LIMIT_FILE_PIXELS ((uint64_t)1 << 31)
#define LOCUS_LIMIT_FILE_BYTES ((uint64_t)64 << 30)

/* Frames of one video (or that its header claims): 32 M frames is over
 * two weeks at 24 frames/s, and keeps a video's index under 1 GiB. */
#define LOCUS_LIMIT_VIDEO_FRAMES ((uint64_t)1 << 25)

/* Diameter and smoothing width, in pixels: far beyond any particle, and
 * the integer boxcar's sums stay within int32 (65535 * 4095 < 2^31). */
#define LOCUS_LIMIT_WIDTH 4095

/* Rows of a predictor's initial guess given as text. */
#define LOCUS_LIMIT_GUESS_ROWS 100000

#endif

/*
 * image.h - image decoding (JPEG, PNG) and preprocessing into float CHW
 * tensors for the onnxrun command line. Independent of the onnxrun library.
 *
 * Use:
 *   char err[OR_IMAGE_ERR_SIZE];
 *   or_image img;
 *   if (or_image_load_file("cat.jpg", 3, &img, err, sizeof err)) { puts(err); ... }
 *   or_preprocess p;
 *   or_preprocess_defaults(&p);              // ImageNet: crop 224, mean/std
 *   size_t n = or_preprocess_count(&p);      // 3 * 224 * 224 floats
 *   float *x = malloc(n * sizeof *x);
 *   if (or_image_preprocess(&img, &p, x, err, sizeof err)) { puts(err); ... }
 *   or_image_free(&img);
 *
 * Decoding: the format is found from the magic bytes, never the file name.
 * JPEG goes through libjpeg(-turbo) (slow-integer IDCT, fancy upsampling:
 * the library defaults, so pixels match PIL and torchvision bit for bit);
 * PNG through libpng (palette, 1/2/4-bit gray, 16-bit and interlaced images
 * are converted to 8 bits; alpha and tRNS transparency are dropped, not
 * composited). CMYK/YCCK JPEGs are converted to RGB (Adobe-inverted CMYK
 * is recognised from the Adobe marker). EXIF orientation is not applied.
 * The header is checked before any pixel memory is allocated: a side above
 * OR_IMAGE_MAX_SIDE, more than OR_IMAGE_MAX_PIXELS pixels, or a zero side is
 * refused. Truncated files are errors, except a file that ends after all
 * the pixel data (a missing PNG IEND or JPEG EOI marker), which is accepted.
 *
 * Errors: every function that can fail returns an or_image_status (0 = OK)
 * and writes a one-line message into the caller's buffer `err` (size
 * `err_size`; err may be NULL). Messages name the file (or the name given
 * to or_image_decode) first, e.g. "cat.txt: not a JPEG or PNG image",
 * "x.png: truncated PNG: file ends after 50 bytes". Nothing is leaked and
 * *out is left empty (pixels NULL) on failure.
 *
 * Threads: no global state; each call is independent.
 */
#ifndef ONNXRUN_TOOLS_IMAGE_H
#define ONNXRUN_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OR_IMAGE_MAX_SIDE 32768                   /* width or height above this is refused */
#define OR_IMAGE_MAX_PIXELS ((int64_t)1 << 28)    /* width * height above this is refused */
#define OR_IMAGE_MAX_FILE ((size_t)1 << 30)       /* files above 1 GiB are refused */
#define OR_IMAGE_ERR_SIZE 512                     /* a comfortable size for `err` */

typedef enum or_image_status {
    OR_IMAGE_OK = 0,
    OR_IMAGE_E_ARG,         /* bad argument (NULL, channels not 0/1/3, bad preprocess options) */
    OR_IMAGE_E_IO,          /* the file could not be opened or read */
    OR_IMAGE_E_FORMAT,      /* neither JPEG nor PNG (or an empty file) */
    OR_IMAGE_E_CORRUPT,     /* truncated or damaged JPEG/PNG data */
    OR_IMAGE_E_UNSUPPORTED, /* a valid file this code cannot convert (12-bit JPEG, odd colour space) */
    OR_IMAGE_E_LIMIT,       /* a dimension is zero, too large, or a size would overflow */
    OR_IMAGE_E_NOMEM,       /* an allocation failed */
    OR_IMAGE_STATUS_COUNT
} or_image_status;

/* Short name of a status ("ok", "not an image", ...); never NULL. */
const char *or_image_status_name(or_image_status st);

/* An 8-bit image, pixels interleaved row by row:
 * pixels[(y * width + x) * channels + c], c = 0,1,2 is R,G,B (or c = 0 gray). */
typedef struct or_image {
    int width, height;    /* 1 .. OR_IMAGE_MAX_SIDE each */
    int channels;         /* 1 (gray) or 3 (RGB) */
    uint8_t *pixels;      /* (height, width, channels); malloc'd, owned by the image */
} or_image;

/* Allocates a zero-filled width x height x channels image into *out
 * (channels 1 or 3; the same limits as decoding). Free with or_image_free. */
or_image_status or_image_create(int width, int height, int channels, or_image *out,
                                char *err, size_t err_size);

/* Frees img->pixels and zeroes *img. Accepts NULL and an already freed image. */
void or_image_free(or_image *img);

/* Decodes a JPEG or PNG held in memory (data, size) into *out. `name` is used
 * only in messages (may be NULL: "image"). channels: 0 keeps the decoded
 * count (gray -> 1, colour -> 3, alpha dropped), 1 or 3 converts as
 * or_image_convert does. On success the caller owns *out (or_image_free). */
or_image_status or_image_decode(const void *data, size_t size, const char *name, int channels,
                                or_image *out, char *err, size_t err_size);

/* Reads the file at path (at most OR_IMAGE_MAX_FILE bytes) and decodes it
 * as or_image_decode does; messages name the path. */
or_image_status or_image_load_file(const char *path, int channels, or_image *out,
                                   char *err, size_t err_size);

/* Converts img in place to `channels` (1 or 3): gray -> RGB replicates the
 * value; RGB -> gray is the ITU-R BT.601 luma round(0.299 R + 0.587 G +
 * 0.114 B) (as PIL's convert("L")). Same count: nothing to do. */
or_image_status or_image_convert(or_image *img, int channels, char *err, size_t err_size);

/* How the image is brought to the target size. */
typedef enum or_resize_mode {
    /* ImageNet standard (torchvision Resize(short) + CenterCrop(height, width)):
     * resize keeping the aspect ratio so that the shorter side is
     * `resize_short` (0 = round(min(height, width) * 256 / 224), i.e. 256 for
     * 224) and the longer side floor(long * resize_short / short), then take
     * the centre height x width (offsets round((resized - target) / 2) with
     * ties to even, as torchvision). If the resized image would be smaller
     * than the target in a dimension (odd aspect ratios, non-square
     * targets), that dimension is scaled up to cover the target instead. */
    OR_RESIZE_CROP = 0,
    /* resize straight to height x width, aspect ratio not kept */
    OR_RESIZE_DIRECT,
} or_resize_mode;

/* Preprocessing options. Start from or_preprocess_defaults and change fields.
 *
 * Resizing is separable (horizontal pass, then vertical), in floating point
 * on the 0..255 values: when shrinking, a triangle (bilinear) filter whose
 * support grows with the downscale factor (antialiasing, as PIL's BILINEAR
 * resize and torchvision's antialias=True); when enlarging, plain bilinear
 * with half-pixel centres (align_corners=False), edges clamped.
 * Then for each output value, v the resized pixel (0..255):
 *     v = invert ? 255 - v : v;
 *     out = (v * scale - mean[c]) / std[c];
 * with c the image channel (R, G, B order; 0 for gray). */
typedef struct or_preprocess {
    or_resize_mode mode;
    int height, width;   /* output size, 1 .. OR_IMAGE_MAX_SIDE (default 224 x 224) */
    int channels;        /* output channels, 1 or 3 (default 3); the image is
                          * converted as or_image_convert does if it differs */
    int resize_short;    /* OR_RESIZE_CROP only: shorter side after resize; 0 = default */
    float scale;         /* default 1/255 */
    float mean[3];       /* per image channel, R G B order (default ImageNet 0.485 0.456 0.406);
                          * a 1-channel output uses mean[0] */
    float std[3];        /* nonzero (default ImageNet 0.229 0.224 0.225); 1-channel: std[0] */
    int bgr;             /* nonzero: output channel order B, G, R (mean/std still given
                          * in R G B order); ignored for 1 channel */
    int invert;          /* nonzero: 255 - pixel before scaling (white-on-black digit models) */
} or_preprocess;

/* Fills *p with the ImageNet defaults: crop mode, 224 x 224, 3 channels,
 * scale 1/255, ImageNet mean and std, RGB, no invert. */
void or_preprocess_defaults(or_preprocess *p);

/* Number of floats the output holds: channels * height * width
 * (0 if the options are invalid). */
size_t or_preprocess_count(const or_preprocess *p);

/* Preprocesses img into out, a caller-provided buffer of
 * or_preprocess_count(p) floats, laid out [channels][height][width]
 * (CHW, row-major). img is not modified. Errors: bad options or image
 * (OR_IMAGE_E_ARG), sizes too large (OR_IMAGE_E_LIMIT), OR_IMAGE_E_NOMEM
 * for the scratch buffers. */
or_image_status or_image_preprocess(const or_image *img, const or_preprocess *p, float *out,
                                    char *err, size_t err_size);

/* As or_image_preprocess, but allocates the output: on success *out is a
 * malloc'd array of *count floats the caller frees; on failure *out = NULL. */
or_image_status or_image_preprocess_alloc(const or_image *img, const or_preprocess *p,
                                          float **out, size_t *count, char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif

/*
 * image.c - JPEG/PNG decoding (libjpeg-turbo, libpng) into 8-bit images, and
 * preprocessing (antialiased resize, centre crop, normalisation) into float
 * CHW tensors. See image.h for the contract.
 *
 * Both libraries report fatal errors by longjmp. Everything a decoder
 * allocates lives in a context struct owned by the caller of the function
 * that calls setjmp, so the error path can free it without relying on
 * automatic variables that setjmp may have clobbered.
 */
#include "image.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

/* ---- errors ---- */

static const char *const status_names[] = {
    [OR_IMAGE_OK] = "ok",
    [OR_IMAGE_E_ARG] = "bad argument",
    [OR_IMAGE_E_IO] = "cannot read file",
    [OR_IMAGE_E_FORMAT] = "not an image",
    [OR_IMAGE_E_CORRUPT] = "corrupt image",
    [OR_IMAGE_E_UNSUPPORTED] = "unsupported image",
    [OR_IMAGE_E_LIMIT] = "image too large",
    [OR_IMAGE_E_NOMEM] = "out of memory",
};
_Static_assert(sizeof status_names / sizeof status_names[0] == OR_IMAGE_STATUS_COUNT,
               "one name per status");

const char *or_image_status_name(or_image_status st)
{
    if ((unsigned)st >= OR_IMAGE_STATUS_COUNT)
        return "unknown status";
    return status_names[st];
}

/* Writes "fmt..." into err (if any) and returns st. */
__attribute__((format(printf, 4, 5)))
static or_image_status fail(char *err, size_t err_size, or_image_status st, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return st;
}

static void clear_err(char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
}

/* a * b into *r, 0 on overflow */
static int mul_size(size_t a, size_t b, size_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}

/* Checks decoded dimensions against the limits, before any pixel memory. */
static or_image_status check_dims(const char *name, uint64_t w, uint64_t h, char *err, size_t err_size)
{
    if (w == 0 || h == 0)
        return fail(err, err_size, OR_IMAGE_E_LIMIT, "%s: image has zero %s (%llu x %llu)", name,
                    w == 0 ? "width" : "height", (unsigned long long)w, (unsigned long long)h);
    if (w > OR_IMAGE_MAX_SIDE || h > OR_IMAGE_MAX_SIDE || w * h > (uint64_t)OR_IMAGE_MAX_PIXELS)
        return fail(err, err_size, OR_IMAGE_E_LIMIT,
                    "%s: image too large: %llu x %llu (limit %d per side, %lld pixels)", name,
                    (unsigned long long)w, (unsigned long long)h, OR_IMAGE_MAX_SIDE,
                    (long long)OR_IMAGE_MAX_PIXELS);
    return OR_IMAGE_OK;
}

/* ---- images ---- */

/* Allocates w x h x c pixels (dims already checked). NULL on overflow or no memory. */
static uint8_t *alloc_pixels(size_t w, size_t h, size_t c)
{
    size_t n;
    if (!mul_size(w, h, &n) || !mul_size(n, c, &n) || n == 0)
        return NULL;
    return malloc(n);
}

or_image_status or_image_create(int width, int height, int channels, or_image *out,
                                char *err, size_t err_size)
{
    clear_err(err, err_size);
    if (!out)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_create: out is NULL");
    memset(out, 0, sizeof *out);
    if (channels != 1 && channels != 3)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_create: channels must be 1 or 3, not %d",
                    channels);
    if (width < 0 || height < 0)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_create: negative size %d x %d", width,
                    height);
    or_image_status st = check_dims("image", (uint64_t)width, (uint64_t)height, err, err_size);
    if (st)
        return st;
    size_t n = (size_t)width * (size_t)height * (size_t)channels;   /* <= 3 * 2^28 */
    out->pixels = calloc(n, 1);
    if (!out->pixels)
        return fail(err, err_size, OR_IMAGE_E_NOMEM, "image: out of memory for %d x %d x %d",
                    width, height, channels);
    out->width = width;
    out->height = height;
    out->channels = channels;
    return OR_IMAGE_OK;
}

void or_image_free(or_image *img)
{
    if (!img)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

static uint8_t luma(const uint8_t *p)
{
    /* ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B, rounded */
    return (uint8_t)((299u * p[0] + 587u * p[1] + 114u * p[2] + 500u) / 1000u);
}

or_image_status or_image_convert(or_image *img, int channels, char *err, size_t err_size)
{
    clear_err(err, err_size);
    if (!img || !img->pixels)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_convert: no image");
    if (channels != 1 && channels != 3)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_convert: channels must be 1 or 3, not %d",
                    channels);
    if (img->channels != 1 && img->channels != 3)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_convert: image has %d channels",
                    img->channels);
    if (img->channels == channels)
        return OR_IMAGE_OK;
    size_t n = (size_t)img->width * (size_t)img->height;   /* checked when the image was made */
    uint8_t *dst = alloc_pixels((size_t)img->width, (size_t)img->height, (size_t)channels);
    if (!dst)
        return fail(err, err_size, OR_IMAGE_E_NOMEM, "image: out of memory converting %d x %d to %d channels",
                    img->width, img->height, channels);
    const uint8_t *src = img->pixels;
    if (channels == 3) {
        for (size_t i = 0; i < n; i++)
            dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = luma(src + 3 * i);
    }
    free(img->pixels);
    img->pixels = dst;
    img->channels = channels;
    return OR_IMAGE_OK;
}

/* ---- PNG ---- */

typedef struct png_ctx {
    const uint8_t *data;   /* the whole file */
    size_t size, pos;
    const char *name;
    char *err;
    size_t err_size;
    or_image_status status;
    int truncated;         /* the read callback ran out of data */
    int rows_done;         /* every pixel row has been read */
    int width, height, channels;   /* of c->pixels */
    png_structp png;
    png_infop info;
    uint8_t *pixels;       /* (height, width, channels), handed to the image on success */
    png_bytep *rows;       /* height pointers into pixels */
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *c = png_get_error_ptr(png);
    if (c->truncated)
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT,
                         "%s: truncated PNG: file ends after %zu bytes", c->name, c->size);
    else
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT, "%s: bad PNG: %s", c->name, msg);
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;   /* ancillary-chunk trouble: the pixels are still good */
}

static void png_read_mem(png_structp png, png_bytep out, size_t n)
{
    png_ctx *c = png_get_io_ptr(png);
    if (n > c->size - c->pos) {
        c->truncated = 1;
        png_error(png, "unexpected end of data");
    }
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads the PNG in c into c->pixels; returns the status. On any return the
 * libpng structs are destroyed; c->pixels and c->rows are left for the
 * caller to free or take. */
static or_image_status png_decode(png_ctx *c)
{
    /* IHDR directly after the signature: check the size before libpng sees
     * it (libpng's own limits are looser and its messages less clear) */
    if (c->size >= 8 + 8 + 8 && memcmp(c->data + 12, "IHDR", 4) == 0) {
        or_image_status st = check_dims(c->name, be32(c->data + 16), be32(c->data + 20), c->err,
                                        c->err_size);
        if (st)
            return st;
    }
    c->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, c, png_on_error, png_on_warning);
    if (!c->png)
        return fail(c->err, c->err_size, OR_IMAGE_E_NOMEM, "%s: out of memory", c->name);
    c->info = png_create_info_struct(c->png);
    if (!c->info) {
        png_destroy_read_struct(&c->png, NULL, NULL);
        return fail(c->err, c->err_size, OR_IMAGE_E_NOMEM, "%s: out of memory", c->name);
    }
    if (setjmp(png_jmpbuf(c->png))) {
        png_destroy_read_struct(&c->png, &c->info, NULL);
        /* the pixels are complete: a file cut in or before IEND is accepted */
        return c->rows_done ? OR_IMAGE_OK : c->status;
    }
    png_set_read_fn(c->png, c, png_read_mem);
    png_set_user_limits(c->png, OR_IMAGE_MAX_SIDE, OR_IMAGE_MAX_SIDE);
    png_read_info(c->png, c->info);

    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(c->png, c->info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    or_image_status st = check_dims(c->name, w, h, c->err, c->err_size);
    if (st) {
        png_destroy_read_struct(&c->png, &c->info, NULL);
        return st;
    }
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(c->png);
    if ((color & PNG_COLOR_MASK_COLOR) == 0 && depth < 8)
        png_set_expand_gray_1_2_4_to_8(c->png);
    if (depth == 16)
        png_set_scale_16(c->png);
    png_set_strip_alpha(c->png);
    png_set_interlace_handling(c->png);
    png_read_update_info(c->png, c->info);

    int ch = png_get_channels(c->png, c->info);
    size_t rowbytes = png_get_rowbytes(c->png, c->info);
    if ((ch != 1 && ch != 3) || png_get_bit_depth(c->png, c->info) != 8 ||
        rowbytes != (size_t)w * (size_t)ch) {
        png_destroy_read_struct(&c->png, &c->info, NULL);
        return fail(c->err, c->err_size, OR_IMAGE_E_UNSUPPORTED,
                    "%s: unsupported PNG layout (colour type %d, %d bits)", c->name, color, depth);
    }
    c->pixels = alloc_pixels(w, h, (size_t)ch);
    c->rows = malloc((size_t)h * sizeof *c->rows);
    if (!c->pixels || !c->rows) {
        png_destroy_read_struct(&c->png, &c->info, NULL);
        return fail(c->err, c->err_size, OR_IMAGE_E_NOMEM, "%s: out of memory for %u x %u pixels",
                    c->name, (unsigned)w, (unsigned)h);
    }
    for (png_uint_32 y = 0; y < h; y++)
        c->rows[y] = c->pixels + (size_t)y * rowbytes;
    c->width = (int)w;
    c->height = (int)h;
    c->channels = ch;
    png_read_image(c->png, c->rows);
    c->rows_done = 1;
    png_read_end(c->png, NULL);
    png_destroy_read_struct(&c->png, &c->info, NULL);
    return OR_IMAGE_OK;
}

static or_image_status decode_png(const uint8_t *data, size_t size, const char *name,
                                  or_image *out, char *err, size_t err_size)
{
    png_ctx c = { .data = data, .size = size, .name = name, .err = err, .err_size = err_size };
    or_image_status st = png_decode(&c);
    free(c.rows);
    if (st) {
        free(c.pixels);
        return st;
    }
    out->width = c.width;
    out->height = c.height;
    out->channels = c.channels;
    out->pixels = c.pixels;
    return OR_IMAGE_OK;
}

/* ---- JPEG ---- */

typedef struct jpeg_ctx {
    struct jpeg_error_mgr mgr;   /* first: libjpeg hands back a pointer to it */
    jmp_buf jump;
    struct jpeg_decompress_struct cinfo;
    int cinfo_made;
    const char *name;
    char *err;
    size_t err_size;
    or_image_status status;
    int rows_done;               /* every scanline has been read */
    size_t size;                 /* of the file, for messages */
    int width, height, channels; /* of c->pixels */
    uint8_t *pixels;             /* (height, width, channels) */
    uint8_t *row;                /* one CMYK scanline */
} jpeg_ctx;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    char msg[JMSG_LENGTH_MAX];
    if (cinfo->err->msg_code == JERR_EMPTY_IMAGE) {
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_LIMIT, "%s: image has zero width or height",
                         c->name);
    } else if (cinfo->err->msg_code == JERR_BAD_PRECISION) {
        cinfo->err->format_message(cinfo, msg);
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_UNSUPPORTED, "%s: unsupported JPEG: %s",
                         c->name, msg);
    } else {
        cinfo->err->format_message(cinfo, msg);
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT, "%s: bad JPEG: %s", c->name, msg);
    }
    longjmp(c->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
    /* libjpeg only warns when the data runs out (and pads with gray): that
     * is a truncated file unless every scanline is already in hand */
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF && !c->rows_done) {
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT,
                         "%s: truncated JPEG: file ends after %zu bytes", c->name, c->size);
        longjmp(c->jump, 1);
    }
    /* the same when the scan data stops at a marker (an EOI) with rows still
     * to come: else a 400-byte file could claim 2^28 gray-padded pixels */
    if (level < 0 && cinfo->err->msg_code == JWRN_HIT_MARKER && !c->rows_done) {
        c->status = fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT,
                         "%s: truncated JPEG: the image data stops at a marker before the last row",
                         c->name);
        longjmp(c->jump, 1);
    }
    /* other warnings (extraneous bytes, bad restart markers) are tolerated */
}

/* CMYK scanline (n pixels) to RGB; inverted: Adobe (Photoshop) convention. */
static void cmyk_to_rgb(const uint8_t *src, uint8_t *dst, size_t n, int inverted)
{
    for (size_t i = 0; i < n; i++) {
        unsigned k = inverted ? src[4 * i + 3] : 255u - src[4 * i + 3];
        for (int j = 0; j < 3; j++) {
            unsigned v = inverted ? src[4 * i + j] : 255u - src[4 * i + j];
            dst[3 * i + j] = (uint8_t)((v * k + 127u) / 255u);
        }
    }
}

static or_image_status jpeg_decode(jpeg_ctx *c, const uint8_t *data, size_t size)
{
    struct jpeg_decompress_struct *ci = &c->cinfo;
    ci->err = jpeg_std_error(&c->mgr);
    c->mgr.error_exit = jpeg_on_error;
    c->mgr.emit_message = jpeg_on_message;
    if (setjmp(c->jump)) {
        /* complete pixels followed by a cut or damaged trailer are kept */
        if (c->rows_done)
            c->status = OR_IMAGE_OK;
        return c->status;
    }
    jpeg_create_decompress(ci);
    c->cinfo_made = 1;
#if SIZE_MAX > ULONG_MAX
    if (size > ULONG_MAX)
        return fail(c->err, c->err_size, OR_IMAGE_E_LIMIT, "%s: file too large", c->name);
#endif
    jpeg_mem_src(ci, data, (unsigned long)size);
    jpeg_read_header(ci, TRUE);
    or_image_status st = check_dims(c->name, ci->image_width, ci->image_height, c->err, c->err_size);
    if (st)
        return st;
    int cmyk = 0;
    switch (ci->jpeg_color_space) {
    case JCS_GRAYSCALE:
        ci->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        ci->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        ci->out_color_space = JCS_CMYK;
        cmyk = 1;
        break;
    default:
        return fail(c->err, c->err_size, OR_IMAGE_E_UNSUPPORTED,
                    "%s: unsupported JPEG colour space (%d components)", c->name, ci->num_components);
    }
    jpeg_start_decompress(ci);
    int ch = cmyk ? 3 : ci->output_components;
    if (ci->output_components != (cmyk ? 4 : ch) || (ch != 1 && ch != 3) ||
        ci->output_width != ci->image_width || ci->output_height != ci->image_height)
        return fail(c->err, c->err_size, OR_IMAGE_E_UNSUPPORTED, "%s: unexpected JPEG output layout",
                    c->name);
    size_t w = ci->output_width, h = ci->output_height;
    c->pixels = alloc_pixels(w, h, (size_t)ch);
    if (cmyk)
        c->row = alloc_pixels(w, 1, 4);
    if (!c->pixels || (cmyk && !c->row))
        return fail(c->err, c->err_size, OR_IMAGE_E_NOMEM, "%s: out of memory for %zu x %zu pixels",
                    c->name, w, h);
    c->width = (int)w;
    c->height = (int)h;
    c->channels = ch;
    while (ci->output_scanline < ci->output_height) {
        uint8_t *dst = c->pixels + (size_t)ci->output_scanline * w * (size_t)ch;
        JSAMPROW row = cmyk ? c->row : dst;
        if (jpeg_read_scanlines(ci, &row, 1) != 1)
            return fail(c->err, c->err_size, OR_IMAGE_E_CORRUPT, "%s: truncated JPEG: no more scanlines",
                        c->name);
        if (cmyk)
            cmyk_to_rgb(c->row, dst, w, ci->saw_Adobe_marker);
    }
    c->rows_done = 1;
    jpeg_finish_decompress(ci);
    return OR_IMAGE_OK;
}

static or_image_status decode_jpeg(const uint8_t *data, size_t size, const char *name,
                                   or_image *out, char *err, size_t err_size)
{
    jpeg_ctx *c = calloc(1, sizeof *c);   /* large (jmp_buf, cinfo): off the stack */
    if (!c)
        return fail(err, err_size, OR_IMAGE_E_NOMEM, "%s: out of memory", name);
    c->name = name;
    c->err = err;
    c->err_size = err_size;
    c->size = size;
    or_image_status st = jpeg_decode(c, data, size);
    if (c->cinfo_made)
        jpeg_destroy_decompress(&c->cinfo);
    free(c->row);
    if (st) {
        free(c->pixels);
    } else {
        out->width = c->width;
        out->height = c->height;
        out->channels = c->channels;
        out->pixels = c->pixels;
    }
    free(c);
    return st;
}

/* ---- entry points ---- */

static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
static const uint8_t jpeg_sig[3] = { 0xff, 0xd8, 0xff };

or_image_status or_image_decode(const void *data, size_t size, const char *name, int channels,
                                or_image *out, char *err, size_t err_size)
{
    clear_err(err, err_size);
    if (!name)
        name = "image";
    if (!out)
        return fail(err, err_size, OR_IMAGE_E_ARG, "%s: or_image_decode: out is NULL", name);
    memset(out, 0, sizeof *out);
    if (channels != 0 && channels != 1 && channels != 3)
        return fail(err, err_size, OR_IMAGE_E_ARG, "%s: channels must be 0, 1 or 3, not %d", name,
                    channels);
    if (!data && size)
        return fail(err, err_size, OR_IMAGE_E_ARG, "%s: no data", name);
    if (size == 0)
        return fail(err, err_size, OR_IMAGE_E_FORMAT, "%s: empty file", name);
    const uint8_t *d = data;
    or_image_status st;
    if (size >= sizeof png_sig && memcmp(d, png_sig, sizeof png_sig) == 0)
        st = decode_png(d, size, name, out, err, err_size);
    else if (size >= sizeof jpeg_sig && memcmp(d, jpeg_sig, sizeof jpeg_sig) == 0)
        st = decode_jpeg(d, size, name, out, err, err_size);
    else if (size < sizeof png_sig && memcmp(d, png_sig, size) == 0)
        return fail(err, err_size, OR_IMAGE_E_CORRUPT, "%s: truncated PNG: file ends inside the signature",
                    name);
    else if (size < sizeof jpeg_sig && memcmp(d, jpeg_sig, size) == 0)
        return fail(err, err_size, OR_IMAGE_E_CORRUPT, "%s: truncated JPEG: file ends inside the signature",
                    name);
    else
        return fail(err, err_size, OR_IMAGE_E_FORMAT, "%s: not a JPEG or PNG image", name);
    if (st)
        return st;
    if (channels && channels != out->channels) {
        st = or_image_convert(out, channels, err, err_size);
        if (st)
            or_image_free(out);
    }
    return st;
}

or_image_status or_image_load_file(const char *path, int channels, or_image *out,
                                   char *err, size_t err_size)
{
    clear_err(err, err_size);
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return fail(err, err_size, OR_IMAGE_E_ARG, "or_image_load_file: path or out is NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, err_size, OR_IMAGE_E_IO, "%s: cannot open: %s", path, strerror(errno));
    /* read in growing chunks: works for pipes and files whose size changes */
    size_t cap = 0, len = 0;
    uint8_t *buf = NULL;
    or_image_status st = OR_IMAGE_OK;
    for (;;) {
        if (len == cap) {
            if (cap >= OR_IMAGE_MAX_FILE) {
                st = fail(err, err_size, OR_IMAGE_E_LIMIT, "%s: file larger than %zu bytes", path,
                          OR_IMAGE_MAX_FILE);
                break;
            }
            size_t ncap = cap ? cap * 2 : 1 << 16;
            if (ncap > OR_IMAGE_MAX_FILE)
                ncap = OR_IMAGE_MAX_FILE;
            /* one spare byte past the limit tells "exactly the limit" from "more" */
            uint8_t *nb = realloc(buf, ncap + 1);
            if (!nb) {
                st = fail(err, err_size, OR_IMAGE_E_NOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - len;
        if (cap == OR_IMAGE_MAX_FILE)
            want++;   /* the spare byte */
        size_t got = fread(buf + len, 1, want, f);
        len += got;
        if (len > OR_IMAGE_MAX_FILE) {
            st = fail(err, err_size, OR_IMAGE_E_LIMIT, "%s: file larger than %zu bytes", path,
                      OR_IMAGE_MAX_FILE);
            break;
        }
        if (got < want) {
            if (ferror(f))
                st = fail(err, err_size, OR_IMAGE_E_IO, "%s: read error: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!st)
        st = or_image_decode(buf, len, path, channels, out, err, err_size);
    free(buf);
    return st;
}

/* ---- preprocessing ---- */

void or_preprocess_defaults(or_preprocess *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->mode = OR_RESIZE_CROP;
    p->height = p->width = 224;
    p->channels = 3;
    p->resize_short = 0;
    p->scale = 1.0f / 255.0f;
    p->mean[0] = 0.485f;
    p->mean[1] = 0.456f;
    p->mean[2] = 0.406f;
    p->std[0] = 0.229f;
    p->std[1] = 0.224f;
    p->std[2] = 0.225f;
}

static or_image_status check_options(const or_preprocess *p, char *err, size_t err_size)
{
    if (!p)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: no options");
    if (p->mode != OR_RESIZE_CROP && p->mode != OR_RESIZE_DIRECT)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: unknown resize mode %d", (int)p->mode);
    if (p->height < 1 || p->width < 1 || p->height > OR_IMAGE_MAX_SIDE || p->width > OR_IMAGE_MAX_SIDE)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: target size %d x %d out of range (1..%d)",
                    p->height, p->width, OR_IMAGE_MAX_SIDE);
    if (p->channels != 1 && p->channels != 3)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: channels must be 1 or 3, not %d",
                    p->channels);
    if (p->resize_short < 0 || p->resize_short > OR_IMAGE_MAX_SIDE)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: resize size %d out of range (0..%d)",
                    p->resize_short, OR_IMAGE_MAX_SIDE);
    if (!isfinite(p->scale))
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: scale is not finite");
    for (int c = 0; c < p->channels; c++) {
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || p->std[c] == 0.0f)
            return fail(err, err_size, OR_IMAGE_E_ARG,
                        "preprocess: channel %d: mean %g / std %g (std must be finite and nonzero)", c,
                        (double)p->mean[c], (double)p->std[c]);
    }
    return OR_IMAGE_OK;
}

size_t or_preprocess_count(const or_preprocess *p)
{
    if (check_options(p, NULL, 0))
        return 0;
    return (size_t)p->channels * (size_t)p->height * (size_t)p->width;   /* <= 3 * 2^30 */
}

/* Filter taps for one output axis window: output index i in [first,
 * first + n) of a resize from in_size to out_size reads inputs
 * start[k] .. start[k] + len[k] - 1 with weights w[k * taps + j]. */
typedef struct axis_taps {
    int n, taps;
    int *start, *len;
    double *w;
} axis_taps;

static void taps_free(axis_taps *a)
{
    free(a->start);
    free(a->len);
    free(a->w);
}

static double triangle(double x)
{
    x = fabs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* Computes the taps (0 on success, -1 no memory). The filter, as PIL's and
 * torch's antialiased bilinear: centre (i + 0.5) * scale, support
 * max(scale, 1), triangle stretched by the downscale factor, truncated at the
 * edges and renormalised. For scale <= 1 this is plain bilinear with
 * half-pixel centres and clamped edges. */
static int taps_make(axis_taps *a, int64_t in_size, int64_t out_size, int64_t first, int n)
{
    double scale = (double)in_size / (double)out_size;
    double support = scale > 1.0 ? scale : 1.0;
    double inv = scale > 1.0 ? 1.0 / scale : 1.0;
    a->n = n;
    a->taps = (int)ceil(support) * 2 + 1;
    a->start = malloc((size_t)n * sizeof *a->start);
    a->len = malloc((size_t)n * sizeof *a->len);
    size_t nw;
    if (!mul_size((size_t)n, (size_t)a->taps, &nw))
        nw = 0;
    a->w = nw ? malloc(nw * sizeof *a->w) : NULL;
    if (!a->start || !a->len || !a->w)
        return -1;
    for (int k = 0; k < n; k++) {
        double center = ((double)(first + k) + 0.5) * scale;
        int64_t lo = (int64_t)(center - support + 0.5);   /* truncation toward zero, as PIL */
        int64_t hi = (int64_t)(center + support + 0.5);
        if (lo < 0)
            lo = 0;
        if (hi > in_size)
            hi = in_size;
        if (hi - lo > a->taps)
            hi = lo + a->taps;   /* cannot happen; keeps the weight row in bounds */
        if (hi <= lo) {          /* cannot happen either; take the nearest pixel */
            lo = center < (double)in_size ? (int64_t)center : in_size - 1;
            hi = lo + 1;
        }
        double *w = a->w + (size_t)k * (size_t)a->taps;
        double total = 0.0;
        for (int64_t j = lo; j < hi; j++) {
            w[j - lo] = triangle(((double)j - center + 0.5) * inv);
            total += w[j - lo];
        }
        for (int64_t j = lo; j < hi; j++)
            w[j - lo] = total != 0.0 ? w[j - lo] / total : 1.0 / (double)(hi - lo);
        a->start[k] = (int)lo;
        a->len[k] = (int)(hi - lo);
    }
    return 0;
}

/* Python's round(x / 2) for a nonnegative integer x: ties to even. */
static int64_t half_round_even(int64_t x)
{
    int64_t q = x / 2;
    if ((x & 1) && (q & 1))
        q++;
    return q;
}

/* Largest resized side allowed in crop mode (extreme aspect ratios). */
#define MAX_RESIZED ((int64_t)1 << 26)

/* The resized size (rh, rw) and the crop offsets (y0, x0) of the target. */
static or_image_status plan_resize(const or_image *img, const or_preprocess *p, int64_t *rh,
                                   int64_t *rw, int64_t *y0, int64_t *x0, char *err, size_t err_size)
{
    int64_t h = img->height, w = img->width, H = p->height, W = p->width;
    if (p->mode == OR_RESIZE_DIRECT) {
        *rh = H;
        *rw = W;
        *y0 = *x0 = 0;
        return OR_IMAGE_OK;
    }
    int64_t target_short = H < W ? H : W;
    int64_t r = p->resize_short ? p->resize_short : (target_short * 256 + 112) / 224;
    int64_t nh, nw;
    if (h <= w) {   /* as torchvision: the short side exactly r, the long one truncated */
        nh = r;
        nw = r * w / h;
    } else {
        nw = r;
        nh = r * h / w;
    }
    if (nh < H) {   /* too small to cover the target: scale up to cover it */
        int64_t cw = (w * H + h - 1) / h;
        nw = nw > cw ? nw : cw;
        nh = H;
    }
    if (nw < W) {
        int64_t ch = (h * W + w - 1) / w;
        nh = nh > ch ? nh : ch;
        nw = W;
    }
    if (nh > MAX_RESIZED || nw > MAX_RESIZED)
        return fail(err, err_size, OR_IMAGE_E_LIMIT,
                    "preprocess: a %d x %d image would be resized to %lld x %lld (limit %lld)",
                    img->width, img->height, (long long)nw, (long long)nh, (long long)MAX_RESIZED);
    *rh = nh;
    *rw = nw;
    *y0 = half_round_even(nh - H);
    *x0 = half_round_even(nw - W);
    return OR_IMAGE_OK;
}

/* Resizes the window [y0, y0+H) x [x0, x0+W) of img resized to rh x rw,
 * writing planar floats (0..255) to out[c][y][x]. */
static or_image_status resize_window(const or_image *img, int64_t rh, int64_t rw, int64_t y0,
                                     int64_t x0, int H, int W, float *out, char *err, size_t err_size)
{
    axis_taps tx = { 0 }, ty = { 0 };
    float *tmp = NULL;
    or_image_status st = OR_IMAGE_OK;
    const int C = img->channels;
    if (taps_make(&tx, img->width, rw, x0, W) || taps_make(&ty, img->height, rh, y0, H)) {
        st = fail(err, err_size, OR_IMAGE_E_NOMEM, "preprocess: out of memory for the resize filter");
        goto done;
    }
    /* the input rows the vertical pass reads */
    int r0 = ty.start[0], r1 = ty.start[H - 1] + ty.len[H - 1];
    for (int k = 0; k < H; k++) {
        if (ty.start[k] < r0)
            r0 = ty.start[k];
        if (ty.start[k] + ty.len[k] > r1)
            r1 = ty.start[k] + ty.len[k];
    }
    size_t rows = (size_t)(r1 - r0), nt;
    if (!mul_size(rows, (size_t)W, &nt) || !mul_size(nt, (size_t)C, &nt) ||
        !(tmp = malloc(nt * sizeof *tmp))) {
        st = fail(err, err_size, OR_IMAGE_E_NOMEM, "preprocess: out of memory for %zu x %d x %d floats",
                  rows, W, C);
        goto done;
    }
    /* horizontal: tmp[c][y - r0][x]; bytes to double by table (faster than converting) */
    double lut[256];
    for (int i = 0; i < 256; i++)
        lut[i] = i;
    for (int y = r0; y < r1; y++) {
        const uint8_t *src = img->pixels + (size_t)y * (size_t)img->width * (size_t)C;
        float *t = tmp + (size_t)(y - r0) * (size_t)W;   /* channel c at t + c * rows * W */
        for (int x = 0; x < W; x++) {
            const double *w = tx.w + (size_t)x * (size_t)tx.taps;
            const uint8_t *s = src + (size_t)tx.start[x] * (size_t)C;
            const int len = tx.len[x];
            if (C == 3) {
                double a0 = 0.0, a1 = 0.0, a2 = 0.0;
                for (int j = 0; j < len; j++, s += 3) {
                    a0 += w[j] * lut[s[0]];
                    a1 += w[j] * lut[s[1]];
                    a2 += w[j] * lut[s[2]];
                }
                t[x] = (float)a0;
                t[rows * (size_t)W + (size_t)x] = (float)a1;
                t[2 * rows * (size_t)W + (size_t)x] = (float)a2;
            } else {
                double a = 0.0;
                for (int j = 0; j < len; j++)
                    a += w[j] * lut[s[j]];
                t[x] = (float)a;
            }
        }
    }
    /* vertical: out[c][y][x] */
    for (int c = 0; c < C; c++) {
        const float *plane = tmp + (size_t)c * rows * (size_t)W;
        for (int y = 0; y < H; y++) {
            const double *w = ty.w + (size_t)y * (size_t)ty.taps;
            const float *s = plane + (size_t)(ty.start[y] - r0) * (size_t)W;
            float *o = out + ((size_t)c * (size_t)H + (size_t)y) * (size_t)W;
            for (int x = 0; x < W; x++) {
                double acc = 0.0;
                for (int j = 0; j < ty.len[y]; j++)
                    acc += w[j] * s[(size_t)j * (size_t)W + (size_t)x];
                o[x] = (float)acc;
            }
        }
    }
done:
    taps_free(&tx);
    taps_free(&ty);
    free(tmp);
    return st;
}

or_image_status or_image_preprocess(const or_image *img, const or_preprocess *p, float *out,
                                    char *err, size_t err_size)
{
    clear_err(err, err_size);
    or_image_status st = check_options(p, err, err_size);
    if (st)
        return st;
    if (!img || !img->pixels || (img->channels != 1 && img->channels != 3) || img->width < 1 ||
        img->height < 1 || img->width > OR_IMAGE_MAX_SIDE || img->height > OR_IMAGE_MAX_SIDE)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: not a valid image");
    if (!out)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: no output buffer");

    /* bring the channel count to the target's first (on a copy) */
    or_image conv = { 0 };
    const or_image *src = img;
    if (img->channels != p->channels) {
        size_t n = (size_t)img->width * (size_t)img->height * (size_t)img->channels;
        st = or_image_create(img->width, img->height, img->channels, &conv, err, err_size);
        if (st)
            return st;
        memcpy(conv.pixels, img->pixels, n);
        st = or_image_convert(&conv, p->channels, err, err_size);
        if (st) {
            or_image_free(&conv);
            return st;
        }
        src = &conv;
    }
    int64_t rh = 0, rw = 0, y0 = 0, x0 = 0;
    st = plan_resize(src, p, &rh, &rw, &y0, &x0, err, err_size);
    if (!st)
        st = resize_window(src, rh, rw, y0, x0, p->height, p->width, out, err, err_size);
    or_image_free(&conv);
    if (st)
        return st;

    /* scale, normalise, reorder: channel c of the image goes to plane oc */
    const int C = p->channels;
    const size_t plane = (size_t)p->height * (size_t)p->width;
    for (int c = 0; c < C; c++) {
        float *o = out + (size_t)c * plane;
        const float scale = p->scale, mean = p->mean[c], sd = p->std[c];
        for (size_t i = 0; i < plane; i++) {
            float v = p->invert ? 255.0f - o[i] : o[i];
            o[i] = (v * scale - mean) / sd;
        }
    }
    if (C == 3 && p->bgr) {
        float *r = out, *b = out + 2 * plane;
        for (size_t i = 0; i < plane; i++) {
            float t = r[i];
            r[i] = b[i];
            b[i] = t;
        }
    }
    return OR_IMAGE_OK;
}

or_image_status or_image_preprocess_alloc(const or_image *img, const or_preprocess *p,
                                          float **out, size_t *count, char *err, size_t err_size)
{
    clear_err(err, err_size);
    if (!out)
        return fail(err, err_size, OR_IMAGE_E_ARG, "preprocess: out is NULL");
    *out = NULL;
    if (count)
        *count = 0;
    or_image_status st = check_options(p, err, err_size);
    if (st)
        return st;
    size_t n = or_preprocess_count(p);
    float *buf = malloc(n * sizeof *buf);
    if (!buf)
        return fail(err, err_size, OR_IMAGE_E_NOMEM, "preprocess: out of memory for %zu floats", n);
    st = or_image_preprocess(img, p, buf, err, err_size);
    if (st) {
        free(buf);
        return st;
    }
    *out = buf;
    if (count)
        *count = n;
    return OR_IMAGE_OK;
}

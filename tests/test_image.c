/*
 * test_image.c - tools/onnxrun/image.c: decoding the committed test images
 * (tests/data/images/, made by tools/make_test_images.py, whose pixel
 * formulas are repeated here), hostile inputs, and preprocessing checked
 * against properties and against torchvision reference tensors; and
 * tools/onnxrun/labels.c: the embedded ImageNet labels and label files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "tools/onnxrun/image.h"
#include "tools/onnxrun/labels.h"

/* ---- helpers ---- */

static const char *img_path(const char *name)
{
    static char buf[4096];
    const char *root = getenv("ONNXRUN_SOURCE_DIR");
    if (root)
        snprintf(buf, sizeof buf, "%s/tests/data/images/%s", root, name);
    else
        snprintf(buf, sizeof buf, "data/images/%s", name);
    return buf;
}

/* Reads a whole test file; *size its length. Fails the test if missing. */
static uint8_t *read_all(const char *name, size_t *size)
{
    const char *p = img_path(name);
    FILE *f = fopen(p, "rb");
    if (!f)
        fail_msg("cannot open %s", p);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(n >= 0);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static or_image load_ok(const char *name, int channels)
{
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    or_image_status st = or_image_load_file(img_path(name), channels, &img, err, sizeof err);
    if (st)
        fail_msg("%s: status %d: %s", name, st, err);
    assert_non_null(img.pixels);
    return img;
}

static const uint8_t *px(const or_image *img, int x, int y)
{
    return img->pixels + ((size_t)y * (size_t)img->width + (size_t)x) * (size_t)img->channels;
}

static uint8_t luma(int r, int g, int b)
{
    return (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
}

/* the rgb.png formula of make_test_images.py */
static void rgb_formula(int x, int y, int *r, int *g, int *b)
{
    *r = 40 * x + 3;
    *g = 60 * y + 5;
    *b = 255 - 20 * (x + y);
}

static void check_rgb_formula(const or_image *img)
{
    assert_int_equal(img->width, 6);
    assert_int_equal(img->height, 4);
    assert_int_equal(img->channels, 3);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 6; x++) {
            int r, g, b;
            rgb_formula(x, y, &r, &g, &b);
            const uint8_t *p = px(img, x, y);
            assert_int_equal(p[0], r);
            assert_int_equal(p[1], g);
            assert_int_equal(p[2], b);
        }
}

/* Expects `name` to fail with status st and exactly "<path>: <tail>"
 * (or, if prefix_only, a message that starts so). */
static void expect_error(const char *name, or_image_status st, const char *tail, int prefix_only)
{
    char err[OR_IMAGE_ERR_SIZE], want[4096 + OR_IMAGE_ERR_SIZE];
    or_image img = { .width = 99, .pixels = (uint8_t *)1 };
    const char *p = img_path(name);
    or_image_status got = or_image_load_file(p, 0, &img, err, sizeof err);
    snprintf(want, sizeof want, "%s: %s", p, tail);
    if (got != st || (prefix_only ? strncmp(err, want, strlen(want)) != 0 : strcmp(err, want) != 0))
        fail_msg("%s: got status %d \"%s\", want %d \"%s\"", name, got, err, st, want);
    assert_null(img.pixels);
    assert_int_equal(img.width, 0);
}

/* ---- decoding ---- */

static void test_png_rgb(void **state)
{
    (void)state;
    or_image img = load_ok("rgb.png", 0);
    check_rgb_formula(&img);
    or_image_free(&img);
    or_image_free(&img);   /* twice: safe */
    or_image_free(NULL);

    img = load_ok("rgb.png", 1);   /* to gray: BT.601 luma */
    assert_int_equal(img.channels, 1);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 6; x++) {
            int r, g, b;
            rgb_formula(x, y, &r, &g, &b);
            assert_int_equal(*px(&img, x, y), luma(r, g, b));
        }
    or_image_free(&img);
}

static void test_png_gray(void **state)
{
    (void)state;
    or_image img = load_ok("gray.png", 0);
    assert_int_equal(img.width, 7);
    assert_int_equal(img.height, 5);
    assert_int_equal(img.channels, 1);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            assert_int_equal(*px(&img, x, y), 30 * x + 7 * y);
    or_image_free(&img);

    img = load_ok("gray.png", 3);   /* replicated */
    assert_int_equal(img.channels, 3);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(px(&img, x, y)[c], 30 * x + 7 * y);
    or_image_free(&img);

    img = load_ok("gray_alpha.png", 0);   /* alpha dropped */
    assert_int_equal(img.channels, 1);
    assert_int_equal(img.width, 7);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            assert_int_equal(*px(&img, x, y), 30 * x + 7 * y);
    or_image_free(&img);

    img = load_ok("gray_alpha16.png", 0);   /* 16-bit gray + alpha */
    assert_int_equal(img.channels, 1);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 7; x++)
            assert_int_equal(*px(&img, x, y), 30 * x + 7 * y);
    or_image_free(&img);

    img = load_ok("gray1.png", 0);   /* 1 bit per pixel, expanded to 0 / 255 */
    assert_int_equal(img.width, 9);
    assert_int_equal(img.height, 2);
    assert_int_equal(img.channels, 1);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 9; x++)
            assert_int_equal(*px(&img, x, y), (x + y) % 3 == 0 ? 255 : 0);
    or_image_free(&img);
}

static void test_png_palette_alpha_16bit_interlaced(void **state)
{
    (void)state;
    static const uint8_t pal[4][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 10, 20, 30 } };
    or_image img = load_ok("palette.png", 0);   /* 2-bit palette with a transparent entry */
    assert_int_equal(img.width, 4);
    assert_int_equal(img.height, 4);
    assert_int_equal(img.channels, 3);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++)
            assert_memory_equal(px(&img, x, y), pal[(x + y) % 4], 3);
    or_image_free(&img);

    img = load_ok("rgba.png", 0);
    check_rgb_formula(&img);
    or_image_free(&img);

    img = load_ok("rgb16.png", 0);
    check_rgb_formula(&img);
    or_image_free(&img);

    img = load_ok("interlaced.png", 0);   /* Adam7 */
    assert_int_equal(img.width, 11);
    assert_int_equal(img.height, 9);
    assert_int_equal(img.channels, 3);
    for (int y = 0; y < 9; y++)
        for (int x = 0; x < 11; x++) {
            const uint8_t want[3] = { (uint8_t)(20 * x), (uint8_t)(25 * y), 7 };
            assert_memory_equal(px(&img, x, y), want, 3);
        }
    or_image_free(&img);
}

static void test_jpeg(void **state)
{
    (void)state;
    size_t n, nraw;
    /* bit for bit what libjpeg gives PIL */
    or_image img = load_ok("small.jpg", 0);
    uint8_t *raw = read_all("small.rgb", &nraw);
    assert_int_equal(img.width, 16);
    assert_int_equal(img.height, 16);
    assert_int_equal(img.channels, 3);
    assert_int_equal(nraw, 16 * 16 * 3);
    assert_memory_equal(img.pixels, raw, nraw);
    /* and close to the block colours it was made from (centre of each block) */
    for (int by = 0; by < 4; by++)
        for (int bx = 0; bx < 4; bx++) {
            const uint8_t *p = px(&img, 4 * bx + 2, 4 * by + 2);
            int want[3] = { 60 * bx + 20, 60 * by + 20, 200 - 40 * ((bx + by) % 4) };
            for (int c = 0; c < 3; c++)
                assert_in_range(p[c], want[c] - 12, want[c] + 12);
        }
    or_image_free(&img);

    /* the same from memory, name in messages only */
    uint8_t *file = read_all("small.jpg", &n);
    char err[OR_IMAGE_ERR_SIZE];
    assert_int_equal(or_image_decode(file, n, "mem.jpg", 0, &img, err, sizeof err), OR_IMAGE_OK);
    assert_memory_equal(img.pixels, raw, nraw);
    or_image_free(&img);
    free(file);
    free(raw);

    img = load_ok("gray.jpg", 0);
    raw = read_all("gray_jpg.raw", &nraw);
    assert_int_equal(img.channels, 1);
    assert_int_equal(img.width, 16);
    assert_int_equal(nraw, 16 * 16);
    assert_memory_equal(img.pixels, raw, nraw);
    or_image_free(&img);
    free(raw);

    /* CMYK (Adobe-inverted, as PIL writes it) converted to RGB as PIL does, +-2 */
    img = load_ok("cmyk.jpg", 0);
    raw = read_all("cmyk.rgb", &nraw);
    assert_int_equal(img.channels, 3);
    assert_int_equal(img.width, 8);
    assert_int_equal(nraw, 8 * 8 * 3);
    for (size_t i = 0; i < nraw; i++)
        assert_true(abs((int)img.pixels[i] - (int)raw[i]) <= 2);
    or_image_free(&img);
    free(raw);
}

/* ---- hostile inputs ---- */

static void test_not_images(void **state)
{
    (void)state;
    expect_error("notes.txt", OR_IMAGE_E_FORMAT, "not a JPEG or PNG image", 0);
    expect_error("empty.png", OR_IMAGE_E_FORMAT, "empty file", 0);
    expect_error("no-such-file.png", OR_IMAGE_E_IO, "cannot open: No such file or directory", 0);
    expect_error("", OR_IMAGE_E_IO, "read error", 1);   /* the directory itself */

    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_decode("GIF89a", 6, NULL, 0, &img, err, sizeof err), OR_IMAGE_E_FORMAT);
    assert_string_equal(err, "image: not a JPEG or PNG image");
    assert_int_equal(or_image_decode("x", 1, "a.png", 2, &img, err, sizeof err), OR_IMAGE_E_ARG);
    assert_int_equal(or_image_decode(NULL, 5, "a.png", 0, &img, err, sizeof err), OR_IMAGE_E_ARG);
    assert_int_equal(or_image_decode("x", 1, "a.png", 0, NULL, err, sizeof err), OR_IMAGE_E_ARG);
    /* a NULL message buffer is allowed */
    assert_int_equal(or_image_decode("x", 1, "a.png", 0, &img, NULL, 0), OR_IMAGE_E_FORMAT);
    assert_int_equal(or_image_load_file(NULL, 0, &img, err, sizeof err), OR_IMAGE_E_ARG);
}

static void test_absurd_sizes(void **state)
{
    (void)state;
    /* each is refused from its header, before pixel memory: the IDATs hold
     * a single row, so decoding would have failed differently */
    expect_error("huge.png", OR_IMAGE_E_LIMIT,
                 "image too large: 100000 x 100000 (limit 32768 per side, 268435456 pixels)", 0);
    expect_error("many_pixels.png", OR_IMAGE_E_LIMIT,
                 "image too large: 20000 x 20000 (limit 32768 per side, 268435456 pixels)", 0);
    expect_error("zero_width.png", OR_IMAGE_E_LIMIT, "image has zero width (0 x 16)", 0);
    expect_error("huge.jpg", OR_IMAGE_E_LIMIT,
                 "image too large: 40000 x 40000 (limit 32768 per side, 268435456 pixels)", 0);
    expect_error("zero_height.jpg", OR_IMAGE_E_LIMIT, "image has zero width or height", 0);

    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_create(40000, 1, 3, &img, err, sizeof err), OR_IMAGE_E_LIMIT);
    assert_null(img.pixels);
    assert_int_equal(or_image_create(0, 1, 3, &img, err, sizeof err), OR_IMAGE_E_LIMIT);
    assert_int_equal(or_image_create(2, 2, 2, &img, err, sizeof err), OR_IMAGE_E_ARG);
    assert_int_equal(or_image_create(-5, 2, 1, &img, err, sizeof err), OR_IMAGE_E_ARG);
}

/* Decodes every prefix of a good file: each is an error naming truncation,
 * except cuts after the pixel data (in the PNG's IEND or JPEG's EOI), which
 * must give the full image. */
static void check_prefixes(const char *name, const char *kind, size_t trailer)
{
    size_t n;
    uint8_t *file = read_all(name, &n);
    or_image full = load_ok(name, 0);
    char err[OR_IMAGE_ERR_SIZE], want[128];
    size_t sig = strcmp(kind, "PNG") == 0 ? 8 : 3;
    for (size_t len = 1; len < n; len++) {
        if (len < sig)
            snprintf(want, sizeof want, "cut: truncated %s: file ends inside the signature", kind);
        else
            snprintf(want, sizeof want, "cut: truncated %s: file ends after %zu bytes", kind, len);
        uint8_t *cut = malloc(len);   /* exactly len: ASan sees any over-read */
        assert_non_null(cut);
        memcpy(cut, file, len);
        or_image img;
        or_image_status st = or_image_decode(cut, len, "cut", 0, &img, err, sizeof err);
        if (len >= n - trailer && st == OR_IMAGE_OK) {
            assert_int_equal(img.width, full.width);
            assert_memory_equal(img.pixels, full.pixels,
                                (size_t)full.width * (size_t)full.height * (size_t)full.channels);
        } else {
            if (st != OR_IMAGE_E_CORRUPT || strcmp(err, want) != 0)
                fail_msg("%s cut at %zu of %zu: status %d \"%s\"", name, len, n, st, err);
            assert_null(img.pixels);
        }
        or_image_free(&img);
        free(cut);
    }
    or_image_free(&full);
    free(file);
}

static void test_truncated(void **state)
{
    (void)state;
    check_prefixes("rgb.png", "PNG", 12);          /* IEND: 12 bytes */
    check_prefixes("interlaced.png", "PNG", 12);
    check_prefixes("palette.png", "PNG", 12);
    check_prefixes("small.jpg", "JPEG", 2);        /* EOI: 2 bytes */
    check_prefixes("gray.jpg", "JPEG", 2);
    check_prefixes("cmyk.jpg", "JPEG", 2);
}

static void test_corrupt(void **state)
{
    (void)state;
    size_t n;
    uint8_t *file = read_all("rgb.png", &n);
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    file[29] ^= 0x55;   /* the IHDR CRC */
    assert_int_equal(or_image_decode(file, n, "x.png", 0, &img, err, sizeof err), OR_IMAGE_E_CORRUPT);
    assert_string_equal(err, "x.png: bad PNG: IHDR: CRC error");
    assert_null(img.pixels);
    file[29] ^= 0x55;
    file[n - 20] ^= 0xff;   /* the zlib checksum inside the IDAT */
    assert_int_equal(or_image_decode(file, n, "x.png", 0, &img, err, sizeof err), OR_IMAGE_E_CORRUPT);
    assert_string_equal(err, "x.png: bad PNG: IDAT: incorrect data check");
    free(file);

    /* a JPEG whose SOF says 3 components but the scan header is garbage */
    file = read_all("small.jpg", &n);
    for (size_t i = 2; i + 1 < n; i++)
        if (file[i] == 0xff && file[i + 1] == 0xda) {   /* SOS */
            file[i + 4] = 9;                            /* component count */
            break;
        }
    assert_int_equal(or_image_decode(file, n, "x.jpg", 0, &img, err, sizeof err), OR_IMAGE_E_CORRUPT);
    assert_true(strncmp(err, "x.jpg: bad JPEG: ", 17) == 0);
    assert_null(img.pixels);
    free(file);
}

/* ---- preprocessing ---- */

static or_preprocess plain(or_resize_mode mode, int h, int w, int channels)
{
    or_preprocess p;
    or_preprocess_defaults(&p);
    p.mode = mode;
    p.height = h;
    p.width = w;
    p.channels = channels;
    p.scale = 1.0f;
    for (int c = 0; c < 3; c++) {
        p.mean[c] = 0.0f;
        p.std[c] = 1.0f;
    }
    return p;
}

static float *run(const or_image *img, const or_preprocess *p)
{
    char err[OR_IMAGE_ERR_SIZE];
    float *out = NULL;
    size_t n = 0;
    or_image_status st = or_image_preprocess_alloc(img, p, &out, &n, err, sizeof err);
    if (st)
        fail_msg("preprocess: status %d: %s", st, err);
    assert_int_equal(n, or_preprocess_count(p));
    return out;
}

static void test_defaults(void **state)
{
    (void)state;
    or_preprocess p;
    or_preprocess_defaults(&p);
    assert_int_equal(p.mode, OR_RESIZE_CROP);
    assert_int_equal(p.height, 224);
    assert_int_equal(p.width, 224);
    assert_int_equal(p.channels, 3);
    assert_true(p.scale == 1.0f / 255.0f);
    assert_true(p.mean[0] == 0.485f && p.mean[1] == 0.456f && p.mean[2] == 0.406f);
    assert_true(p.std[0] == 0.229f && p.std[1] == 0.224f && p.std[2] == 0.225f);
    assert_int_equal(or_preprocess_count(&p), 3 * 224 * 224);

    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_create(4, 4, 3, &img, err, sizeof err), OR_IMAGE_OK);
    float out[3 * 224 * 224];
    p.std[1] = 0.0f;
    assert_int_equal(or_preprocess_count(&p), 0);
    assert_int_equal(or_image_preprocess(&img, &p, out, err, sizeof err), OR_IMAGE_E_ARG);
    assert_string_equal(err, "preprocess: channel 1: mean 0.456 / std 0 (std must be finite and nonzero)");
    or_preprocess_defaults(&p);
    p.width = 0;
    assert_int_equal(or_image_preprocess(&img, &p, out, err, sizeof err), OR_IMAGE_E_ARG);
    assert_string_equal(err, "preprocess: target size 224 x 0 out of range (1..32768)");
    or_preprocess_defaults(&p);
    p.channels = 2;
    assert_int_equal(or_image_preprocess(&img, &p, out, err, sizeof err), OR_IMAGE_E_ARG);
    or_preprocess_defaults(&p);
    assert_int_equal(or_image_preprocess(NULL, &p, out, err, sizeof err), OR_IMAGE_E_ARG);
    assert_int_equal(or_image_preprocess(&img, &p, NULL, err, sizeof err), OR_IMAGE_E_ARG);
    float *o = (float *)1;
    p.height = -1;
    assert_int_equal(or_image_preprocess_alloc(&img, &p, &o, NULL, err, sizeof err), OR_IMAGE_E_ARG);
    assert_null(o);
    or_image_free(&img);
}

/* A constant image gives exactly (v * scale - mean) / std everywhere, for
 * enlarging and shrinking, crop and direct, gray and colour, and with invert. */
static void test_constant(void **state)
{
    (void)state;
    static const uint8_t rgb[3] = { 10, 100, 250 };
    char err[OR_IMAGE_ERR_SIZE];
    struct { int w, h, mode, oh, ow, invert, bgr; } cases[] = {
        { 50, 37, OR_RESIZE_CROP, 224, 224, 0, 0 },    /* enlarging */
        { 613, 419, OR_RESIZE_CROP, 224, 224, 0, 1 },  /* shrinking */
        { 613, 419, OR_RESIZE_DIRECT, 17, 13, 1, 0 },
        { 5, 300, OR_RESIZE_CROP, 32, 48, 1, 1 },
        { 32768, 1, OR_RESIZE_CROP, 224, 224, 0, 0 },   /* extreme aspect ratios */
        { 1, 32768, OR_RESIZE_CROP, 224, 224, 0, 1 },
        { 1, 1, OR_RESIZE_DIRECT, 3, 1000, 0, 0 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        or_image img;
        assert_int_equal(or_image_create(cases[k].w, cases[k].h, 3, &img, err, sizeof err), OR_IMAGE_OK);
        for (size_t i = 0; i < (size_t)cases[k].w * (size_t)cases[k].h; i++)
            memcpy(img.pixels + 3 * i, rgb, 3);
        or_preprocess p;
        or_preprocess_defaults(&p);
        p.mode = (or_resize_mode)cases[k].mode;
        p.height = cases[k].oh;
        p.width = cases[k].ow;
        p.invert = cases[k].invert;
        p.bgr = cases[k].bgr;
        float *out = run(&img, &p);
        size_t plane = (size_t)p.height * (size_t)p.width;
        for (int c = 0; c < 3; c++) {
            float v = p.invert ? 255.0f - rgb[c] : rgb[c];
            float want = (v * p.scale - p.mean[c]) / p.std[c];
            const float *o = out + (size_t)(p.bgr ? 2 - c : c) * plane;
            for (size_t i = 0; i < plane; i++)
                if (o[i] != want)
                    fail_msg("case %zu channel %d at %zu: %.9g, want %.9g", k, c, i, (double)o[i],
                             (double)want);
        }
        free(out);

        /* the same image to one channel: luma of the colour */
        p.channels = 1;
        p.mean[0] = 0.5f;
        p.std[0] = 0.25f;
        out = run(&img, &p);
        float v = luma(rgb[0], rgb[1], rgb[2]);
        v = p.invert ? 255.0f - v : v;
        float want = (v * p.scale - p.mean[0]) / p.std[0];
        for (size_t i = 0; i < plane; i++)
            assert_true(out[i] == want);
        free(out);
        or_image_free(&img);
    }
}

/* A horizontal gradient stays monotonic when shrunk or enlarged, and
 * gray -> 3 channels replicates it. */
static void test_gradient(void **state)
{
    (void)state;
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_create(200, 30, 1, &img, err, sizeof err), OR_IMAGE_OK);
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 200; x++)
            img.pixels[y * 200 + x] = (uint8_t)(x * 255 / 199);
    int widths[] = { 37, 64, 199, 200, 201, 500 };
    for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
        or_preprocess p = plain(OR_RESIZE_DIRECT, 11, widths[k], 3);
        float *out = run(&img, &p);
        int W = widths[k];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 11; y++) {
                const float *row = out + ((size_t)c * 11 + (size_t)y) * (size_t)W;
                for (int x = 1; x < W; x++)
                    if (row[x] < row[x - 1])
                        fail_msg("width %d row %d: %g then %g at x=%d", W, y, (double)row[x - 1],
                                 (double)row[x], x);
                assert_true(row[0] < 10.0f && row[W - 1] > 245.0f);
                assert_true(row[0] < row[W - 1]);
                assert_memory_equal(row, out + (size_t)y * (size_t)W, (size_t)W * sizeof *row);
            }
        free(out);
    }
    or_image_free(&img);
}

/* A 2x2-cell checkerboard shifted by one pixel, shrunk 4x: the antialiasing
 * filter averages it to mid gray; plain bilinear would sample pixels 4i+1
 * and 4i+2 only, which are always the same cell, and give solid black. */
static void test_checker_antialias(void **state)
{
    (void)state;
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_create(64, 64, 1, &img, err, sizeof err), OR_IMAGE_OK);
    int black_at_samples = 1;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            int v = (((x + 1) / 2) + ((y + 1) / 2)) % 2 ? 255 : 0;
            img.pixels[y * 64 + x] = (uint8_t)v;
            if (x % 4 >= 1 && x % 4 <= 2 && y % 4 >= 1 && y % 4 <= 2 && v)
                black_at_samples = 0;
        }
    assert_true(black_at_samples);   /* what non-antialiased bilinear would see */
    or_preprocess p = plain(OR_RESIZE_DIRECT, 16, 16, 1);
    float *out = run(&img, &p);
    double lo = 255, hi = 0;
    for (int i = 0; i < 16 * 16; i++) {
        lo = out[i] < lo ? out[i] : lo;
        hi = out[i] > hi ? out[i] : hi;
    }
    /* interior exactly 127.5; the edge rows/columns see a truncated filter */
    for (int y = 1; y < 15; y++)
        for (int x = 1; x < 15; x++)
            assert_float_equal(out[y * 16 + x], 127.5, 1e-3);
    assert_true(lo > 120.0 && hi < 135.0);
    free(out);

    or_image_free(&img);

    /* a 1-pixel checkerboard shrunk 3x: also near gray (plain bilinear at 3x
     * would hit pixel centres and give 0 / 255) */
    assert_int_equal(or_image_create(63, 63, 1, &img, err, sizeof err), OR_IMAGE_OK);
    for (int y = 0; y < 63; y++)
        for (int x = 0; x < 63; x++)
            img.pixels[y * 63 + x] = (x + y) % 2 ? 255 : 0;
    p = plain(OR_RESIZE_DIRECT, 21, 21, 1);
    out = run(&img, &p);
    for (int y = 1; y < 20; y++)
        for (int x = 1; x < 20; x++)
            assert_float_equal(out[y * 21 + x], 127.5, 255.0 * 0.06);
    free(out);
    or_image_free(&img);
}

/* Crop mode takes the centre: a 320x256 image needs no resize for 224
 * (short side 256), so the output is the exact window at (48, 16); the
 * marked centre lands on the output centre. 323 wide: (323-224)/2 = 49.5
 * rounds to even, 50, as torchvision's round(). */
static void test_center_crop(void **state)
{
    (void)state;
    char err[OR_IMAGE_ERR_SIZE];
    for (int W = 320; W <= 325; W++) {
        or_image img;
        assert_int_equal(or_image_create(W, 256, 3, &img, err, sizeof err), OR_IMAGE_OK);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < W; x++) {
                uint8_t *q = img.pixels + ((size_t)y * (size_t)W + (size_t)x) * 3;
                q[0] = (uint8_t)(x & 255);
                q[1] = (uint8_t)y;
                /* a 4x4 white mark at the centre (even widths only) */
                q[2] = (W % 2 == 0 && abs(2 * x + 1 - W) <= 4 && abs(2 * y + 1 - 256) <= 4) ? 255 : 0;
            }
        or_preprocess p = plain(OR_RESIZE_CROP, 224, 224, 3);
        float *out = run(&img, &p);
        int d = W - 224, x0 = d / 2 + ((d & 1) && ((d / 2) & 1));
        if (W == 323)
            assert_int_equal(x0, 50);
        if (W == 321)
            assert_int_equal(x0, 48);
        const size_t plane = 224 * 224;
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++) {
                assert_true(out[y * 224 + x] == (float)((x + x0) & 255));
                assert_true(out[plane + y * 224 + x] == (float)(y + 16));
                float mark = out[2 * plane + y * 224 + x];
                if (W % 2 == 0)
                    assert_true(mark == ((x >= 110 && x < 114 && y >= 110 && y < 114) ? 255.0f : 0.0f));
            }
        free(out);
        or_image_free(&img);
    }
}

/* Non-square targets: crop mode with a portrait image and a wide target
 * scales up to cover it (no padding); direct mode gives exactly the size. */
static void test_non_square(void **state)
{
    (void)state;
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    assert_int_equal(or_image_create(100, 400, 1, &img, err, sizeof err), OR_IMAGE_OK);
    memset(img.pixels, 7, 100 * 400);
    /* short side 100 -> round(32 * 256 / 224) = 37 gives 37 x 148: too narrow
     * for 96 wide, so it is scaled to 96 x 384 and the centre 32 x 96 taken */
    or_preprocess p = plain(OR_RESIZE_CROP, 32, 96, 1);
    float *out = run(&img, &p);
    for (int i = 0; i < 32 * 96; i++)
        assert_true(out[i] == 7.0f);
    free(out);
    /* values: a vertical ramp in a tall image, direct 10 x 3: monotonic down */
    for (int y = 0; y < 400; y++)
        memset(img.pixels + y * 100, y * 255 / 399, 100);
    p = plain(OR_RESIZE_DIRECT, 10, 3, 3);
    p.bgr = 1;
    out = run(&img, &p);
    for (int y = 1; y < 10; y++)
        for (int x = 0; x < 3; x++)
            assert_true(out[y * 3 + x] > out[(y - 1) * 3 + x]);
    assert_memory_equal(out, out + 30, 30 * sizeof *out);   /* gray: BGR swap is invisible */
    free(out);
    or_image_free(&img);
}

/* Compares out (C x H x W) against ref sampled every `stride` rows and
 * columns; returns the largest absolute difference. */
static double max_diff(const float *out, int H, int W, const float *ref, int stride)
{
    double m = 0;
    int rh = (H + stride - 1) / stride, rw = (W + stride - 1) / stride;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < rh; y++)
            for (int x = 0; x < rw; x++) {
                double d = fabs((double)out[((size_t)c * H + (size_t)(y * stride)) * W + (size_t)(x * stride)] -
                                (double)ref[((size_t)c * rh + (size_t)y) * rw + (size_t)x]);
                m = d > m ? d : m;
            }
    return m;
}

static float *read_floats(const char *name, size_t count)
{
    size_t n;
    uint8_t *raw = read_all(name, &n);
    assert_int_equal(n, count * sizeof(float));
    float *f = malloc(n);
    assert_non_null(f);
    memcpy(f, raw, n);   /* little-endian float32, as this machine */
    free(raw);
    return f;
}

/* Against torchvision 0.14 (tools/make_test_images.py): Resize(256,
 * antialias=True) + CenterCrop(224) + ToTensor + Normalize on photo.jpg. */
static void test_torchvision_reference(void **state)
{
    (void)state;
    or_image img = load_ok("photo.jpg", 3);
    assert_int_equal(img.width, 480);
    assert_int_equal(img.height, 360);
    or_preprocess p;
    or_preprocess_defaults(&p);
    float *out = run(&img, &p);

    /* (1) the float pipeline on a tensor: the same arithmetic as ours */
    float *ref = read_floats("photo_ref_tensor224_s2.f32", 3 * 112 * 112);
    double d_tensor = max_diff(out, 224, 224, ref, 2);
    free(ref);

    /* (2) the usual PIL pipeline, which rounds to 8 bits after each resize
     * pass: stored as the 8-bit crop, normalised here as torchvision does */
    size_t n;
    uint8_t *crop = read_all("photo_ref_pil224.u8", &n);
    assert_int_equal(n, 224 * 224 * 3);
    double d_pil = 0, sum = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 224 * 224; i++) {
            float want = ((float)crop[i * 3 + c] / 255.0f - p.mean[c]) / p.std[c];
            double d = fabs((double)out[c * 224 * 224 + i] - (double)want);
            d_pil = d > d_pil ? d : d_pil;
            sum += d;
        }
    free(crop);
    print_message("torchvision crop 224: max |diff| %.3g vs the tensor pipeline, %.3g (mean %.3g) vs PIL\n",
                  d_tensor, d_pil, sum / (3.0 * 224 * 224));
    assert_true(d_tensor < 1e-4);
    assert_true(d_pil < 0.02);
    free(out);

    /* (3) direct to 160 x 200, values 0..1 */
    p = plain(OR_RESIZE_DIRECT, 160, 200, 3);
    p.scale = 1.0f / 255.0f;
    out = run(&img, &p);
    ref = read_floats("photo_ref_direct160x200_s2.f32", 3 * 80 * 100);
    double d_direct = max_diff(out, 160, 200, ref, 2);
    free(ref);
    free(out);
    or_image_free(&img);

    /* (4) enlarging 16x16 -> 40 x 56 (plain bilinear) */
    img = load_ok("small.jpg", 3);
    out = run(&img, &p);
    p.height = 40;
    p.width = 56;
    free(out);
    out = run(&img, &p);
    ref = read_floats("small_ref_up40x56.f32", 3 * 40 * 56);
    double d_up = max_diff(out, 40, 56, ref, 1);
    free(ref);
    free(out);
    or_image_free(&img);
    print_message("torchvision direct 160x200: %.3g, enlarge 40x56: %.3g (0..1 scale)\n", d_direct, d_up);
    assert_true(d_direct < 1e-5);
    assert_true(d_up < 1e-5);
}

/* ---- labels ---- */

static void test_imagenet_labels(void **state)
{
    (void)state;
    assert_string_equal(or_imagenet_label(0), "tench");
    assert_string_equal(or_imagenet_label(281), "tabby");
    assert_string_equal(or_imagenet_label(999), "toilet tissue");
    assert_null(or_imagenet_label(-1));
    assert_null(or_imagenet_label(OR_IMAGENET_CLASSES));
    assert_null(or_imagenet_label(1 << 30));
    for (int i = 0; i < OR_IMAGENET_CLASSES; i++) {
        const char *l = or_imagenet_label(i);
        assert_non_null(l);
        assert_true(l[0] != '\0' && strchr(l, '\n') == NULL);
    }
    assert_ptr_equal(or_labels_get(NULL, 7), or_imagenet_label(7));
    assert_null(or_labels_get(NULL, 1000));
}

/* Writes bytes to a fresh temporary file; the caller unlinks it. */
static char *temp_file(const char *bytes, size_t n)
{
    static char name[64];
    snprintf(name, sizeof name, "/tmp/test_labels_XXXXXX");
    int fd = mkstemp(name);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, n), (ssize_t)n);
    close(fd);
    return name;
}

static void test_label_files(void **state)
{
    (void)state;
    char err[512], want[600];
    or_labels l;
    /* BOM, CRLF, padding, an empty label, a last line without newline */
    static const char text[] = "\xef\xbb\xbf" "zero\r\n  one \t\n\ntwo words\nlast";
    char *path = temp_file(text, sizeof text - 1);
    assert_int_equal(or_labels_load(path, &l, err, sizeof err), OR_LABELS_OK);
    assert_int_equal(l.count, 5);
    assert_string_equal(or_labels_get(&l, 0), "zero");
    assert_string_equal(or_labels_get(&l, 1), "one");
    assert_string_equal(or_labels_get(&l, 2), "");
    assert_string_equal(or_labels_get(&l, 3), "two words");
    assert_string_equal(or_labels_get(&l, 4), "last");
    assert_null(or_labels_get(&l, 5));
    assert_null(or_labels_get(&l, -1));
    or_labels_free(&l);
    or_labels_free(&l);
    or_labels_free(NULL);
    unlink(path);

    /* a final newline ends the last label; it does not start another */
    path = temp_file("a\nb\n", 4);
    assert_int_equal(or_labels_load(path, &l, err, sizeof err), OR_LABELS_OK);
    assert_int_equal(l.count, 2);
    or_labels_free(&l);
    unlink(path);

    path = temp_file("", 0);
    assert_int_equal(or_labels_load(path, &l, err, sizeof err), OR_LABELS_E_FORMAT);
    snprintf(want, sizeof want, "%s: no labels", path);
    assert_string_equal(err, want);
    assert_null(l.names);
    assert_int_equal(l.count, 0);
    unlink(path);

    path = temp_file("a\nb\0c\n", 6);
    assert_int_equal(or_labels_load(path, &l, err, sizeof err), OR_LABELS_E_FORMAT);
    snprintf(want, sizeof want, "%s: line 2: NUL byte", path);
    assert_string_equal(err, want);
    assert_null(l.names);
    unlink(path);

    /* a big file reads in several chunks */
    size_t n = 0;
    char *big = malloc(100000 * 8);
    assert_non_null(big);
    for (int i = 0; i < 100000; i++)
        n += (size_t)sprintf(big + n, "c%d\n", i);
    path = temp_file(big, n);
    free(big);
    assert_int_equal(or_labels_load(path, &l, err, sizeof err), OR_LABELS_OK);
    assert_int_equal(l.count, 100000);
    assert_string_equal(or_labels_get(&l, 99999), "c99999");
    or_labels_free(&l);
    unlink(path);

    assert_int_equal(or_labels_load("/nonexistent/labels.txt", &l, err, sizeof err), OR_LABELS_E_IO);
    assert_string_equal(err, "/nonexistent/labels.txt: cannot open: No such file or directory");
    assert_int_equal(or_labels_load("/tmp", &l, err, sizeof err), OR_LABELS_E_IO);
    assert_string_equal(err, "/tmp: read error: Is a directory");
    assert_int_equal(or_labels_load(NULL, &l, err, sizeof err), OR_LABELS_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_rgb),
        cmocka_unit_test(test_png_gray),
        cmocka_unit_test(test_png_palette_alpha_16bit_interlaced),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_not_images),
        cmocka_unit_test(test_absurd_sizes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_constant),
        cmocka_unit_test(test_gradient),
        cmocka_unit_test(test_checker_antialias),
        cmocka_unit_test(test_center_crop),
        cmocka_unit_test(test_non_square),
        cmocka_unit_test(test_torchvision_reference),
        cmocka_unit_test(test_imagenet_labels),
        cmocka_unit_test(test_label_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

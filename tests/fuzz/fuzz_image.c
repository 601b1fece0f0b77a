/*
 * fuzz_image.c - libFuzzer target: bytes -> or_image_decode (JPEG / PNG via
 * libjpeg and libpng) -> or_image_preprocess with the ImageNet crop and a
 * small direct resize to one channel (tools/onnxrun/image.c).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "image.h"

#include "fuzz_common.h"

static void preprocess(const or_image *img, or_preprocess *p)
{
    char err[OR_IMAGE_ERR_SIZE];
    float *x = NULL;
    size_t n = 0;
    if (or_image_preprocess_alloc(img, p, &x, &n, err, sizeof err) == OR_IMAGE_OK) {
        FUZZ_ASSERT(n == or_preprocess_count(p));
        for (size_t i = 0; i < n; i++) FUZZ_ASSERT(isfinite(x[i]));
    } else {
        FUZZ_ASSERT(!x && err[0]);
    }
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int channels[3] = { 0, 1, 3 };
    char err[OR_IMAGE_ERR_SIZE];
    or_image img;
    or_image_status st = or_image_decode(data, size, "fuzz", channels[size % 3], &img, err, sizeof err);
    if (st != OR_IMAGE_OK) {
        FUZZ_ASSERT(!img.pixels && err[0]);
        return 0;
    }
    FUZZ_ASSERT(img.width >= 1 && img.width <= OR_IMAGE_MAX_SIDE);
    FUZZ_ASSERT(img.height >= 1 && img.height <= OR_IMAGE_MAX_SIDE);
    FUZZ_ASSERT(img.channels == 1 || img.channels == 3);
    fuzz_touch(img.pixels, (size_t)img.width * (size_t)img.height * (size_t)img.channels);

    or_preprocess p;
    or_preprocess_defaults(&p);                 /* resize 256, crop 224, 3 channels */
    preprocess(&img, &p);
    p.mode = OR_RESIZE_DIRECT;                  /* LeNet-style: 28 x 28 gray, inverted */
    p.height = p.width = 28;
    p.channels = 1;
    p.invert = 1;
    preprocess(&img, &p);
    or_image_free(&img);
    return 0;
}

#!/usr/bin/python3
"""Makes the small test images in tests/data/images/ for tests/test_image.c,
and the torchvision reference tensors the preprocessing is checked against.

Run with Debian's Python (PIL 9, torch/torchvision 0.14):
    /usr/bin/python3 tools/make_test_images.py [outdir]
The outputs are committed; rerun only to change them. Pixel formulas here
are repeated in tests/test_image.c: keep the two in step.

PNGs that PIL cannot write (16-bit RGB, Adam7-interlaced, hostile headers)
are written by hand with zlib.
"""
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageDraw

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "images")


def path(name):
    return os.path.join(OUT, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


# ---- hand-made PNGs ----

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width, height, depth, color, raw, interlace=0):
    """raw: the filtered (filter byte 0) scanline bytes, already laid out."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def rows_bytes(arr):
    """arr: (h, w, c) uint8 or >u2 array -> filter-0 scanlines."""
    return b"".join(b"\x00" + arr[y].tobytes() for y in range(arr.shape[0]))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def adam7_bytes(arr):
    out = b""
    for x0, y0, dx, dy in ADAM7:
        sub = arr[y0::dy, x0::dx]
        if sub.shape[0] and sub.shape[1]:
            out += rows_bytes(sub)
    return out


def rgb_formula(w, h):
    """rgb.png and friends: R = 40x + 3, G = 60y + 5, B = 255 - 20(x + y)."""
    a = np.zeros((h, w, 3), np.uint8)
    for y in range(h):
        for x in range(w):
            a[y, x] = (40 * x + 3, 60 * y + 5, 255 - 20 * (x + y))
    return a


def main():
    os.makedirs(OUT, exist_ok=True)

    # RGB 6x4
    rgb = rgb_formula(6, 4)
    Image.fromarray(rgb, "RGB").save(path("rgb.png"))

    # gray 7x5: 30x + 7y
    gray = np.array([[30 * x + 7 * y for x in range(7)] for y in range(5)], np.uint8)
    Image.fromarray(gray, "L").save(path("gray.png"))

    # 1-bit gray 9x2: white where (x + y) % 3 == 0
    bits = np.array([[255 if (x + y) % 3 == 0 else 0 for x in range(9)] for y in range(2)], np.uint8)
    Image.fromarray(bits, "L").convert("1").save(path("gray1.png"))

    # palette 4x4: index (x + y) % 4 into four colours, with a tRNS entry
    pal = Image.new("P", (4, 4))
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30] + [0] * (256 - 4) * 3)
    pal.putdata([(x + y) % 4 for y in range(4) for x in range(4)])
    pal.info["transparency"] = 2
    pal.save(path("palette.png"), transparency=2, bits=2)

    # RGBA 6x4: the rgb formula, alpha 50x
    rgba = np.concatenate([rgb, np.array([[[50 * x] for x in range(6)]] * 4, np.uint8)], axis=2)
    Image.fromarray(rgba, "RGBA").save(path("rgba.png"))

    # gray + alpha 7x5
    la = np.stack([gray, np.full_like(gray, 128)], axis=2)
    Image.fromarray(la, "LA").save(path("gray_alpha.png"))

    # 16-bit RGB 6x4: each sample v * 257 (so 8-bit scaling gives v back), then
    # the low byte disturbed by +-100 (a correct 16 -> 8 conversion still gives v)
    rgb16 = rgb.astype(np.int32) * 257
    rgb16 = np.clip(rgb16 + np.where(rgb16 > 0x7fff, -100, 100), 0, 65535).astype(">u2")
    write("rgb16.png", png(6, 4, 16, 2, rows_bytes(rgb16)))

    # 16-bit gray + alpha 7x5
    ga16 = np.stack([gray.astype(np.int32) * 257, np.full(gray.shape, 65535)], axis=2).astype(">u2")
    write("gray_alpha16.png", png(7, 5, 16, 4, rows_bytes(ga16)))

    # Adam7-interlaced RGB 11x9 (the rgb formula is not used: R = 20x, G = 25y, B = 7)
    il = np.zeros((9, 11, 3), np.uint8)
    for y in range(9):
        for x in range(11):
            il[y, x] = (20 * x, 25 * y, 7)
    write("interlaced.png", png(11, 9, 8, 2, adam7_bytes(il), interlace=1))

    # hostile headers: the IDAT holds one row, far too little
    write("huge.png", png(100000, 100000, 8, 2, b"\x00" + b"\x00" * 30))
    write("many_pixels.png", png(20000, 20000, 8, 0, b"\x00" * 40))
    write("zero_width.png", png(0, 16, 8, 2, b"\x00"))

    # JPEGs: 16x16 colour blocks (4x4 blocks of the rgb formula at block level)
    blocks = np.zeros((16, 16, 3), np.uint8)
    for y in range(16):
        for x in range(16):
            blocks[y, x] = (60 * (x // 4) + 20, 60 * (y // 4) + 20, 200 - 40 * ((x // 4 + y // 4) % 4))
    Image.fromarray(blocks, "RGB").save(path("small.jpg"), quality=95)
    # what libjpeg (through PIL) decodes it to: the test compares bit for bit
    write("small.rgb", np.asarray(Image.open(path("small.jpg")).convert("RGB")).tobytes())

    gblocks = blocks[:, :, 1].copy()
    Image.fromarray(gblocks, "L").save(path("gray.jpg"), quality=95)
    write("gray_jpg.raw", np.asarray(Image.open(path("gray.jpg"))).tobytes())

    # CMYK 8x8: flat C=0 M=128 Y=255 K=64 (PIL writes an Adobe marker)
    Image.new("CMYK", (8, 8), (0, 128, 255, 64)).save(path("cmyk.jpg"), quality=95)
    write("cmyk.rgb", np.asarray(Image.open(path("cmyk.jpg")).convert("RGB")).tobytes())

    # SOF dimensions patched: 40000 x 40000 (beyond the limit) and height 0
    data = bytearray(open(path("small.jpg"), "rb").read())
    sof = data.find(b"\xff\xc0")
    assert sof > 0
    big = bytearray(data)
    big[sof + 5:sof + 9] = struct.pack(">HH", 40000, 40000)
    write("huge.jpg", bytes(big))
    zero = bytearray(data)
    zero[sof + 5:sof + 7] = struct.pack(">H", 0)
    write("zero_height.jpg", bytes(zero))

    with open(path("notes.txt"), "w") as f:
        f.write("this is not an image\n")
    write("empty.png", b"")

    # a synthetic 480x360 "photo" with smooth and sharp detail
    photo = Image.new("RGB", (480, 360))
    px = np.zeros((360, 480, 3), np.float64)
    yy, xx = np.mgrid[0:360, 0:480]
    px[..., 0] = 128 + 100 * np.sin(xx / 37.0) * np.cos(yy / 23.0)
    px[..., 1] = 255 * xx / 479.0
    px[..., 2] = 255 * (((xx // 3) + (yy // 5)) % 2) * 0.6 + 40
    photo = Image.fromarray(np.clip(px, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(photo)
    d.ellipse((150, 90, 330, 270), outline=(255, 255, 0), width=5)
    d.rectangle((20, 20, 120, 80), fill=(10, 200, 30))
    d.line((0, 359, 479, 0), fill=(255, 255, 255), width=2)
    photo.save(path("photo.jpg"), quality=90)

    references()


def references():
    import torch
    import torchvision.transforms as T
    import torchvision.transforms.functional as F

    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    img = Image.open(path("photo.jpg")).convert("RGB")

    # (1) the usual pipeline on a PIL image: PIL's resize rounds to 8 bits
    # after each pass. Stored as the uint8 HWC crop; ToTensor + Normalize are
    # redone in the test as torchvision does them: (v / 255 - mean) / std.
    crop = T.Compose([T.Resize(256, antialias=True), T.CenterCrop(224)])(img)
    assert crop.size == (224, 224)
    write("photo_ref_pil224.u8", np.asarray(crop).tobytes())

    # (2) the same in float on a tensor (no 8-bit rounding between passes):
    # every second row and column of the [3, 224, 224] output.
    t = F.to_tensor(img)
    t = T.Compose([T.Resize(256, antialias=True), T.CenterCrop(224), T.Normalize(mean, std)])(t)
    assert tuple(t.shape) == (3, 224, 224)
    write("photo_ref_tensor224_s2.f32", t[:, ::2, ::2].contiguous().numpy().astype("<f4").tobytes())

    # (3) direct resize to a non-square 160 x 200, no normalisation (0..1), stride 2
    t = T.Resize((160, 200), antialias=True)(F.to_tensor(img))
    write("photo_ref_direct160x200_s2.f32", t[:, ::2, ::2].contiguous().numpy().astype("<f4").tobytes())

    # (4) enlarging: small.jpg 16x16 -> 40 x 56 (plain bilinear), full
    s = F.to_tensor(Image.open(path("small.jpg")).convert("RGB"))
    t = T.Resize((40, 56), antialias=True)(s)
    write("small_ref_up40x56.f32", t.contiguous().numpy().astype("<f4").tobytes())
    del torch


if __name__ == "__main__":
    main()

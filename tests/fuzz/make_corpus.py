#!/usr/bin/python3
"""Regenerates the seed corpora of tests/fuzz/corpus/{model,image,tensor}/.

Seeds: every distinct model.onnx of Debian's libonnx-testdata (all are
small) plus data/lenet5/model.onnx; the distinct .pb tensors under 2 KiB
(one per dtype/shape family is plenty; capped at 400) plus LeNet-5's
expected output; the project's digits and test images (not the 76 KB photo)
plus a few small JPEG/PNG variants made here with PIL (progressive and
4:2:0 JPEG, palette + tRNS, 2-bit palette, RGBA, 16-bit gray PNG).
Files are named by the first 16 hex digits of their SHA-1, as libFuzzer
names the inputs it keeps.
    /usr/bin/python3 tests/fuzz/make_corpus.py
"""
import glob
import hashlib
import io
import os
import shutil

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
TESTDATA = "/usr/share/libonnx-testdata/data"


def put(kind, data):
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(OUT, kind, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def images():
    """Small images in the encodings the decoder has separate paths for."""
    grad = Image.new("RGB", (19, 13))
    grad.putdata([((x * 13) % 256, (y * 19) % 256, (x * y) % 256) for y in range(13) for x in range(19)])
    out = []
    for kw in ({"progressive": True}, {"subsampling": 2}, {"subsampling": 0, "quality": 95}):
        b = io.BytesIO()
        grad.save(b, "JPEG", **kw)
        out.append(b.getvalue())
    b = io.BytesIO()
    grad.convert("L").save(b, "JPEG", progressive=True)
    out.append(b.getvalue())
    pal = grad.convert("P", palette=Image.ADAPTIVE, colors=7)
    b = io.BytesIO()
    pal.save(b, "PNG", transparency=3)
    out.append(b.getvalue())
    b = io.BytesIO()
    grad.convert("L").point(lambda v: v & 0xC0).convert("P").save(b, "PNG", bits=2)
    out.append(b.getvalue())
    b = io.BytesIO()
    grad.convert("RGBA").save(b, "PNG")
    out.append(b.getvalue())
    b = io.BytesIO()
    grad.convert("L").convert("I").point(lambda v: v * 257).convert("I;16").save(b, "PNG")
    out.append(b.getvalue())
    return out


def main():
    for kind in ("model", "image", "tensor"):
        shutil.rmtree(os.path.join(OUT, kind), ignore_errors=True)
        os.makedirs(os.path.join(OUT, kind))
    for path in sorted(glob.glob(TESTDATA + "/*/test_*/model.onnx")):
        put("model", read(path))
    put("model", read(os.path.join(ROOT, "data/lenet5/model.onnx")))
    seen = set()
    pbs = sorted(glob.glob(TESTDATA + "/*/test_*/test_data_set_*/*.pb"))
    for path in pbs:
        data = read(path)
        if len(data) < 2048 and len(seen) < 400 and data not in seen:
            seen.add(data)
            put("tensor", data)
    put("tensor", read(os.path.join(ROOT, "data/lenet5/test_data_set_0/output_0.pb")))
    for path in sorted(glob.glob(os.path.join(ROOT, "data/digits/*.png"))):
        put("image", read(path))
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/data/images/*"))):
        if path.endswith((".png", ".jpg")) and os.path.getsize(path) < 16384:
            put("image", read(path))
    for data in images():
        put("image", data)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Run PyTorch's own module of a make_models.py model on a saved input tensor.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/torch_classify.py NAME INPUT.pb... [--top K]
                                                                       [--ref OUTPUT.pb]

Rebuilds model NAME with the seeded weights that tools/make_models.py exports (the same
builder, make_models.seeded_model), runs it in eval mode on each TensorProto INPUT.pb (as
written by `onnxrun --save-input`, or a test_data_set_0/input_0.pb), and prints one line
per batch row, the inputs in the order given:
    top5 60 543 455 815 180
the indices of the K (default 5) largest logits, largest first (ties: lower index first).
The model is built once, so several inputs cost little more than one.

--ref OUTPUT.pb compares the logits of the (single) input with a reference output (a
folder's test_data_set_0/output_0.pb) and prints `max|diff| D (max|ref| R)`; the exit
status is 1 if D > 1e-6 * R, which shows the rebuilt weights are not the exported ones.
Exit status 2 on a bad command line or input.
"""
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_models  # noqa: E402  (the builders and weights live there)


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def top_k(row, k):
    order = np.argsort(-row.astype(np.float64), kind="stable")  # ties: lower index first
    return [int(i) for i in order[:k]]


def usage(msg):
    sys.stderr.write("torch_classify.py: %s\nusage: torch_classify.py NAME INPUT.pb... [--top K] "
                     "[--ref OUTPUT.pb]\n" % msg)
    return 2


def main(argv):
    args, top, ref_path = [], 5, None
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("--top", "--ref"):
            if i + 1 >= len(argv):
                return usage("%s needs a value" % a)
            if a == "--top":
                if not argv[i + 1].isdigit() or int(argv[i + 1]) < 1:
                    return usage("--top wants a positive count, not '%s'" % argv[i + 1])
                top = int(argv[i + 1])
            else:
                ref_path = argv[i + 1]
            i += 2
            continue
        if a.startswith("-"):
            return usage("unknown option '%s'" % a)
        args.append(a)
        i += 1
    if len(args) < 2:
        return usage("wants a model name and at least one input .pb")
    name, in_paths = args[0], args[1:]
    if ref_path is not None and len(in_paths) != 1:
        return usage("--ref wants exactly one input")
    if name not in make_models.MODELS:
        return usage("unknown model '%s' (tools/make_models.py --list shows them)" % name)
    want = tuple(make_models.MODELS[name]["shape"][1:])
    xs = []
    for path in in_paths:
        try:
            x = load_pb(path)
        except Exception as e:  # unreadable or not a TensorProto
            return usage("%s: %s" % (path, e))
        if x.dtype != np.float32 or x.ndim != 4 or tuple(x.shape[1:]) != want:
            return usage("%s: %s %s, but %s takes float32 (N,%s)" % (
                path, x.dtype, list(x.shape), name, ",".join(map(str, want))))
        xs.append(np.array(x, copy=True))  # writable, as torch.from_numpy wants

    model, _ = make_models.seeded_model(name)
    for x in xs:
        with torch.no_grad():
            logits = model(torch.from_numpy(x)).numpy()
        for row in logits.reshape(logits.shape[0], -1):
            print("top%d %s" % (top, " ".join(map(str, top_k(row, top)))), flush=True)
    if ref_path is None:
        return 0
    ref = load_pb(ref_path)
    if ref.shape != logits.shape:
        print("shape %s, reference %s" % (list(logits.shape), list(ref.shape)))
        return 1
    diff = float(np.abs(logits.astype(np.float64) - ref).max())
    ref_max = float(np.abs(ref).max())
    print("max|diff| %.3g (max|ref| %.4g)" % (diff, ref_max))
    return 0 if diff <= 1e-6 * ref_max else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

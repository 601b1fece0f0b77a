#!/usr/bin/python3
"""make_opset18_cases.py - ONNX test folders for what opsets 18 to 21 changed or
added, built with onnx.helper, with ONNX Runtime's outputs as the reference
(tests/data/opset18, run by ctest's opset18_cases through tests/conformance).

  /usr/bin/python3 tools/make_opset18_cases.py ORT_REF [OUT_DIR]

ORT_REF is ../shared/anchors/ort-ref (ONNX Runtime from npm), so this runs on
a developer's machine and its output is committed. ONNX Runtime computes in
float32 (its DFT, its Gelu): the ctest allows 1e-5 absolute beside 1e-3
relative. Debian's onnx 1.12 knows
opsets up to 17: the models are written without onnx.checker. Inputs are
seeded random.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
              np.dtype(np.int32): TensorProto.INT32, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int16): TensorProto.INT16, np.dtype(np.int8): TensorProto.INT8}


def case(out, ort_ref, name, opset, nodes, inputs, outputs, inits=()):
    """inputs: [(name, array)] fed at run time; outputs: [(name, elem type)];
    inits: [(name, array)] initializers."""
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    ins = [helper.make_tensor_value_info(n, NP_TO_ONNX[v.dtype], v.shape) for n, v in inputs]
    outs = [helper.make_tensor_value_info(n, t, None) for n, t in outputs]
    g = helper.make_graph(nodes, name, ins, outs, [numpy_helper.from_array(v, n) for n, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_opset18_cases")
    m.ir_version = 9
    onnx.save(m, os.path.join(d, "model.onnx"))
    for k, (n, v) in enumerate(inputs):
        t = numpy_helper.from_array(v, n)
        open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb").write(t.SerializeToString())
    subprocess.run([ort_ref, d], check=True, stdout=subprocess.DEVNULL)
    return name


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: make_opset18_cases.py ORT_REF [OUT_DIR]\n")
        return 2
    ort_ref = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "data", "opset18")
    rng = np.random.default_rng(18)
    F, I64 = TensorProto.FLOAT, TensorProto.INT64
    x = rng.standard_normal((2, 4, 6, 5)).astype(np.float32)
    names = []

    def c(*a, **kw):
        names.append(case(out, ort_ref, *a, **kw))

    # Reduce* with axes as an input (18), noop_with_empty_axes
    c("test_o18_reducemean_axes_input", 18, [helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=0)],
      [("x", x)], [("y", F)], [("axes", np.array([1, -1], np.int64))])
    c("test_o18_reducemax_empty_axes_noop", 18,
      [helper.make_node("ReduceMax", ["x", "axes"], ["y"], noop_with_empty_axes=1)],
      [("x", x)], [("y", F)], [("axes", np.array([], np.int64))])
    c("test_o18_reducel2_axes_runtime", 18, [helper.make_node("ReduceL2", ["x", "axes"], ["y"])],
      [("x", x), ("axes", np.array([0, 2], np.int64))], [("y", F)])
    # Pad with axes (18), wrap (19)
    c("test_o18_pad_axes", 18, [helper.make_node("Pad", ["x", "pads", "v", "axes"], ["y"])],
      [("x", x)], [("y", F)], [("pads", np.array([1, 2, 0, 3], np.int64)), ("v", np.array(1.5, np.float32)),
                               ("axes", np.array([1, -1], np.int64))])
    c("test_o19_pad_wrap", 19, [helper.make_node("Pad", ["x", "pads"], ["y"], mode="wrap")],
      [("x", x)], [("y", F)], [("pads", np.array([0, 0, 2, 4, 0, 0, 3, 1], np.int64))])
    c("test_o19_pad_reflect_axes", 19, [helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="reflect")],
      [("x", x)], [("y", F)], [("pads", np.array([2, 1, 1, 3], np.int64)), ("axes", np.array([2, 3], np.int64))])
    # Split into num_outputs (18), uneven
    c("test_o18_split_num_outputs", 18, [helper.make_node("Split", ["x"], ["a", "b", "c"], axis=2, num_outputs=3)],
      [("x", rng.standard_normal((2, 3, 8)).astype(np.float32))], [("a", F), ("b", F), ("c", F)])
    # Resize 18 / 19
    c("test_o19_resize_half_pixel_symmetric", 19,
      [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                        coordinate_transformation_mode="half_pixel_symmetric")],
      [("x", x)], [("y", F)], [("scales", np.array([1, 1, 1.7, 0.6], np.float32))])
    c("test_o18_resize_sizes_axes_not_larger", 18,
      [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="cubic", axes=[2, 3],
                        keep_aspect_ratio_policy="not_larger")],
      [("x", x)], [("y", F)], [("sizes", np.array([9, 13], np.int64))])
    c("test_o18_resize_antialias_linear", 18,
      [helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear", antialias=1)],
      [("x", x)], [("y", F)], [("scales", np.array([1, 1, 0.5, 0.6], np.float32))])
    # ScatterElements / ScatterND reductions max, min (18)
    data = rng.standard_normal((4, 5)).astype(np.float32)
    c("test_o18_scatter_elements_max", 18,
      [helper.make_node("ScatterElements", ["d", "i", "u"], ["y"], axis=1, reduction="max")],
      [("d", data), ("u", rng.standard_normal((4, 3)).astype(np.float32))], [("y", F)],
      [("i", np.array([[0, 1, 1], [4, 4, 2], [3, 0, 3], [1, 2, 1]], np.int64))])
    c("test_o18_scatternd_min", 18, [helper.make_node("ScatterND", ["d", "i", "u"], ["y"], reduction="min")],
      [("d", data), ("u", rng.standard_normal((3, 5)).astype(np.float32))], [("y", F)],
      [("i", np.array([[2], [0], [2]], np.int64))])
    # pooling: AveragePool dilations (19), LpPool ceil_mode (18)
    c("test_o19_averagepool_dilations", 19,
      [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 1], pads=[1, 0, 1, 1],
                        count_include_pad=0)], [("x", x)], [("y", F)])
    c("test_o18_lppool_ceil", 18,
      [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 2], ceil_mode=1, p=3)],
      [("x", x)], [("y", F)])
    # DFT with axis as an input (20)
    c("test_o20_dft_axis_input", 20, [helper.make_node("DFT", ["s", "", "axis"], ["y"], onesided=1)],
      [("s", rng.standard_normal((2, 7, 3, 1)).astype(np.float32))], [("y", F)], [("axis", np.array(1, np.int64))])
    # new activations: Gelu (20), Mish (18)
    c("test_o20_gelu", 20, [helper.make_node("Gelu", ["x"], ["y"])], [("x", x * 3)], [("y", F)])
    c("test_o20_gelu_tanh", 20, [helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")], [("x", x * 3)],
      [("y", F)])
    c("test_o18_mish", 18, [helper.make_node("Mish", ["x"], ["y"])], [("x", x * 4)], [("y", F)])
    # GroupNormalization: scale per channel (21)
    c("test_o21_groupnorm", 21, [helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2,
                                                  epsilon=1e-3)],
      [("x", x)], [("y", F)], [("s", rng.standard_normal(4).astype(np.float32)),
                               ("b", rng.standard_normal(4).astype(np.float32))])
    # Bitwise (18)
    a = rng.integers(-1000, 1000, (3, 4)).astype(np.int32)
    b = rng.integers(-1000, 1000, (4,)).astype(np.int32)
    c("test_o18_bitwise", 18, [helper.make_node("BitwiseAnd", ["a", "b"], ["and"]),
                              helper.make_node("BitwiseOr", ["a", "b"], ["or"]),
                              helper.make_node("BitwiseXor", ["a", "b"], ["xor"]),
                              helper.make_node("BitwiseNot", ["a"], ["not"])],
      [("a", a), ("b", b)], [("and", TensorProto.INT32), ("or", TensorProto.INT32), ("xor", TensorProto.INT32),
                             ("not", TensorProto.INT32)])
    # QuantizeLinear / DequantizeLinear 21: int16, per axis
    c("test_o21_quantize_int16_axis", 21,
      [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], axis=1),
       helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], axis=1)],
      [("x", x * 100)], [("y", F)],
      [("s", np.array([0.01, 0.02, 0.05, 0.1], np.float32)), ("z", np.array([0, 10, -20, 5], np.int16))])
    # GridSample 20's mode names
    grid = rng.uniform(-1.2, 1.2, (2, 3, 4, 2)).astype(np.float32)
    for mode in ("linear", "cubic"):
        c("test_o20_gridsample_" + mode, 20,
          [helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode="border", align_corners=0)],
          [("x", x), ("g", grid)], [("y", F)])
    # a small network at opset 21: Conv, Relu, ReduceMean with axes input, Reshape, Softmax
    w = (rng.standard_normal((3, 4, 3, 3)) * 0.3).astype(np.float32)
    c("test_o21_small_net", 21,
      [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
       helper.make_node("Relu", ["c"], ["r"]),
       helper.make_node("ReduceMean", ["r", "axes"], ["m"], keepdims=0),
       helper.make_node("Reshape", ["m", "shape"], ["f"]),
       helper.make_node("Softmax", ["f"], ["y"], axis=-1)],
      [("x", x)], [("y", F)],
      [("w", w), ("axes", np.array([2, 3], np.int64)), ("shape", np.array([2, -1], np.int64))])
    with open(os.path.join(out, "EXPECTED"), "w") as f:
        f.write("# written by tools/make_opset18_cases.py: every case must pass\n")
        f.writelines(n + "\n" for n in sorted(names))
    print("wrote %d cases to %s" % (len(names), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""make_qdq.py - an int8 QDQ model of the shipped LeNet-5, in the layout ONNX
Runtime's static quantizer writes, with ONNX Runtime's outputs as the reference
(tests/data/qdq/lenet5_int8, checked by ctest's qdq_lenet5).

  /usr/bin/python3 tools/make_qdq.py ORT_REF [OUT_DIR]

ORT_REF is ../shared/anchors/ort-ref (ONNX Runtime from npm): it calibrates
and gives the reference, so this script runs on a developer's machine and its
output is committed; CI only checks it.

The quantized graph: every Conv and Gemm reads its input through
QuantizeLinear -> DequantizeLinear (uint8, asymmetric, the range seen on the
calibration images, widened to hold 0), its weight through DequantizeLinear of
int8 values (symmetric, per output channel, axis 0) and its bias through
DequantizeLinear of int32 values (scale input scale x weight scale, zero 0);
every Conv and Gemm output passes through its own QuantizeLinear ->
DequantizeLinear too, so ONNX Runtime can fuse each into QLinearConv /
QLinearMatMul and compute in integers. The logits are the last such output,
so both engines' outputs lie on that grid: the check allows one step of it.
Calibration: the 360 held-out digits of data/lenet5/digits' set; the
reference set: the first 100 of them.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def ort_outputs(ort_ref, model, x):
    """ONNX Runtime's outputs of model on input x, by name."""
    d = tempfile.mkdtemp()
    try:
        onnx.save(model, os.path.join(d, "model.onnx"))
        os.makedirs(os.path.join(d, "test_data_set_0"))
        t = numpy_helper.from_array(x, model.graph.input[0].name)
        open(os.path.join(d, "test_data_set_0", "input_0.pb"), "wb").write(t.SerializeToString())
        subprocess.run([ort_ref, d], check=True, stdout=subprocess.DEVNULL)
        out = {}
        for k, o in enumerate(model.graph.output):
            t = onnx.load_tensor(os.path.join(d, "test_data_set_0", "output_%d.pb" % k))
            out[o.name] = numpy_helper.to_array(t)
        return out
    finally:
        shutil.rmtree(d)


def act_qparams(lo, hi):
    """uint8 asymmetric scale and zero point for [lo, hi] widened to hold 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero = int(np.clip(round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zero)


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: make_qdq.py ORT_REF [OUT_DIR]\n")
        return 2
    ort_ref = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "tests", "data", "qdq", "lenet5_int8")
    fm = onnx.load(os.path.join(ROOT, "data", "lenet5", "model.onnx"))
    x = numpy_helper.to_array(onnx.load_tensor(os.path.join(ROOT, "data", "lenet5", "test_data_set_0", "input_0.pb")))
    x = np.ascontiguousarray(x, dtype=np.float32)

    # calibration: every Conv / Gemm input and output as a graph output
    quantized = [n for n in fm.graph.node if n.op_type in ("Conv", "Gemm")]
    seen = []
    for n in quantized:
        for v in (n.input[0], n.output[0]):
            if v not in seen:
                seen.append(v)
    cal = onnx.ModelProto()
    cal.CopyFrom(fm)
    del cal.graph.output[:]
    cal.graph.output.extend([helper.make_tensor_value_info(v, TensorProto.FLOAT, None) for v in seen])
    ranges = {k: (v.min(), v.max()) for k, v in ort_outputs(ort_ref, cal, x).items()}

    inits = {t.name: numpy_helper.to_array(t) for t in fm.graph.initializer}
    new_inits, nodes = [], []
    qdq_of = {}  # float tensor -> its dequantized copy

    def qdq(v):
        if v in qdq_of:
            return qdq_of[v]
        s, z = act_qparams(*ranges[v])
        new_inits.extend([numpy_helper.from_array(np.array(s), v + "_scale"),
                          numpy_helper.from_array(np.array(z), v + "_zero")])
        nodes.append(helper.make_node("QuantizeLinear", [v, v + "_scale", v + "_zero"], [v + "_q"]))
        nodes.append(helper.make_node("DequantizeLinear", [v + "_q", v + "_scale", v + "_zero"], [v + "_dq"]))
        qdq_of[v] = v + "_dq"
        return qdq_of[v]

    used = set()
    for n in fm.graph.node:
        if n not in quantized:
            ins = [qdq_of.get(i, i) for i in n.input]
            nodes.append(helper.make_node(n.op_type, ins, list(n.output), name=n.name))
            nodes[-1].attribute.extend(n.attribute)
            continue
        a = qdq(n.input[0])
        w = inits[n.input[1]]
        wmax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        ws = np.where(wmax > 0, wmax / 127.0, 1.0).astype(np.float32)
        wq = np.clip(np.round(w / ws.reshape((-1,) + (1,) * (w.ndim - 1))), -127, 127).astype(np.int8)
        wn = n.input[1]
        new_inits.extend([numpy_helper.from_array(wq, wn + "_q"), numpy_helper.from_array(ws, wn + "_scale"),
                          numpy_helper.from_array(np.zeros(w.shape[0], np.int8), wn + "_zero")])
        nodes.append(helper.make_node("DequantizeLinear", [wn + "_q", wn + "_scale", wn + "_zero"], [wn + "_dq"],
                                      axis=0))
        s_a = act_qparams(*ranges[n.input[0]])[0]
        b = inits[n.input[2]]
        bs = (s_a * ws).astype(np.float32)
        bq = np.round(b / bs).astype(np.int32)
        bn = n.input[2]
        new_inits.extend([numpy_helper.from_array(bq, bn + "_q"), numpy_helper.from_array(bs, bn + "_scale"),
                          numpy_helper.from_array(np.zeros(b.shape[0], np.int32), bn + "_zero")])
        nodes.append(helper.make_node("DequantizeLinear", [bn + "_q", bn + "_scale", bn + "_zero"], [bn + "_dq"],
                                      axis=0))
        used.update(n.input[1:3])
        y = n.output[0]
        raw = y + "_float"
        nodes.append(helper.make_node(n.op_type, [a, wn + "_dq", bn + "_dq"], [raw], name=n.name))
        nodes[-1].attribute.extend(n.attribute)
        # the output's own Q/DQ, named as the float output so later nodes read it
        s, z = act_qparams(*ranges[y])
        new_inits.extend([numpy_helper.from_array(np.array(s), y + "_scale"),
                          numpy_helper.from_array(np.array(z), y + "_zero")])
        nodes.append(helper.make_node("QuantizeLinear", [raw, y + "_scale", y + "_zero"], [y + "_q"]))
        nodes.append(helper.make_node("DequantizeLinear", [y + "_q", y + "_scale", y + "_zero"], [y]))
    keep = [t for t in fm.graph.initializer if t.name not in used]
    g = helper.make_graph(nodes, "lenet5_int8_qdq", list(fm.graph.input), list(fm.graph.output), keep + new_inits)
    qm = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_qdq")
    qm.ir_version = 8
    qm.metadata_props.extend(fm.metadata_props)
    onnx.checker.check_model(qm)

    ref_x = x[:100]
    ref = ort_outputs(ort_ref, qm, ref_x)[fm.graph.output[0].name]
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(os.path.join(out_dir, "test_data_set_0"))
    onnx.save(qm, os.path.join(out_dir, "model.onnx"))
    for name, arr, f in ((fm.graph.input[0].name, ref_x, "input_0.pb"), (fm.graph.output[0].name, ref, "output_0.pb")):
        t = numpy_helper.from_array(np.ascontiguousarray(arr), name)
        open(os.path.join(out_dir, "test_data_set_0", f), "wb").write(t.SerializeToString())
    step = float(act_qparams(*ranges[fm.graph.output[0].name])[0])
    with open(os.path.join(out_dir, "check_args"), "w") as f:
        f.write("--atol %.9g --rtol 0 --max-rel 0\n" % (step * 1.0001))
    labels = numpy_helper.to_array(onnx.load_tensor(os.path.join(ROOT, "data", "lenet5", "digits", "test_labels.pb")))
    acc = float((ref.argmax(1) == labels[:100]).mean())
    print("wrote %s: output step %.6g, ONNX Runtime's int8 accuracy on the 100 reference digits %.2f" %
          (out_dir, step, acc))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Write the limits part of the malformed-model corpus: models that load
(or nearly) but break an op's rules or a size limit, so that the error must
come from session creation (attribute checks, shape inference, constant
folding) or from the loader's own limits, never from a crash or a huge
allocation.

    /usr/bin/python3 tools/make_malformed_session.py [--append] [OUT_DIR]   (default: tests/malformed)

Writes OUT_DIR/<case>.onnx for each case and their lines, in the format of
tools/make_malformed.py's EXPECTED,

    FILENAME STATUS_NAME message-substring [@session]

into OUT_DIR/EXPECTED.limits (checked by tests/test_limits.c, load + session
create as tests/test_malformed.c does, and by the CLI in tools/ci_hostile.sh).
With --append the lines go to the end of OUT_DIR/EXPECTED instead (lines for
this script's files are first removed wherever they are; tools/make_malformed.py
owns the rest of that file and rewrites it, so run this script again after
it). Not the default yet: tests/test_loader.c counts exactly two @session
lines in EXPECTED.

OUT_DIR/pending/ holds the cases of known, not yet fixed defects (none at
the moment) with pending/EXPECTED giving
the error each must produce once fixed; tools/ci_hostile.sh reports them
without failing. OUT_DIR/runtime/ holds models whose error only shows when
they run on bad input data (an index out of range); tests/test_limits.c
feeds them.

Everything is deterministic; the outputs are committed. Relies on Debian's
python3-onnx; deeply nested messages are written byte by byte because the
Python protobuf runtime refuses to build them.
"""
import os
import sys

from onnx import TensorProto, helper

IR = 8
OPSET = 13
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, dims, elem=F):
    return helper.make_tensor_value_info(name, elem, dims)


def const(name, values, dims=None, elem=F):
    dims = list(dims) if dims is not None else [len(values)]
    return helper.make_tensor(name, elem, dims, values)


def model(nodes, inputs, outputs, inits=(), opset=OPSET):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="make_malformed_session",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = IR
    return m.SerializeToString()


def conv(x_dims, w_dims, out_dims=None, **attrs):
    """x -> Conv(W) -> y with W an initializer of ones."""
    n = 1
    for d in w_dims:
        n *= d
    node = helper.make_node("Conv", ["x", "W"], ["y"], name="conv0", **attrs)
    return model([node], [vi("x", x_dims)], [vi("y", out_dims)],
                 [const("W", [1.0] * n, w_dims)])


def pool(op, x_dims, **attrs):
    node = helper.make_node(op, ["x"], ["y"], name="pool0", **attrs)
    return model([node], [vi("x", x_dims)], [vi("y", None)])


# ---- protobuf wire format, for messages too deep for the Python runtime ----

def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, payload):
    """A length-delimited field (wire type 2)."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def nested_type_model(depth):
    """Graph input x whose TypeProto is sequence(sequence(...(tensor float)))
    `depth` levels deep (TypeProto.sequence_type = 4, Sequence.elem_type = 1)."""
    t = field(1, varint(1 << 3) + varint(F))          # TypeProto.tensor_type {elem_type: FLOAT}
    for _ in range(depth):
        t = field(4, field(1, t))
    x = field(1, b"x") + field(2, t)                  # ValueInfoProto {name, type}
    y = field(1, b"y")
    node = field(1, b"x") + field(2, b"y") + field(4, b"Identity")
    graph = field(1, node) + field(2, b"g") + field(11, x) + field(12, y)
    opset = field(1, b"") + varint(2 << 3) + varint(OPSET)
    return varint(1 << 3) + varint(IR) + field(7, graph) + field(8, opset)


def nested_graph_model(depth):
    """If nodes nested `depth` deep through then_branch (NodeProto.attribute
    = 5, AttributeProto.g = 6, GraphProto.node = 1)."""
    inner = field(1, field(1, b"c") + field(2, b"o") + field(4, b"Identity"))
    for _ in range(depth):
        attr = field(1, b"then_branch") + field(6, inner) + varint(20 << 3) + varint(5)
        inner = field(1, field(1, b"c") + field(2, b"o") + field(4, b"If") + field(5, attr))
    graph = inner + field(2, b"g") + field(11, field(1, b"c")) + field(12, field(1, b"o"))
    opset = field(1, b"") + varint(2 << 3) + varint(OPSET)
    return varint(1 << 3) + varint(IR) + field(7, graph) + field(8, opset)


def cases():
    c = []

    def add(name, data, status, msg, session=True):
        c.append((name, data, status, msg, session))

    # Conv attributes out of range
    add("conv_negative_stride.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], strides=[-1, 1]),
        "ONNXRUN_E_INVALID", "attribute 'strides'[0] = -1 is out of range")
    add("conv_zero_stride.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], strides=[0, 1]),
        "ONNXRUN_E_INVALID", "attribute 'strides'[0] = 0 is out of range")
    add("conv_kernel_too_large.onnx", conv([1, 1, 3, 3], [1, 1, 5, 5]),
        "ONNXRUN_E_SHAPE", "kernel extent 5 (size 5, dilation 1) is larger than the padded input 3")
    add("conv_group_mismatch.onnx", conv([1, 3, 5, 5], [2, 1, 3, 3], group=2),
        "ONNXRUN_E_SHAPE", "input channels 3 are not divisible by group 2")
    add("conv_zero_group.onnx", conv([1, 2, 5, 5], [2, 1, 3, 3], group=0),
        "ONNXRUN_E_INVALID", "attribute 'group' = 0 must be at least 1")
    add("conv_zero_dilation.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], dilations=[0, 1]),
        "ONNXRUN_E_INVALID", "attribute 'dilations'[0] = 0 is out of range")
    add("conv_pads_length.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], pads=[1, 1]),
        "ONNXRUN_E_SHAPE", "attribute 'pads' has 2 values for 2 spatial axes (expected 4)")
    add("conv_negative_pads.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], pads=[-1, 0, 0, 0]),
        "ONNXRUN_E_INVALID", "attribute 'pads'[0] = -1 is out of range")
    add("conv_huge_pads.onnx", conv([1, 1, 5, 5], [1, 1, 3, 3], pads=[1 << 62, 0, 1 << 62, 0]),
        "ONNXRUN_E_INVALID", "attribute 'pads'[0] = 4611686018427387904 is out of range")
    add("conv_kernel_shape_mismatch.onnx",
        conv([1, 1, 5, 5], [1, 1, 3, 3], kernel_shape=[2, 2]), "ONNXRUN_E_SHAPE", "attribute 'kernel_shape'[0] = 2 disagrees with the weight's 3")
    add("conv_weight_channels.onnx", conv([1, 3, 5, 5], [1, 2, 3, 3]),
        "ONNXRUN_E_SHAPE", "weight W has 2 channels per group; X has 3 channels in 1 groups")
    # pooling
    add("pool_kernel_too_large.onnx", pool("MaxPool", [1, 1, 3, 3], kernel_shape=[5, 5]),
        "ONNXRUN_E_SHAPE", "(#0, MaxPool): kernel extent 5 (size 5, dilation 1) is larger than the padded input 3")
    add("pool_zero_kernel.onnx", pool("AveragePool", [1, 1, 3, 3], kernel_shape=[0, 2]),
        "ONNXRUN_E_INVALID", "attribute 'kernel_shape'[0] = 0 is out of range")
    add("pool_no_kernel.onnx", pool("MaxPool", [1, 1, 3, 3]), "ONNXRUN_E_INVALID", "attribute 'kernel_shape' is required")
    add("pool_negative_stride.onnx", pool("MaxPool", [1, 1, 6, 6], kernel_shape=[2, 2], strides=[2, -2]),
        "ONNXRUN_E_INVALID", "attribute 'strides'[1] = -2 is out of range")
    # shapes
    add("reshape_mismatch.onnx",
        model([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape0")],
              [vi("x", [2, 3])], [vi("y", None)], [const("s", [4], elem=I64)]),
        "ONNXRUN_E_SHAPE", "input [2,3] has 6 elements but the shape has 4")
    add("reshape_two_minus_one.onnx",
        model([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape0")],
              [vi("x", [2, 3])], [vi("y", None)], [const("s", [-1, -1], elem=I64)]),
        "ONNXRUN_E_INVALID", "shape has more than one -1")
    add("gather_out_of_range.onnx",
        model([helper.make_node("Gather", ["d", "i"], ["g"], name="gather0"),
               helper.make_node("Add", ["x", "g"], ["y"], name="add0")],
              [vi("x", [1])], [vi("y", None)],
              [const("d", [1.0, 2.0, 3.0]), const("i", [5], elem=I64)]),
        "ONNXRUN_E_RUNTIME", "index 5 is out of range for an axis of size 3")
    add("concat_axis_out_of_range.onnx",
        model([helper.make_node("Concat", ["x", "x"], ["y"], name="concat0", axis=2)],
              [vi("x", [2, 3])], [vi("y", None)]),
        "ONNXRUN_E_INVALID", "axis 2 is out of range for rank 2")
    # sizes: refused before anything is allocated
    add("huge_input_dim.onnx",
        model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
              [vi("x", [1, 1 << 40])], [vi("y", None)]),
        "ONNXRUN_E_LIMIT", "(#0, Relu): output shape is negative or too large")
    add("huge_input_dims_product.onnx",
        model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
              [vi("x", [1 << 20, 1 << 20, 1 << 20])], [vi("y", None)]),
        "ONNXRUN_E_LIMIT", "(#0, Relu): output shape is negative or too large")
    add("expand_huge.onnx",
        model([helper.make_node("Expand", ["x", "s"], ["y"], name="expand0")],
              [vi("x", [1])], [vi("y", None)], [const("s", [1 << 20, 1 << 20], elem=I64)]),
        "ONNXRUN_E_LIMIT", "(#0, Expand): output shape is negative or too large")
    add("range_huge.onnx",
        model([helper.make_node("Range", ["a", "b", "d"], ["r"], name="range0"),
               helper.make_node("Add", ["x", "r"], ["y"], name="add0")],
              [vi("x", [1])], [vi("y", None)],
              [const("a", [0.0], []), const("b", [1e18], []), const("d", [1.0], [])]),
        "ONNXRUN_E_LIMIT", "(#0, Range): range has too many elements")
    add("tile_huge.onnx",
        model([helper.make_node("Tile", ["x", "r"], ["y"], name="tile0")],
              [vi("x", [2, 2])], [vi("y", None)], [const("r", [1 << 30, 1 << 30], elem=I64)]),
        "ONNXRUN_E_LIMIT", "(#0, Tile): output shape is negative or too large")
    add("pad_huge.onnx",
        model([helper.make_node("Pad", ["x", "p"], ["y"], name="pad0")],
              [vi("x", [2, 2])], [vi("y", None)], [const("p", [0, 0, 1 << 40, 1 << 40], elem=I64)]),
        "ONNXRUN_E_LIMIT", "(#0, Pad): output shape is negative or too large")
    # nesting: protobuf-c recurses without a bound, the loader's wire pass
    # must refuse these before it (at these depths protobuf-c overflowed an
    # 8 MiB stack)
    add("nested_type.onnx", nested_type_model(20000), "ONNXRUN_E_PARSE",
        "messages nested more than 64 deep (a TypeProto", session=False)
    add("nested_graph.onnx", nested_graph_model(6000), "ONNXRUN_E_PARSE",
        "messages nested more than 64 deep (a NodeProto", session=False)
    # plans above the session memory limit (default 8 GiB): refused before
    # allocating (these were allocation attempts of 256 GiB, 1 TiB, 16 GiB)
    add("large_input_arena.onnx",
        model([helper.make_node("Relu", ["x"], ["y"], name="relu0")],
              [vi("x", [1 << 18, 1 << 18])], [vi("y", None)]),
        "ONNXRUN_E_LIMIT", "memory limit: the plan needs 274877906944 bytes")
    add("constant_of_shape_huge.onnx",
        model([helper.make_node("ConstantOfShape", ["s"], ["c"], name="cos0"),
               helper.make_node("Add", ["x", "c"], ["y"], name="add0")],
              [vi("x", [1])], [vi("y", None)], [const("s", [1 << 19, 1 << 19], elem=I64)]),
        "ONNXRUN_E_LIMIT", "(#0, ConstantOfShape): memory limit: folding this constant takes the plan to")
    # 3 input values, pads of 2^31 - 1 (the largest window.c accepts)
    add("pool_huge_pads.onnx",
        pool("MaxPool", [1, 1, 3], kernel_shape=[1], strides=[1], pads=[(1 << 31) - 1, (1 << 31) - 1]),
        "ONNXRUN_E_LIMIT", "memory limit: the plan needs 17179869248 bytes")

    # the ops of issue 12: bad attributes and inputs name node and op
    def one(op, ins, inputs, inits=(), opset=OPSET, outs=("y",), **attrs):
        node = helper.make_node(op, list(ins), list(outs), name="n0", **attrs)
        return model([node], inputs, [vi(o, None) for o in outs], inits, opset)

    add("rnn_weight_shape.onnx",
        one("RNN", ["x", "W", "R"], [vi("x", [3, 1, 2])], [const("W", [0.0] * 6, [1, 3, 2]),
                                                        const("R", [0.0] * 4, [1, 2, 2])], hidden_size=2),
        "ONNXRUN_E_SHAPE", "(#0, RNN): input W must be 1 x 2 x 2")
    add("lstm_direction.onnx",
        one("LSTM", ["x", "W", "R"], [vi("x", [3, 1, 2])], [const("W", [0.0] * 16, [1, 8, 2]),
                                                         const("R", [0.0] * 16, [1, 8, 2])],
            hidden_size=2, direction="sideways"),
        "ONNXRUN_E_INVALID", "(#0, LSTM): attribute 'direction' = 'sideways'")
    add("gru_huge_hidden.onnx",
        one("GRU", ["x", "W", "R"], [vi("x", [3, 1, 2])], [const("W", [0.0] * 6, [1, 3, 2]),
                                                        const("R", [0.0] * 3, [1, 3, 1])], hidden_size=1 << 40),
        "ONNXRUN_E_INVALID", "(#0, GRU): attribute 'hidden_size' = 1099511627776 must be in [1, 2^20]")
    add("quantize_zero_point_type.onnx",
        one("QuantizeLinear", ["x", "s", "z"], [vi("x", [4])],
            [const("s", [0.5], []), const("z", [0], [], TensorProto.INT32)]),
        "ONNXRUN_E_UNSUPPORTED", "(#0, QuantizeLinear): the zero point has type int32")
    add("qlinear_matmul_inner.onnx",
        one("QLinearMatMul", ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
            [vi("a", [2, 3], TensorProto.UINT8), vi("b", [4, 2], TensorProto.UINT8)],
            [const("as", [1.0], []), const("bs", [1.0], []), const("ys", [1.0], []),
             const("az", [0], [], TensorProto.UINT8), const("bz", [0], [], TensorProto.UINT8),
             const("yz", [0], [], TensorProto.UINT8)], opset=10),
        "ONNXRUN_E_SHAPE", "(#0, QLinearMatMul): inner dimensions differ")
    add("einsum_unknown_label.onnx",
        one("Einsum", ["a", "b"], [vi("a", [2, 3]), vi("b", [3, 4])], equation="ij,jk->il", opset=12),
        "ONNXRUN_E_INVALID", "(#0, Einsum): output label 'l'")
    add("einsum_huge.onnx",
        one("Einsum", ["a", "b", "c"], [vi("a", [4096]), vi("b", [4096]), vi("c", [8192])],
            equation="i,j,k->ijk", opset=12),
        "ONNXRUN_E_INVALID", "needs more than 2^36 multiply-adds")
    add("nms_boxes_shape.onnx",
        one("NonMaxSuppression", ["b", "s"], [vi("b", [1, 2, 3]), vi("s", [1, 1, 2])], opset=11),
        "ONNXRUN_E_SHAPE", "(#0, NonMaxSuppression): boxes must be [batches, boxes, 4]")
    add("compress_long_condition.onnx",
        one("Compress", ["x", "c"], [vi("x", [2, 3])], [const("c", [1] * 4, [4], TensorProto.BOOL)], axis=1,
            opset=11),
        "ONNXRUN_E_SHAPE", "(#0, Compress): condition has 4 entries, more than the 3")
    add("unique_axis.onnx", one("Unique", ["x"], [vi("x", [2, 3])], axis=5, opset=11),
        "ONNXRUN_E_INVALID", "(#0, Unique): axis 5 is out of range")
    add("dft_batch_axis.onnx", one("DFT", ["x"], [vi("x", [2, 8, 1])], axis=0, opset=17),
        "ONNXRUN_E_INVALID", "(#0, DFT): axis 0 is not a signal axis")
    add("stft_frame_too_long.onnx",
        one("STFT", ["x", "step", "", "len"], [vi("x", [1, 8, 1])],
            [const("step", [2], [], I64), const("len", [16], [], I64)], opset=17),
        "ONNXRUN_E_INVALID", "(#0, STFT): frame length 16 exceeds the signal's 8")
    add("window_negative_size.onnx",
        one("HannWindow", ["n"], [], [const("n", [-3], [], I64)], opset=17),
        "ONNXRUN_E_INVALID", "(#0, HannWindow): size -3 is outside")
    add("groupnorm_groups.onnx",
        one("GroupNormalization", ["x", "s", "b"], [vi("x", [1, 4, 5])],
            [const("s", [1.0] * 4, [4]), const("b", [0.0] * 4, [4])], num_groups=3, opset=21),
        "ONNXRUN_E_INVALID", "(#0, GroupNormalization): num_groups 3 does not divide C = 4")
    add("roialign_mode.onnx",
        one("RoiAlign", ["x", "r", "i"], [vi("x", [1, 1, 4, 4])],
            [const("r", [0.0, 0.0, 2.0, 2.0], [1, 4]), const("i", [0], [1], I64)], mode="median", opset=16),
        "ONNXRUN_E_INVALID", "(#0, RoiAlign): attribute 'mode' = 'median'")
    # a 300-byte file asking for 2^42 multiply-adds: refused before anything runs
    add("conv_absurd_compute.onnx",
        model([helper.make_node("ConstantOfShape", ["ws"], ["W"], name="w0",
                                value=helper.make_tensor("v", F, [1], [0.01])),
               helper.make_node("Conv", ["x", "W"], ["y"], name="conv0", pads=[32, 32, 31, 31])],
              [vi("x", [1, 64, 512, 512])], [vi("y", None)], [const("ws", [64, 64, 64, 64], elem=I64)]),
        "ONNXRUN_E_LIMIT", "(#1, Conv): compute limit: the plan needs more than 1099511627776 multiply-adds")
    add("adam_state_shape.onnx", adam_model(),
        "ONNXRUN_E_SHAPE", "(#0, Adam): input 3 must have the type and shape of X 0")
    return c


def adam_model():
    """Adam (ai.onnx.preview.training) whose gradient has another shape than X."""
    node = helper.make_node("Adam", ["r", "t", "x", "g", "v", "h"], ["x2", "v2", "h2"], name="n0",
                            domain="ai.onnx.preview.training")
    g = helper.make_graph([node], "g", [vi("x", [3]), vi("g", [2]), vi("v", [3]), vi("h", [3])],
                          [vi("x2", None), vi("v2", None), vi("h2", None)],
                          initializer=[const("r", [0.1], []), const("t", [1], [], I64)])
    m = helper.make_model(g, producer_name="make_malformed_session",
                          opset_imports=[helper.make_opsetid("", OPSET),
                                         helper.make_opsetid("ai.onnx.preview.training", 1)])
    m.ir_version = IR
    return m.SerializeToString()


def pending_cases():
    """Known defects (see pending/EXPECTED): (name, bytes, status, message,
    session) for files that do not yet give the error they should. None
    at the moment."""
    return []


def runtime_cases():
    """Models whose error shows only when they run on bad input data
    (tests/test_limits.c feeds them)."""
    return [("gather_index_input.onnx",
             model([helper.make_node("Gather", ["d", "i"], ["y"], name="gather0")],
                   [vi("i", [2], I64)], [vi("y", None)], [const("d", [1.0, 2.0, 3.0])]))]


def expected_line(name, status, msg, session):
    return "%s %s %s%s\n" % (name, status, msg, " @session" if session else "")


def write_expected(path, names, lines):
    """Drops existing lines for `names` from EXPECTED and appends `lines`."""
    old = []
    if os.path.exists(path):
        with open(path) as f:
            old = [l for l in f if l.split(" ", 1)[0] not in names]
    if old and not old[-1].endswith("\n"):
        old[-1] += "\n"
    with open(path, "w") as f:
        f.writelines(old + lines)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    args = sys.argv[1:]
    append = "--append" in args
    args = [a for a in args if a != "--append"]
    out = args[0] if args else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "malformed")
    lines, names = [], set()
    for name, data, status, msg, session in cases():
        write(os.path.join(out, name), data)
        names.add(name)
        lines.append(expected_line(name, status, msg, session))
    if append:
        write_expected(os.path.join(out, "EXPECTED"), names, lines)
    else:
        with open(os.path.join(out, "EXPECTED.limits"), "w") as f:
            f.writelines(lines)
    os.makedirs(os.path.join(out, "pending"), exist_ok=True)
    with open(os.path.join(out, "pending", "EXPECTED"), "w") as f:
        f.write("# known defects: the error each file must give once fixed (tools/ci_hostile.sh\n"
                "# reports them); when one passes, move its case to cases() in\n"
                "# tools/make_malformed_session.py\n")
        for name, data, status, msg, session in pending_cases():
            write(os.path.join(out, "pending", name), data)
            f.write(expected_line(name, status, msg, session))
    os.makedirs(os.path.join(out, "runtime"), exist_ok=True)
    for name, data in runtime_cases():
        write(os.path.join(out, "runtime", name), data)


if __name__ == "__main__":
    main()

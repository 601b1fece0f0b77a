#!/usr/bin/python3
"""Write the malformed-model corpus of the loader tests.

    /usr/bin/python3 tools/make_malformed.py [OUT_DIR]     (default: tests/malformed)

Each file is a small ONNX model (x[1,3] + W[3] -> Add -> y) broken in one
way. OUT_DIR/EXPECTED gets one line per file:

    FILENAME STATUS_NAME message-substring [@session]

STATUS_NAME is the onnxrun_status enum name the load must return, and the
rest of the line (after an optional trailing " @session" token is removed)
must occur in the error message. "@session" marks files the loader accepts
and the interpreter rejects (a cycle, an unsupported op): tests/test_loader.c
checks that or_model_parse accepts them, a session-level test the rest.

Everything is deterministic; the outputs are committed. Relies on Debian's
python3-onnx (build models with onnx.helper, break bytes by hand where
onnx itself would refuse to serialize the fault).
"""
import os
import struct
import sys

import onnx
from onnx import TensorProto, helper
from google.protobuf.message import DecodeError

IR = 8
OPSET = 13


def vi(name, dims, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, dims)


def weight(name="W", dims=(3,), raw=None):
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(dims))
    t.raw_data = raw if raw is not None else struct.pack("<%df" % 3, 1.0, 2.0, 3.0)
    return t


def model(nodes=None, inputs=None, outputs=None, inits=None, ir=IR, opset=OPSET):
    nodes = nodes if nodes is not None else [helper.make_node("Add", ["x", "W"], ["y"], name="add0")]
    inputs = inputs if inputs is not None else [vi("x", [1, 3])]
    outputs = outputs if outputs is not None else [vi("y", [1, 3])]
    inits = inits if inits is not None else [weight()]
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    m = helper.make_model(g, producer_name="make_malformed", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def ser(m):
    return m.SerializeToString()


def parses(b):
    try:
        onnx.ModelProto().ParseFromString(b)
        return True
    except DecodeError:
        return False


def truncated(b, at):
    """First prefix length >= at that is not a valid protobuf."""
    for n in range(at, len(b)):
        if not parses(b[:n]):
            return b[:n]
    raise SystemExit("no failing truncation after %d" % at)


def with_bad_utf8(m, placeholder, bad):
    b = ser(m)
    assert len(placeholder) == len(bad) and b.count(placeholder) == 1
    return b.replace(placeholder, bad)


def with_raw_field(m, new):
    """Serialized m with W's raw_data field (tag 0x4a, 12 bytes) replaced by
    `new`, 14 bytes as well, so that no enclosing length changes."""
    b = ser(m)
    old = b"\x4a\x0c" + struct.pack("<3f", 1.0, 2.0, 3.0)
    assert len(new) == len(old) and b.count(old) == 1
    return b.replace(old, new)


def nested_sequence_input(levels):
    """x typed sequence(sequence(...(tensor))) `levels` deep: its innermost
    TypeProto sits 3 + 2 * levels messages below the ModelProto."""
    t = helper.make_tensor_type_proto(TensorProto.FLOAT, [1, 3])
    for _ in range(levels):
        t = helper.make_sequence_type_proto(t)
    return helper.make_value_info("x", t)


def external(location):
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "12")):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def cases():
    good = ser(model())
    c = []

    def add(name, data, status, msg, session=False):
        c.append((name, data if isinstance(data, bytes) else ser(data), status, msg, session))

    add("empty.onnx", b"", "ONNXRUN_E_PARSE", "empty")
    add("garbage.onnx", b"\xff" * 64, "ONNXRUN_E_PARSE", "truncated or corrupt")
    add("truncated_head.onnx", truncated(good, 3), "ONNXRUN_E_PARSE", "truncated or corrupt")
    add("truncated_mid.onnx", truncated(good, len(good) // 2), "ONNXRUN_E_PARSE", "truncated or corrupt")
    add("truncated_tail.onnx", truncated(good, len(good) - 2), "ONNXRUN_E_PARSE", "truncated or corrupt")
    # field 1 (ir_version, a varint) sent as a length-delimited field
    add("wrong_wire_type.onnx", b"\x0a\x01\x08" + good, "ONNXRUN_E_PARSE", "truncated or corrupt")
    # W's raw_data sent as a varint (then a doc_string keeps the lengths)
    add("raw_data_varint.onnx", with_raw_field(model(), b"\x48\x01\x62\x0a" + b"x" * 10),
        "ONNXRUN_E_PARSE", "TensorProto field 9 has wire type 0")
    # W's raw_data claims 127 bytes where its TensorProto has 12 left
    add("raw_data_overrun.onnx", with_raw_field(model(), b"\x4a\x7f" + b"\0" * 12),
        "ONNXRUN_E_PARSE", "TensorProto field 9 has length 127 but 12 bytes are left")
    # protobuf-c would recurse once per level: refused beyond 64 levels
    add("deep_type.onnx", model(inputs=[nested_sequence_input(31)]),
        "ONNXRUN_E_PARSE", "messages nested more than 64 deep (a TypeProto")
    add("bad_ir_version.onnx", model(ir=11), "ONNXRUN_E_UNSUPPORTED", "IR version 11")
    add("old_ir_version.onnx", model(ir=2), "ONNXRUN_E_UNSUPPORTED", "IR version 2")
    add("bad_opset.onnx", model(opset=23), "ONNXRUN_E_UNSUPPORTED", "opset 23")

    n = helper.make_node("Add", ["x", "W"], ["y"], name="add\x01\x02")
    add("bad_utf8_name.onnx", with_bad_utf8(model(nodes=[n]), b"add\x01\x02", b"add\xc0\xaf"),
        "ONNXRUN_E_INVALID", "name is not valid UTF-8")

    add("dangling_input.onnx",
        model(nodes=[helper.make_node("Add", ["x", "x9"], ["y"], name="add0")]),
        "ONNXRUN_E_INVALID", "node 'add0' (#0, Add): input 'x9' is not produced by any node")
    add("duplicate_output.onnx",
        model(nodes=[helper.make_node("Add", ["x", "W"], ["y"], name="add0"),
                     helper.make_node("Relu", ["x"], ["y"], name="relu1")]),
        "ONNXRUN_E_INVALID", "output 'y' is already produced by node 'add0'")
    add("output_shadows_input.onnx",
        model(nodes=[helper.make_node("Relu", ["W"], ["x"], name="relu0"),
                     helper.make_node("Add", ["x", "W"], ["y"], name="add0")]),
        "ONNXRUN_E_INVALID", "output 'x' is already produced by graph input 'x'")
    add("duplicate_initializer.onnx", model(inits=[weight(), weight()]),
        "ONNXRUN_E_INVALID", "initializer 'W' is declared twice")
    add("undefined_output.onnx", model(outputs=[vi("y", [1, 3]), vi("z", [1, 3])]),
        "ONNXRUN_E_INVALID", "graph output 'z' is not produced")
    add("empty_op_type.onnx", model(nodes=[helper.make_node("", ["x", "W"], ["y"], name="noop")]),
        "ONNXRUN_E_INVALID", "op_type is empty")

    add("payload_mismatch.onnx", model(inits=[weight(raw=struct.pack("<2f", 1, 2))]),
        "ONNXRUN_E_INVALID", "raw_data has 8 bytes but float [3] needs 12")
    add("misaligned_raw.onnx", model(inits=[weight(raw=b"\0" * 11)]),
        "ONNXRUN_E_INVALID", "raw_data has 11 bytes")
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3], float_data=[1.0, 2.0])
    add("typed_mismatch.onnx", model(inits=[t]), "ONNXRUN_E_INVALID", "float_data has 2 values")
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3], int64_data=[1, 2, 3])
    add("wrong_typed_field.onnx", model(inits=[t]), "ONNXRUN_E_INVALID", "has int64_data but its data type is float")
    add("negative_dim.onnx", model(inits=[weight(dims=(-3,))]), "ONNXRUN_E_INVALID", "dim 0 is negative")
    add("overflow_dims.onnx", model(inits=[weight(dims=(1 << 40, 1 << 40, 1 << 40))]),
        "ONNXRUN_E_LIMIT", "overflow")
    t = TensorProto(name="W", data_type=TensorProto.STRING, dims=[1], string_data=[b"a"])
    add("unsupported_dtype.onnx", model(inits=[t]), "ONNXRUN_E_UNSUPPORTED", "data type string")
    t = TensorProto(name="W", data_type=TensorProto.COMPLEX64, dims=[1], float_data=[1.0, 0.0])
    add("complex_dtype.onnx", model(inits=[t]), "ONNXRUN_E_UNSUPPORTED", "data type complex64")
    add("rank9_input.onnx", model(inputs=[vi("x", [1] * 9)]), "ONNXRUN_E_UNSUPPORTED", "rank 9")
    seq = helper.make_value_info("x", helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [3])))
    add("sequence_input.onnx", model(inputs=[seq]), "ONNXRUN_E_UNSUPPORTED", "graph input 'x' is a sequence")

    branch = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "b", [], [vi("t", [1, 3])])
    n = helper.make_node("If", ["c"], ["y"], name="if0", then_branch=branch)
    c_init = helper.make_tensor("c", TensorProto.BOOL, [], [1])
    add("graph_attr.onnx", model(nodes=[n], inits=[c_init]),
        "ONNXRUN_E_UNSUPPORTED", "node 'if0' (#0, If): attribute 'then_branch' is a graph")
    add("ext_traversal.onnx", model(inits=[external("../x")]), "ONNXRUN_E_INVALID", "contains '..'")
    add("ext_absolute.onnx", model(inits=[external("/etc/passwd")]), "ONNXRUN_E_INVALID", "absolute path")

    # accepted by the loader, refused when a session is made
    add("cycle.onnx",
        model(nodes=[helper.make_node("Add", ["x", "b"], ["a"], name="add0"),
                     helper.make_node("Relu", ["a"], ["b"], name="relu1"),
                     helper.make_node("Add", ["a", "W"], ["y"], name="add2")]),
        "ONNXRUN_E_INVALID", "cycle", session=True)
    add("unsupported_op.onnx",
        model(nodes=[helper.make_node("FooBarOp", ["x", "W"], ["y"], name="foo0")]),
        "ONNXRUN_E_UNSUPPORTED", "FooBarOp", session=True)
    add("absent_first_output.onnx",
        model(nodes=[helper.make_node("Shape", ["x"], ["", "y"], name="shape0")]),
        "ONNXRUN_E_INVALID", "node 'shape0' (#0, Shape): output 0 is absent", session=True)
    return c


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "malformed")
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, data, status, msg, session in cases():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        lines.append("%s %s %s%s\n" % (name, status, msg, " @session" if session else ""))
    with open(os.path.join(out, "EXPECTED"), "w") as f:
        f.writelines(lines)
    print("wrote %d files to %s" % (len(lines), out))


if __name__ == "__main__":
    main()

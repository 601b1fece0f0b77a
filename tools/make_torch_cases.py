#!/usr/bin/python3
"""make_torch_cases.py - ONNX test folders for the resampling ops with
PyTorch's outputs as the reference (tests/data/torch/, run by ctest's
torch_cases through tests/conformance).

Each folder holds model.onnx (one node, built with onnx.helper) and
test_data_set_0/{input,output}_K.pb. Inputs are seeded random; the outputs
are what torch computes for the same operation:
  - GridSample (opset 16): torch.nn.functional.grid_sample for every mode,
    padding_mode and align_corners, grids reaching past [-1, 1];
  - Resize (opset 13 / 18): torch.nn.functional.interpolate, nearest
    (asymmetric + floor), bilinear and bicubic with and without
    align_corners (pytorch_half_pixel / align_corners; cubic_coeff_a
    -0.75), and the antialiased bilinear / bicubic downscaling of opset 18
    (torch's antialias is Resize's with exclude_outside=1, and
    cubic_coeff_a -0.5 for bicubic);
  - RoiAlign (opset 16): torchvision.ops.roi_align, aligned (half_pixel)
    and not (output_half_pixel), adaptive and fixed sampling_ratio, two
    spatial scales, boxes partly outside the image and smaller than a bin.

  /usr/bin/python3 tools/make_torch_cases.py [OUT_DIR]
"""
import os
import shutil
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
import torchvision
from onnx import TensorProto, helper, numpy_helper


def write_case(out, name, node, inputs, outputs, opset):
    d = os.path.join(out, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    ins = [helper.make_tensor_value_info(n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype], v.shape)
           for n, v in inputs if v is not None]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, v.shape) for n, v in outputs]
    g = helper.make_graph([node], name, ins, outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_torch_cases")
    m.ir_version = 8
    onnx.save(m, os.path.join(d, "model.onnx"))
    k = 0
    for n, v in inputs:
        if v is None:
            continue
        t = numpy_helper.from_array(v, n)
        open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb").write(t.SerializeToString())
        k += 1
    for i, (n, v) in enumerate(outputs):
        t = numpy_helper.from_array(v, n)
        open(os.path.join(d, "test_data_set_0", "output_%d.pb" % i), "wb").write(t.SerializeToString())
    return name


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "torch")
    rng = np.random.default_rng(7)
    names = []
    # GridSample
    x = rng.uniform(-2, 2, (2, 3, 5, 7)).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, (2, 4, 6, 2)).astype(np.float32)
    grid[0, 0, 0] = [-1, -1]
    grid[0, 0, 1] = [1, 1]
    for mode in ("bilinear", "nearest", "bicubic"):
        for pad in ("zeros", "border", "reflection"):
            for align in (0, 1):
                y = F.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), mode=mode, padding_mode=pad,
                                  align_corners=bool(align)).numpy()
                node = helper.make_node("GridSample", ["X", "grid"], ["Y"], mode=mode, padding_mode=pad,
                                        align_corners=align)
                names.append(write_case(out, "test_torch_gridsample_%s_%s_align%d" % (mode, pad, align), node,
                                        [("X", x), ("grid", grid)], [("Y", y)], 16))
    # Resize against interpolate
    x = rng.uniform(-2, 2, (1, 2, 9, 11)).astype(np.float32)
    for size in ((18, 22), (5, 6), (13, 7)):
        sizes = np.array([1, 2, size[0], size[1]], dtype=np.int64)
        tag = "%dx%d" % size
        cases = [("nearest", None, dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                                        nearest_mode="floor"))]
        for tmode, omode in (("bilinear", "linear"), ("bicubic", "cubic")):
            for align in (False, True):
                cases.append((tmode, align, dict(mode=omode, cubic_coeff_a=-0.75,
                                                 coordinate_transformation_mode="align_corners" if align
                                                 else "pytorch_half_pixel")))
        for tmode, align, attrs in cases:
            kw = {} if align is None else {"align_corners": align}
            y = F.interpolate(torch.from_numpy(x), size=size, mode=tmode, **kw).numpy()
            node = helper.make_node("Resize", ["X", "", "", "sizes"], ["Y"], **attrs)
            name = "test_torch_resize_%s%s_%s" % (tmode, "" if align is None else "_align%d" % align, tag)
            names.append(write_case(out, name, node, [("X", x), ("sizes", sizes)], [("Y", y)], 13))
        if size[0] < 9:  # antialiased downscaling (torch 1.11+, ONNX opset 18)
            for tmode, omode in (("bilinear", "linear"), ("bicubic", "cubic")):
                y = F.interpolate(torch.from_numpy(x), size=size, mode=tmode, align_corners=False,
                                  antialias=True).numpy()
                node = helper.make_node("Resize", ["X", "", "", "sizes"], ["Y"], mode=omode, antialias=1, exclude_outside=1,
                                        cubic_coeff_a=-0.5 if omode == "cubic" else -0.75,
                                        coordinate_transformation_mode="pytorch_half_pixel")
                names.append(write_case(out, "test_torch_resize_%s_antialias_%s" % (tmode, tag), node,
                                        [("X", x), ("sizes", sizes)], [("Y", y)], 18))
    # RoiAlign against torchvision's roi_align (avg)
    x = rng.uniform(-2, 2, (2, 3, 10, 12)).astype(np.float32)
    rois = np.array([[0, 0, 11, 9], [2.3, 1.1, 7.9, 6.2], [-3, -2, 4, 5], [8, 7, 15, 14], [5, 5, 5.4, 5.3],
                     [1.5, 2.5, 10.5, 3]], dtype=np.float32)
    bidx = np.array([0, 1, 1, 0, 1, 0], dtype=np.int64)
    for aligned in (False, True):
        for ratio in (0, 2):
            for scale in (1.0, 0.5):
                boxes = torch.from_numpy(np.concatenate([bidx[:, None].astype(np.float32), rois], axis=1))
                y = torchvision.ops.roi_align(torch.from_numpy(x), boxes, output_size=(3, 4), spatial_scale=scale,
                                              sampling_ratio=ratio, aligned=aligned).numpy()
                node = helper.make_node("RoiAlign", ["X", "rois", "batch_indices"], ["Y"], output_height=3,
                                        output_width=4, sampling_ratio=ratio, spatial_scale=scale,
                                        coordinate_transformation_mode="half_pixel" if aligned else "output_half_pixel")
                name = "test_torch_roialign_aligned%d_ratio%d_scale%g" % (aligned, ratio, scale)
                names.append(write_case(out, name, node, [("X", x), ("rois", rois), ("batch_indices", bidx)],
                                        [("Y", y)], 16))
    with open(os.path.join(out, "EXPECTED"), "w") as f:
        f.write("# written by tools/make_torch_cases.py: every case must pass\n")
        f.writelines(n + "\n" for n in sorted(names))
    print("wrote %d cases to %s" % (len(names), out))


if __name__ == "__main__":
    main()

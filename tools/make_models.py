#!/usr/bin/python3
"""Export the classic ImageNet CNNs, with seeded random weights, as ONNX test folders.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/make_models.py OUT_DIR [NAME ...]
    /usr/bin/python3 tools/make_models.py --list

Writes, for each model NAME (default: all of them), the ONNX test layout
    OUT_DIR/NAME/model.onnx
    OUT_DIR/NAME/test_data_set_0/input_0.pb    seeded torch.randn input of the model's shape
    OUT_DIR/NAME/test_data_set_0/output_0.pb   PyTorch's eval-mode output for it
A model whose check differs from the default (--max-rel 1e-4 --top 5) also gets
    OUT_DIR/NAME/check_args                    the `onnxrun --check` options for it
A folder that already holds all three files is skipped; a folder is written under a
temporary name and renamed when complete, so an interrupted run leaves nothing half-made.
Nothing is downloaded: every weight is random, seeded per model from its name.

Weights: torchvision's own initialisation, plus non-zero biases where it leaves them zero.
BatchNorm: weight ~ U(0.5, 1.5) (U(0.1, 0.3) on the BN that ends a residual branch, as in
trained ResNets), bias ~ N(0, 0.1), and running statistics that are the
real statistics of the layer's input on a calibration batch (measured in eval mode, layer
by layer, so every upstream layer already has its final values), then perturbed:
running_mean += N(0, 0.1) * std, running_var *= U(0.5, 1.5). Plain N(0, 0.1) / U(0.5, 1.5)
statistics make deep nets useless as tests: the logits of resnet152 reach 1e11 and those of
googlenet and mobilenet_v2 stop depending on the input (relative change 1e-7). Calibrated
ones keep every layer's output near unit scale, and a wrong BatchNormalization still shows.
The small branch-end weights keep deep ResNets from being chaotic: with U(0.5, 1.5) there
too, resnet152's float32 output is off its float64 value by 2e-4 (relative), against 2e-6.

Note torch.onnx.export in EVAL mode folds a BatchNorm that follows a Conv into the Conv's
weights, so BatchNormalization nodes remain only where BN follows something else
(densenet121's pre-activation layers).

Relies on Debian's python3-torch / torchvision / onnx; run with OPENBLAS_CORETYPE=Haswell.
"""
import glob
import os
import shutil
import sys
import time
import warnings
import zlib

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck, ResNet

IMAGENET_META = {"mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225",
                 "size": "224", "channel_order": "RGB", "labels": "imagenet"}
# The original Caffe AlexNet takes BGR pixels 0..255 minus the per-channel mean, unscaled.
CAFFE_META = {"mean": "104,117,123", "std": "1,1,1", "scale": "1",
              "size": "227", "channel_order": "BGR", "labels": "imagenet"}
INPUT_NAME = "input"
OUTPUT_NAME = "logits"


# ---------------------------------------------------------------- architectures

class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation: global average pool, 1x1 reduce by r, ReLU, 1x1 expand,
    Sigmoid, and the channel-wise scale of the input by the result."""

    def __init__(self, channels, r=16):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, channels // r, 1)
        self.relu = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(channels // r, channels, 1)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        s = self.gate(self.expand(self.relu(self.reduce(self.pool(x)))))
        return x * s


class SEBottleneck(Bottleneck):
    """torchvision's ResNet-50 bottleneck with SE applied to the block output before the add."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.se = SqueezeExcite(self.conv3.out_channels)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def se_resnet50():
    return ResNet(SEBottleneck, [3, 4, 6, 3])


class _LRNFunction(torch.autograd.Function):
    """Local response normalisation exported as one ONNX LRN node (torch's own
    nn.LocalResponseNorm traces into Pad/AveragePool/If/... instead)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return nn.functional.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op("LRN", x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class LRN(nn.Module):
    """Across-channel LRN, as ONNX and Caffe define it: x / (k + alpha/size * sum x^2)^beta."""

    def __init__(self, size, alpha, beta, k):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return _LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k)


class AlexNetCaffe(nn.Module):
    """The original (Krizhevsky 2012 / Caffe bvlc_alexnet) AlexNet: 227x227 input, LRN after
    the first two convolutions, and conv2/4/5 split in two groups."""

    def __init__(self, num_classes=1000):
        super().__init__()
        lrn = lambda: LRN(5, alpha=1e-4, beta=0.75, k=2.0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True),                 # 55x55
            nn.MaxPool2d(3, 2), lrn(),                                              # 27x27
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2), lrn(),                                              # 13x13
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2))                                                     # 6x6
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(),
            nn.Linear(4096, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                last = m is self.classifier[-1]
                nn.init.kaiming_normal_(m.weight, nonlinearity="linear" if last else "relu")
                nn.init.normal_(m.bias, 0.0, 1.0)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


# ---------------------------------------------------------------- the model list

def spec(build, shape=(1, 3, 224, 224), opset=13, seed_name=None, dynamic=False,
         meta=IMAGENET_META, input_scale=1.0, half=False, check=None):
    """half: the exported graph converted to float16 (weights, input, output);
    check: `onnxrun --check` options replacing the default."""
    return dict(build=build, shape=shape, opset=opset, seed_name=seed_name,
                dynamic=dynamic, meta=meta, input_scale=input_scale, half=half, check=check)


class UNet(nn.Module):
    """A small U-Net: two down steps (conv, max pool), a bottleneck, and two up
    steps - one by ConvTranspose, one by nearest and one by bilinear upsampling
    (interpolate) - each concatenated with its skip connection."""

    def __init__(self, c=8, classes=3):
        super().__init__()
        def block(i, o):
            return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True),
                                 nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))
        self.d1, self.d2, self.d3 = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.pool = nn.MaxPool2d(2)
        self.mid = block(4 * c, 4 * c)
        self.up3 = nn.ConvTranspose2d(4 * c, 4 * c, 2, stride=2)
        self.u3, self.u2, self.u1 = block(8 * c, 2 * c), block(4 * c, c), block(2 * c, c)
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        s1 = self.d1(x)
        s2 = self.d2(self.pool(s1))
        s3 = self.d3(self.pool(s2))
        m = self.mid(self.pool(s3))
        u = self.u3(torch.cat([self.up3(m), s3], 1))
        u = nn.functional.interpolate(u, scale_factor=2, mode="nearest")
        u = self.u2(torch.cat([u, s2], 1))
        u = nn.functional.interpolate(u, size=s1.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(self.u1(torch.cat([u, s1], 1)))


class SegOut(nn.Module):
    """torchvision's segmentation models return {'out': ...}: the tensor alone."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


SEG = dict(meta={}, check="--max-rel 1e-4")


tvm = torchvision.models
MODELS = {
    "alexnet": spec(lambda: tvm.alexnet()),
    "vgg16": spec(lambda: tvm.vgg16()),
    "vgg19": spec(lambda: tvm.vgg19()),
    "googlenet": spec(lambda: tvm.googlenet(aux_logits=False, init_weights=True,
                                            transform_input=False)),
    "resnet18": spec(lambda: tvm.resnet18()),
    "resnet50": spec(lambda: tvm.resnet50()),
    "resnet152": spec(lambda: tvm.resnet152()),
    "se_resnet50": spec(se_resnet50),
    # Caffe-style input: pixels minus mean, spread like 0..255 images, so LRN's sum of
    # squares is not negligible next to k = 2.
    "alexnet_caffe": spec(AlexNetCaffe, shape=(1, 3, 227, 227), meta=CAFFE_META,
                          input_scale=60.0),
    "resnext50_32x4d": spec(lambda: tvm.resnext50_32x4d()),
    "wide_resnet50_2": spec(lambda: tvm.wide_resnet50_2()),
    "densenet121": spec(lambda: tvm.densenet121()),
    "mobilenet_v2": spec(lambda: tvm.mobilenet_v2()),
    # resnet50 again, same weights and input: the outputs must agree across these.
    "resnet50_opset9": spec(lambda: tvm.resnet50(), opset=9, seed_name="resnet50"),
    "resnet50_opset17": spec(lambda: tvm.resnet50(), opset=17, seed_name="resnet50"),
    "resnet50_dynamic": spec(lambda: tvm.resnet50(), shape=(4, 3, 224, 224),
                             seed_name="resnet50", dynamic=True),
    # float16 (weights, input, output): PyTorch cannot run float16 convolutions on the
    # CPU, so the reference is the float32 run of the float16-rounded weights and input,
    # rounded to float16.
    "resnet50_fp16": spec(lambda: tvm.resnet50(), seed_name="resnet50", half=True,
                          check="--max-rel 1e-2 --top 1"),
    # beyond classifiers: segmentation at a non-square size, and a small U-Net
    "unet_small": spec(UNet, shape=(1, 3, 96, 128), **SEG),
    "fcn_resnet50": spec(lambda: SegOut(tvm.segmentation.fcn_resnet50(
        weights=None, weights_backbone=None, aux_loss=False)), shape=(1, 3, 240, 320), **SEG),
    "deeplabv3_mobilenet_v3_large": spec(lambda: SegOut(tvm.segmentation.deeplabv3_mobilenet_v3_large(
        weights=None, weights_backbone=None, aux_loss=False)), shape=(1, 3, 240, 320), **SEG),
}


# ---------------------------------------------------------------- weights

def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def fill_zero_biases(model, gen):
    """Give Conv/Linear biases that torchvision initialised to zero small random values,
    so a kernel that drops its bias fails the test."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
            if not m.bias.detach().any():
                m.bias.data.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def residual_branch_ends(model):
    """The BatchNorms that end a residual branch (torchvision's BasicBlock.bn2,
    Bottleneck.bn3, SEBottleneck included)."""
    from torchvision.models.resnet import BasicBlock
    return [b.bn3 if isinstance(b, Bottleneck) else b.bn2 for b in model.modules()
            if isinstance(b, (Bottleneck, BasicBlock))]


def randomise_batchnorm(model, gen, calib_shape, branch_gamma=(0.1, 0.3)):
    """Random BN affine parameters and calibrated-then-perturbed running statistics
    (see the file comment). One eval-mode pass over a calibration batch: a pre-hook on
    each BN sets its statistics from its actual input just before it runs."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return

    def hook(bn, inputs):
        x = inputs[0]
        dims = [0] + list(range(2, x.dim()))
        mean = x.mean(dim=dims)
        var = x.var(dim=dims, unbiased=False)
        n = bn.num_features
        lo, hi = branch_gamma if bn in ends else (0.5, 1.5)
        bn.weight.data.copy_(torch.rand(n, generator=gen) * (hi - lo) + lo)
        bn.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)
        bn.running_mean.copy_(mean + torch.randn(n, generator=gen) * 0.1 * var.sqrt())
        bn.running_var.copy_(var * (torch.rand(n, generator=gen) + 0.5))

    ends = set(residual_branch_ends(model))
    handles = [bn.register_forward_pre_hook(hook) for bn in bns]
    model.eval()
    with torch.no_grad():
        model(torch.randn(calib_shape, generator=gen))
    for h in handles:
        h.remove()


# ---------------------------------------------------------------- export

def is_complete(folder):
    return all(os.path.isfile(os.path.join(folder, f)) for f in
               ("model.onnx", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb"))


def save_tensor(array, name, path):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


# Threads of torch's CPU kernels: the calibration pass's reductions (and so the BN
# statistics) may depend on it, so every build uses the same count.
TORCH_THREADS = 2


def seeded_model(name):
    """The eval-mode module of model NAME with exactly the weights that make_model
    exports, and the seeded input of its test_data_set_0. Also used by
    tools/torch_classify.py to run PyTorch on onnxrun's inputs."""
    s = MODELS[name]
    torch.set_num_threads(TORCH_THREADS)
    seed = seed_of(s["seed_name"] or name)
    torch.manual_seed(seed)
    model = s["build"]().eval()
    gen = torch.Generator().manual_seed(seed)
    fill_zero_biases(model, gen)
    calib = (2,) + tuple(s["shape"][1:])
    randomise_batchnorm(model, gen, calib)
    x = torch.randn(s["shape"], generator=gen) * s["input_scale"]
    return model, x


def to_float16(m):
    """The float32 graph m converted to float16: initializers, Constant values,
    the graph's inputs, outputs and value_info, and Casts to float."""
    F, H = onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16
    for i, t in enumerate(m.graph.initializer):
        if t.data_type == F:
            m.graph.initializer[i].CopyFrom(onnx.numpy_helper.from_array(
                onnx.numpy_helper.to_array(t).astype(np.float16), t.name))
    for n in m.graph.node:
        for a in n.attribute:
            if n.op_type == "Constant" and a.name == "value" and a.t.data_type == F:
                a.t.CopyFrom(onnx.numpy_helper.from_array(onnx.numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
            if n.op_type == "Cast" and a.name == "to" and a.i == F:
                a.i = H
    for v in list(m.graph.input) + list(m.graph.output) + list(m.graph.value_info):
        if v.type.tensor_type.elem_type == F:
            v.type.tensor_type.elem_type = H
    return m


def make_model(name, s, out_dir):
    """Build, export, check and write one model folder; returns (max |ref|, bytes)."""
    model, x = seeded_model(name)
    if s["half"]:  # the float16 weights and input, computed in float32
        model = model.half().float()
        x = x.half().float()
    with torch.no_grad():
        ref = model(x).numpy()
    if s["half"]:
        ref = ref.astype(np.float16)

    final = os.path.join(out_dir, name)
    for stale in glob.glob(os.path.join(out_dir, ".%s.tmp*" % name)):   # an interrupted run's
        shutil.rmtree(stale, ignore_errors=True)
    tmp = os.path.join(out_dir, ".%s.tmp%d" % (name, os.getpid()))
    os.makedirs(os.path.join(tmp, "test_data_set_0"))
    onnx_path = os.path.join(tmp, "model.onnx")
    dyn = {INPUT_NAME: {0: "N"}, OUTPUT_NAME: {0: "N"}} if s["dynamic"] else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, onnx_path, opset_version=s["opset"],
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes=dyn, do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(onnx_path)
    if s["half"]:
        m = to_float16(m)
    del m.metadata_props[:]
    for k, v in s["meta"].items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    assert [i.name for i in m.graph.input if i.name == INPUT_NAME] == [INPUT_NAME]
    assert [o.name for o in m.graph.output] == [OUTPUT_NAME]
    onnx.save(m, onnx_path)
    save_tensor(x.numpy().astype(np.float16) if s["half"] else x.numpy(), INPUT_NAME,
                os.path.join(tmp, "test_data_set_0", "input_0.pb"))
    if s["check"]:
        with open(os.path.join(tmp, "check_args"), "w") as f:
            f.write(s["check"] + "\n")
    save_tensor(ref, OUTPUT_NAME, os.path.join(tmp, "test_data_set_0", "output_0.pb"))
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(tmp, final)
    return float(np.abs(ref).max()), os.path.getsize(os.path.join(final, "model.onnx"))


def main(argv):
    if argv[1:] == ["--list"]:
        print("\n".join(MODELS))
        return 0
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: make_models.py OUT_DIR [NAME ...] | --list\n")
        return 2
    out_dir, names = argv[1], argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.stderr.write("make_models.py: unknown model(s) %s; --list shows them\n"
                         % ", ".join(unknown))
        return 2
    torch.set_num_threads(TORCH_THREADS)
    os.makedirs(out_dir, exist_ok=True)
    total = time.time()
    for name in names:
        if is_complete(os.path.join(out_dir, name)):
            print("%-18s complete, skipped" % name, flush=True)
            continue
        t = time.time()
        ref_max, size = make_model(name, MODELS[name], out_dir)
        print("%-18s %6.1f s  %7.1f MB  opset %2d  max|ref| %.4g" % (
            name, time.time() - t, size / 1e6, MODELS[name]["opset"], ref_max), flush=True)
    print("total %.1f s" % (time.time() - total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

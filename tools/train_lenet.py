#!/usr/bin/python3
"""Train LeNet-5 on scikit-learn's handwritten digits and ship it as data/lenet5/.

    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/train_lenet.py [REPO_ROOT]

Data: sklearn.datasets.load_digits (1797 8x8 images, values 0..16, ink high), split with
train_test_split(test_size=0.2, random_state=0, stratify=labels). An image becomes the
model's input as: /16 -> bilinear upscale to 32x32 (half-pixel centres) -> (x - MEAN) / STD.

Model: classic LeNet-5 with ReLU and max pooling: conv 6@5x5 (32->28), pool 2, conv 16@5x5
(10), pool 2 (5), fc 120, fc 84, fc 10. Trained with Adam (cosine learning-rate decay), seeded, one thread and
torch.use_deterministic_algorithms(True): a rerun writes the same model.

Writes (under REPO_ROOT, default: this file's repository):
  data/lenet5/model.onnx                      opset 13, input "input" [N,1,32,32],
                                              output "logits" [N,10], metadata_props below
  data/lenet5/test_data_set_0/input_0.pb      the whole held-out set, preprocessed
  data/lenet5/test_data_set_0/output_0.pb     PyTorch's logits for it
  data/lenet5/digits/test_labels.pb           int64 [N] true labels of the held-out set
  data/digits/digit_<d>.png                   one held-out digit per class, 64x64 8-bit gray,
                                              dark ink on white (so the model says invert=1)
Each PNG is checked: read back with PIL and preprocessed as the onnxrun CLI does
(gray -> antialiased bilinear resize straight to 32x32 -> 255 - v -> * scale ->
(x - mean) / std), PyTorch must classify it correctly.
"""
import os
import sys
import time

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 0
EPOCHS = 20
BATCH = 32
LR = 2e-3
SCALE = 1.0 / 255.0
PNG_SIDE = 64


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)       # [N,6,28,28]
        self.conv2 = nn.Conv2d(6, 16, 5)      # [N,16,10,10]
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)   # [N,6,14,14]
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)   # [N,16,5,5]
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def upscale(images, side):
    """[N,8,8] values 0..16 -> [N,1,side,side] float32 in [0,1], bilinear, half-pixel centres."""
    x = torch.from_numpy(images.astype(np.float32) / 16.0).unsqueeze(1)
    return F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)


def cli_preprocess(png_path, mean, std):
    """The onnxrun CLI's path for this model: 8-bit gray -> antialiased bilinear resize
    to 32x32 (PIL/torch filter, kept in float) -> invert -> scale -> normalise."""
    with Image.open(png_path) as im:
        assert im.mode == "L" and im.size == (PNG_SIDE, PNG_SIDE), (im.mode, im.size)
        p = torch.from_numpy(np.asarray(im, dtype=np.float32).copy())[None, None]
    v = F.interpolate(p, size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
    return ((255.0 - v) * SCALE - mean) / std


def save_tensor(array, name, path):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(root, "data", "lenet5")
    pngs = os.path.join(root, "data", "digits")
    for d in (os.path.join(out, "test_data_set_0"), os.path.join(out, "digits"), pngs):
        os.makedirs(d, exist_ok=True)

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    t0 = time.time()

    digits = load_digits()
    idx = np.arange(len(digits.target))
    tr, te = train_test_split(idx, test_size=0.2, random_state=SEED, stratify=digits.target)
    x_tr, x_te = upscale(digits.images[tr], 32), upscale(digits.images[te], 32)
    y_tr = torch.from_numpy(digits.target[tr].astype(np.int64))
    y_te = torch.from_numpy(digits.target[te].astype(np.int64))
    # normalisation from the training set, rounded so the metadata states it exactly
    mean = round(float(x_tr.mean()), 4)
    std = round(float(x_tr.std()), 4)
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std

    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(y_tr), generator=gen)
        total = 0.0
        for i in range(0, len(perm), BATCH):
            b = perm[i:i + BATCH]
            # a random shift of up to 2 pixels, so the net does not depend on exact framing
            dy, dx = torch.randint(-2, 3, (2,), generator=gen).tolist()
            xb = torch.roll(x_tr[b], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(xb), y_tr[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(b)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(x_te).argmax(1) == y_te).sum().item()
        print("epoch %2d  loss %.4f  held-out %d/%d" % (epoch + 1, total / len(y_tr), acc, len(y_te)))

    model.eval()
    with torch.no_grad():
        logits = model(x_te)
    correct = int((logits.argmax(1) == y_te).sum())
    print("PyTorch: %d/%d held-out digits correct (%.2f%%), trained in %.1f s"
          % (correct, len(y_te), 100.0 * correct / len(y_te), time.time() - t0))

    onnx_path = os.path.join(out, "model.onnx")
    torch.onnx.export(model, x_te[:1], onnx_path, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(onnx_path)
    del m.metadata_props[:]
    meta = {"mean": repr(mean), "std": repr(std), "size": "32", "scale": repr(SCALE),
            "channel_order": "GRAY", "labels": ",".join(str(d) for d in range(10)),
            "resize": "direct", "invert": "1"}
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    m.doc_string = ("LeNet-5 trained on scikit-learn's 8x8 handwritten digits upscaled to 32x32 "
                    "(tools/train_lenet.py); held-out accuracy %d/%d" % (correct, len(y_te)))
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)
    save_tensor(x_te.numpy(), "input", os.path.join(out, "test_data_set_0", "input_0.pb"))
    save_tensor(logits.numpy(), "logits", os.path.join(out, "test_data_set_0", "output_0.pb"))
    save_tensor(y_te.numpy(), "labels", os.path.join(out, "digits", "test_labels.pb"))

    # one PNG per class: the first held-out image of that class that PyTorch gets right
    # through the CLI's preprocessing, with a clear margin
    big = upscale(digits.images[te], PNG_SIDE)[:, 0].numpy()
    for d in range(10):
        path = os.path.join(pngs, "digit_%d.png" % d)
        for k in np.nonzero(y_te.numpy() == d)[0]:
            ink = np.clip(np.rint(big[k] * 255.0), 0, 255).astype(np.uint8)
            Image.fromarray(255 - ink, mode="L").save(path, optimize=True)
            with torch.no_grad():
                prob = F.softmax(model(cli_preprocess(path, mean, std)), 1)[0]
            if int(prob.argmax()) == d and float(prob[d]) > 0.95:
                print("digit_%d.png: held-out #%d, p=%.4f" % (d, k, float(prob[d])))
                break
        else:
            sys.exit("train_lenet.py: no held-out %d survives the CLI preprocessing" % d)
    print("meta:", meta)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

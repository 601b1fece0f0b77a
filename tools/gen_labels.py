#!/usr/bin/python3
"""Write the 1000 ImageNet class names, one per line in class-index order.

    /usr/bin/python3 tools/gen_labels.py [OUT]      (default: data/imagenet_labels.txt)

Taken from torchvision's bundled metadata (no download); the C side embeds the file at
build time. Fails if the list is not 1000 distinct single-line names.
"""
import os
import sys

import torchvision


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = argv[1] if len(argv) > 1 else os.path.join(root, "data", "imagenet_labels.txt")
    names = list(torchvision.models.ResNet50_Weights.IMAGENET1K_V1.meta["categories"])
    bad = [n for n in names if not n or n != n.strip() or "\n" in n or "\r" in n]
    if len(names) != 1000 or len(set(names)) != 1000 or bad:
        sys.exit("gen_labels.py: unexpected category list (%d names, %d distinct, bad %r)"
                 % (len(names), len(set(names)), bad[:3]))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(n + "\n" for n in names))
    print("%s: %d labels" % (out, len(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

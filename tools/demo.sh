#!/usr/bin/env bash
# The main job on the shipped default: installs what is missing, builds, and
# classifies a handwritten digit with the trained LeNet-5 that the repo ships.
#   tools/demo.sh [IMAGE...]   (default: data/digits/digit_7.png)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
bash "$root/tools/deps.sh"
bash "$root/tools/build.sh" "$root/build"
[ $# -gt 0 ] || set -- "$root/data/digits/digit_7.png"
exec "$root/build/onnxrun" "$root/data/lenet5/model.onnx" "$@"

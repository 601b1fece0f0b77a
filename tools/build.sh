#!/usr/bin/env bash
# Configures and builds onnxrun into build/ (Release) or the folder given:
#   tools/build.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-"$root/build"}
shift || true
cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DONNXRUN_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"

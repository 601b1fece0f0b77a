#!/usr/bin/env bash
# Installs the Debian packages onnxrun needs to build, test and make its
# test models. Quick when everything is there already: apt runs only for
# what is missing. Needs root (or sudo).
set -euo pipefail
pkgs=(
  cmake make gcc pkg-config
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev      # schema compiled at build time
  libopenblas-dev libopenblas0-pthread                   # sgemm (and numpy/torch's BLAS)
  libcmocka-dev libjpeg62-turbo-dev libpng-dev           # unit tests, image decoding
  libonnx-testdata                                       # ONNX backend test data
  python3-onnx python3-torch python3-torchvision python3-sklearn python3-numpy  # test models
  valgrind clang libclang-rt-14-dev                      # memcheck, fuzzing, sanitizers
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"

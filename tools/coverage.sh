#!/usr/bin/env bash
# Line coverage of loader/ and interp/ (and, for reference, ops/) from the
# fast tests plus every checked-in fuzz corpus and regression file:
# a clang build with source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping) and the fuzz targets (ASan + UBSan, as ONNXRUN_FUZZ
# needs), ctest without the slow model tests, llvm-profdata + llvm-cov.
#   tools/coverage.sh [BUILD_DIR]      (default /tmp/onnxrun-coverage)
# Prints llvm-cov's per-file table for those folders and their totals.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-/tmp/onnxrun-coverage}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
flags="-fprofile-instr-generate -fcoverage-mapping -Wno-unknown-attributes"
CC=clang cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXRUN_SANITIZE=ON -DONNXRUN_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" >"$dir.log" 2>&1
cmake --build "$dir" -j"$(nproc)" >>"$dir.log" 2>&1 || { tail -30 "$dir.log"; exit 1; }
rm -rf "$dir/profiles" && mkdir -p "$dir/profiles"
(cd "$dir" && LLVM_PROFILE_FILE="$dir/profiles/%p-%m.profraw" ASAN_OPTIONS=detect_leaks=0 \
   ctest -j"$(nproc)" -LE slow -E 'jpeg_top5|install' >"$dir/ctest.log" 2>&1) ||
  echo "coverage: some tests failed under coverage (see $dir/ctest.log); the figures still count what ran"
profdata="$dir/onnxrun.profdata"
llvm-profdata merge -sparse "$dir"/profiles/*.profraw -o "$profdata"
objs=("$dir/tests/fuzz/fuzz_model") # llvm-cov: the first binary, then -object for each other
for t in "$dir"/tests/test_* "$dir"/tests/conformance "$dir"/onnxrun; do
  [ -x "$t" ] && [ -f "$t" ] && objs+=(-object "$t")
done
for part in loader interp ops; do
  echo "== $part/"
  llvm-cov report "${objs[@]}" -instr-profile="$profdata" "$root/$part" 2>/dev/null | tail -n +1 |
    awk -v p="$root/" '{sub(p, ""); print}'
done

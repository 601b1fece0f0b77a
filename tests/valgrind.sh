#!/usr/bin/env bash
# Memcheck on the onnxrun command line: classifying a digit with LeNet-5
# (data/lenet5, data/digits), --check on two ONNX test folders of Debian's
# libonnx-testdata (a convolution and a small network), --info and --bench,
# and one malformed model. Every run must report 0 errors and 0 bytes
# definitely lost (errors of any other leak kind are not counted: OpenBLAS
# keeps its thread buffers until exit).
#   tests/valgrind.sh ONNXRUN_BINARY SOURCE_DIR
# ONNXRUN_BINARY must be a build without sanitizers (tools/ci_hostile.sh makes
# build-valgrind, a Debug build).
set -uo pipefail
bin=$1
src=$2
testdata=${ONNXRUN_TESTDATA:-/usr/share/libonnx-testdata/data}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_NUM_THREADS=1
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# memcheck WANT_EXIT ARGS...: runs onnxrun under valgrind; the program must
# exit with WANT_EXIT and valgrind must find nothing.
memcheck() {
  local want=$1
  shift
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --track-origins=yes --num-callers=30 --log-file="$log" \
    "$bin" "$@" >/dev/null 2>&1
  local rc=$?
  if [ $rc -eq "$want" ] && grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
    passed=$((passed + 1))
    echo "ok   valgrind onnxrun $*"
  else
    failed=$((failed + 1))
    echo "FAIL valgrind onnxrun $* (exit $rc, want $want)"
    grep -E '^==[0-9]+== ' "$log" | head -60
  fi
}

memcheck 0 --top 3 "$src/data/lenet5/model.onnx" "$src/data/digits/digit_3.png"
memcheck 0 --check --threads 2 "$testdata/node/test_conv_with_strides_padding" "$testdata/pytorch-converted/test_ConvTranspose2d"
memcheck 0 --check "$src/data/lenet5"
memcheck 0 --info "$src/data/lenet5/model.onnx"
memcheck 0 --bench --runs 3 --threads 2 "$src/data/lenet5/model.onnx"
memcheck 1 --info "$src/tests/malformed/conv_group_mismatch.onnx"
memcheck 1 "$src/data/lenet5/model.onnx" "$src/tests/data/images/huge.png"

echo "valgrind: $passed passed, $failed failed"
[ $failed -eq 0 ]

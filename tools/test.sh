#!/usr/bin/env bash
# The whole test suite, as the README gives it and .ci/run calls it:
# installs what is missing, builds (Release), runs every ctest test (unit
# tests, conformance over libonnx-testdata, CLI, malformed corpus, model
# exports checked against PyTorch), then rebuilds with ASan+UBSan and runs
# the fast tests again, then the hostile-input pass (tools/ci_hostile.sh:
# fuzz targets for a bounded time, ThreadSanitizer, valgrind memcheck).
#   tools/test.sh            everything
#   tools/test.sh --quick    skip the sanitizer and hostile-input passes
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
export ONNXRUN_MODELS=${ONNXRUN_MODELS:-$HOME/.cache/onnxrun/models}
quick=0
[ "${1:-}" = "--quick" ] && quick=1
bash "$root/tools/deps.sh"

echo "== build (Release)"
bash "$root/tools/build.sh" "$root/build"
echo "== tests (Release)"
(cd "$root/build" && ctest --output-on-failure --timeout 3000 -j1)

if [ $quick = 0 ]; then
  echo "== build (ASan + UBSan)"
  bash "$root/tools/build.sh" "$root/build-asan" -DONNXRUN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  echo "== tests (ASan + UBSan)"
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --timeout 3000 -j1 -LE slow)
  echo "== hostile input (fuzzing, TSan, valgrind)"
  bash "$root/tools/ci_hostile.sh"
fi
echo "== all tests passed"

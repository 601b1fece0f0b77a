#!/usr/bin/env bash
# The whole test suite, as the README gives it and .ci/run calls it:
# installs what is missing, builds (Release), runs every ctest test (unit
# tests, conformance over libonnx-testdata, CLI, malformed corpus, model
# exports checked against PyTorch, the installed package), then builds with
# gcc -O3 and clang -O2/-O3 (-Werror, build only), rebuilds with ASan+UBSan and runs
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
  # warning-free (-Werror) with both compilers at -O2 and -O3: build only
  for cc_opt in "gcc -O3" "clang -O2" "clang -O3"; do
    set -- $cc_opt
    echo "== build ($1 $2, -Werror)"
    CC=$1 bash "$root/tools/build.sh" "$root/build-$1$2" -DONNXRUN_OPT="$2"
  done
  echo "== build (ASan + UBSan)"
  bash "$root/tools/build.sh" "$root/build-asan" -DONNXRUN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  echo "== tests (ASan + UBSan)"
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure --timeout 3000 -j1 -LE slow)
  echo "== hostile input (fuzzing, TSan, valgrind)"
  bash "$root/tools/ci_hostile.sh"
fi
echo "== all tests passed"

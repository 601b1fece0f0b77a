#!/usr/bin/env bash
# Long fuzzing campaigns on the libFuzzer targets of tests/fuzz/.
#   tests/fuzz/run.sh [SECONDS] [model|image|tensor ...]   (default: 1800, all three)
# Builds build-fuzz (clang, ASan + UBSan, -DONNXRUN_FUZZ=ON) if needed, then
# runs the targets at the same time in libFuzzer's fork mode (going on
# after a crash, timeout or OOM), each seeded with its checked-in corpus and
# regression files. New inputs go to build-fuzz/fuzz-work/<target>/ (kept
# between campaigns), findings to build-fuzz/fuzz-artifacts/<target>/;
# nothing under tests/ is modified. Ends with executions and findings per
# target. Minimise a finding with
#   build-fuzz/tests/fuzz/fuzz_model -minimize_crash=1 -max_total_time=60 FILE
# and put it in tests/fuzz/regressions/<target>/ (or tests/malformed/) once fixed.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
secs=${1:-1800}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(model image tensor)
build=$root/build-fuzz
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_NUM_THREADS=1

CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXRUN_SANITIZE=ON \
  -DONNXRUN_FUZZ=ON -DCMAKE_C_FLAGS=-Wno-unknown-attributes >/dev/null || exit 1
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null || exit 1

pids=()
for k in "${targets[@]}"; do
  mkdir -p "$build/fuzz-work/$k" "$build/fuzz-artifacts/$k"
  # fork mode re-executes the binary: run a copy, so a rebuild cannot swap it
  cp "$build/tests/fuzz/fuzz_$k" "$build/fuzz-work/fuzz_$k.bin"
  extra=()
  [ "$k" = model ] && extra=(-max_len=65536)
  (cd "$build/fuzz-work" && exec "./fuzz_$k.bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
     -ignore_ooms=1 -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 "${extra[@]}" \
     -artifact_prefix="$build/fuzz-artifacts/$k/" "$k" "$root/tests/fuzz/corpus/$k" \
     "$root/tests/fuzz/regressions/$k" >"$build/fuzz-work/$k.log" 2>&1) &
  pids+=($!)
  echo "fuzz_$k: ${secs}s, log $build/fuzz-work/$k.log"
done
for p in "${pids[@]}"; do wait "$p"; done
for k in "${targets[@]}"; do
  last=$(grep -E '^#[0-9]+' "$build/fuzz-work/$k.log" | tail -1)
  echo "fuzz_$k: ${last:-no progress line} ; findings: $(ls "$build/fuzz-artifacts/$k" | wc -l)"
done

#!/usr/bin/env bash
# The measurements behind ops/conv.c's table of rules: build/conv_rules (see
# tools/conv_rules.c) on each SET or SHAPE, at each thread count, under
# quiet-run:
#   tools/conv_rules.sh [SET|SHAPE...]     (default: resnet50 googlenet)
# SET: resnet50, googlenet, vgg16, alexnet, resnext50 (their convolution
# shapes); SHAPE: C,M,H,W,K,S,P[,G]. Per shape, every algorithm that
# applies, min and median ms, GFLOP/s; '*' the rules' pick, '<' the fastest.
# Environment:
#   THREADS    thread counts (default "1 2")
#   RUNS       runs per algorithm (default 20)
#   CONV_RULES the tool (default build/conv_rules)
#   QUIET      the guard (default ../shared/anchors/quiet-run; QUIET=none:
#              unguarded, the figures then mean little)
# Run from the project root, after bash tools/build.sh. One layer alone
# keeps its weights in the caches between runs; in a model they stream
# from memory: check a close call with onnxrun --bench --profile.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${CONV_RULES:-$root/build/conv_rules}
quiet=${QUIET:-../shared/anchors/quiet-run}
[ -x "$bin" ] || { echo "conv_rules.sh: no $bin (bash tools/build.sh first)" >&2; exit 2; }
[ "$quiet" = none ] || [ -x "$quiet" ] || { echo "conv_rules.sh: no quiet-run at $quiet (set QUIET, or QUIET=none)" >&2; exit 2; }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(resnet50 googlenet)
for t in ${THREADS:-1 2}; do
  if [ "$quiet" = none ]; then
    "$bin" --threads "$t" --runs "${RUNS:-20}" "${args[@]}"
  else
    "$quiet" -- "$bin" --threads "$t" --runs "${RUNS:-20}" "${args[@]}"
  fi
done

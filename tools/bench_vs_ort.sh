#!/usr/bin/env bash
# onnxrun's speed and memory next to ONNX Runtime's, model by model.
#   tools/bench_vs_ort.sh [MODEL...]
# MODEL: a folder in the ONNX test layout (MODEL/model.onnx, test_data_set_0/),
# or the name of one in $ONNXRUN_MODELS (default ~/.cache/onnxrun/models, made
# by tools/make_models.py); MODEL@B runs a model with a dynamic batch axis at
# batch B (onnxrun --batch B; ort-bench on the model file with --shape taken
# from onnxrun's input line, synthetic input on both sides). Default: resnet50
# googlenet vgg16 mobilenet_v2 densenet121 alexnet resnet50_dynamic@4.
# For each model and each thread count, runs in turn, ROUNDS times (so that
# both share the machine's noise):
#   $ONNXRUN --bench --runs RUNS --threads T MODEL/model.onnx
#   $ORT_BENCH MODEL --threads T --runs RUNS
# and prints a table: the median over the rounds of each one's median latency,
# the ratio ORT / onnxrun (> 1: onnxrun is faster), each one's largest peak
# RSS, and each one's start-up (median): onnxrun's load + session creation,
# ORT's session creation from the file. ORT's RSS is the whole node process (~45 MiB of it node itself);
# onnxrun --bench feeds a synthetic input, ort-bench the folder's input_0.pb.
# Environment (paths relative to the repository root):
#   ONNXRUN    onnxrun binary (default build/onnxrun; build it Release)
#   ORT_BENCH  the ONNX Runtime bench (default ../shared/anchors/ort-bench)
#   QUIET      the guard each run goes through (default ../shared/anchors/quiet-run:
#              waits for idle CPUs, retries a disturbed run); a round whose run
#              stayed disturbed is dropped, and the table's "foreign" column is the
#              largest CPU share other processes took during a kept run
#              (QUIET=none runs unguarded: figures then mean little)
#   THREADS    thread counts (default "1 2"), RUNS (default 10), ROUNDS (default 3)
# Exit status 1 if any run failed (its cells then read "failed").
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
onnxrun=${ONNXRUN:-build/onnxrun}
ort=${ORT_BENCH:-../shared/anchors/ort-bench}
quiet=${QUIET:-../shared/anchors/quiet-run}
models_dir=${ONNXRUN_MODELS:-$HOME/.cache/onnxrun/models}
threads=${THREADS:-1 2}
runs=${RUNS:-10}
rounds=${ROUNDS:-3}
[ -x "$onnxrun" ] || { echo "bench_vs_ort: no onnxrun binary at $onnxrun (set ONNXRUN)" >&2; exit 2; }
[ -x "$ort" ] || { echo "bench_vs_ort: no ort-bench at $ort (set ORT_BENCH)" >&2; exit 2; }
[ "$quiet" = none ] || [ -x "$quiet" ] || { echo "bench_vs_ort: no quiet-run at $quiet (set QUIET, or QUIET=none)" >&2; exit 2; }
# guarded CMD...: runs CMD under the guard; appends its foreign share to $tmp/foreign;
# fails when the command failed or every try was disturbed
guarded() {
  if [ "$quiet" = none ]; then "$@"; return; fi
  "$quiet" -- "$@" 2>"$tmp/guard"
  local rc=$?
  grep -v '^quiet-run:' "$tmp/guard" >&2
  sed -n 's/^quiet-run: foreign \([0-9.]*\)%.*/\1/p' "$tmp/guard" >>"$tmp/foreign"
  [ $rc -eq 3 ] && echo "bench_vs_ort: disturbed, round dropped: $(grep '^quiet-run:' "$tmp/guard")" >&2
  return $rc
}
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(resnet50 googlenet vgg16 mobilenet_v2 densenet121 alexnet resnet50_dynamic@4)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench_vs_ort.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# median of the numbers on stdin ("" if none)
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# "12.3 MiB", or "failed" for ""
mib() {
  if [ -n "$1" ]; then echo "$1 MiB"; else echo failed; fi
}
# largest of the numbers on stdin ("" if none)
largest() {
  sort -g | tail -n 1
}

failed=0
printf '%-18s %7s  %11s  %11s  %9s  %11s  %11s  %11s  %9s  %8s\n' model threads "onnxrun ms" "ORT ms" \
  "ORT/ours" "onnxrun RSS" "ORT RSS" "onnxrun up" "ORT up" foreign
for spec in "${models[@]}"; do
  m=${spec%@*} batch=
  [ "$m" != "$spec" ] && batch=${spec##*@}
  dir=$m
  [ -d "$dir" ] || dir=$models_dir/$m
  name=$(basename "$dir")${batch:+@$batch}
  if [ ! -f "$dir/model.onnx" ]; then
    echo "bench_vs_ort: $dir/model.onnx not found (tools/make_models.py $models_dir $m)" >&2
    failed=1
    continue
  fi
  for t in $threads; do
    : >"$tmp/ours_ms"; : >"$tmp/ours_rss"; : >"$tmp/ort_ms"; : >"$tmp/ort_rss"; : >"$tmp/foreign"
    : >"$tmp/ours_up"; : >"$tmp/ort_up"
    for ((r = 0; r < rounds; r++)); do
      # onnxrun: "latency   median 12.345 ms, ..." and "peak RSS  123.4 MiB"
      ort_src=("$dir") # ORT: the folder (its test input), or the file with a shape
      if guarded "$onnxrun" --bench --runs "$runs" --threads "$t" ${batch:+--batch "$batch"} \
           "$dir/model.onnx" >"$tmp/out" 2>&1; then
        sed -n 's/^latency *median \([0-9.]*\) ms.*/\1/p' "$tmp/out" >>"$tmp/ours_ms"
        awk '/^load / { l = $2 } /^session / { s = $2 } END { if (l != "" && s != "") printf "%.1f\n", l + s }' \
          "$tmp/out" >>"$tmp/ours_up"
        if [ -n "$batch" ]; then # "input     input  float [4,3,224,224]" -> 4x3x224x224
          shape=$(sed -n 's/^input .*\[\([0-9,]*\)\].*/\1/p' "$tmp/out" | head -n 1 | tr , x)
          ort_src=("$dir/model.onnx" --shape "$shape")
        fi
        awk '/^peak RSS/ { v = $3; u = $4
                           if (u == "KiB") v /= 1024; else if (u == "GiB") v *= 1024; else if (u == "B") v /= 1048576
                           printf "%.1f\n", v }' "$tmp/out" >>"$tmp/ours_rss"
      else
        echo "bench_vs_ort: onnxrun on $name, $t threads: $(tail -n 3 "$tmp/out" | tr '\n' ' ')" >&2
      fi
      # ORT: one line with "peak RSS 180 MiB" and "... median 12.34 ..."
      if guarded "$ort" "${ort_src[@]}" --threads "$t" --runs "$runs" >"$tmp/out" 2>&1; then
        sed -n 's/.* median \([0-9.]*\) .*/\1/p' "$tmp/out" >>"$tmp/ort_ms"
        sed -n 's/.*: load \([0-9.]*\) ms.*/\1/p' "$tmp/out" >>"$tmp/ort_up"
        sed -n 's/.*peak RSS \([0-9.]*\) MiB.*/\1/p' "$tmp/out" >>"$tmp/ort_rss"
      else
        echo "bench_vs_ort: ort-bench on $name, $t threads: $(tail -n 3 "$tmp/out" | tr '\n' ' ')" >&2
      fi
    done
    ours=$(median <"$tmp/ours_ms"); theirs=$(median <"$tmp/ort_ms")
    ours_rss=$(largest <"$tmp/ours_rss"); ort_rss=$(largest <"$tmp/ort_rss")
    ours_up=$(median <"$tmp/ours_up"); ort_up=$(median <"$tmp/ort_up")
    # every round must have given its numbers (dropped rounds count as failed)
    for f in ours_ms ort_ms ours_rss ort_rss; do
      [ "$(wc -l <"$tmp/$f")" -eq "$rounds" ] || failed=1
    done
    foreign=$(largest <"$tmp/foreign")
    ratio=failed
    [ -n "$ours" ] && [ -n "$theirs" ] && ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.2f", a / b }')
    printf '%-18s %7s  %11s  %11s  %9s  %11s  %11s  %11s  %9s  %8s\n' "$name" "$t" "${ours:-failed}" \
      "${theirs:-failed}" "$ratio" "$(mib "$ours_rss")" "$(mib "$ort_rss")" "${ours_up:-failed}" \
      "${ort_up:-failed}" "${foreign:+$foreign%}"
  done
done
echo "(median over $rounds interleaved rounds of each one's median of $runs runs; RSS: the largest peak;"
echo " up: ms from the file to a session ready to run, median over the rounds;"
echo " foreign: the largest CPU share other processes took during a run, from $quiet)"
exit $failed

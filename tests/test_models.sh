#!/usr/bin/env bash
# The seed architectures end to end: makes the PyTorch exports (cached in
# $ONNXRUN_MODELS, regenerated when missing) and checks each with
# `onnxrun --check`: max|ours - ref| / max|ref| <= 1e-4 and identical top-5,
# or the options in the model folder's check_args (float16: 1e-2 and top-1;
# segmentation: no top-k); four of them again under a memory budget.
#   test_models.sh ONNXRUN_BINARY SOURCE_DIR [NAME...]
set -uo pipefail
bin=$1
root=$2
shift 2
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
models=${ONNXRUN_MODELS:-$HOME/.cache/onnxrun/models}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  mapfile -t names < <(/usr/bin/python3 "$root/tools/make_models.py" --list)
fi
[ ${#names[@]} -gt 0 ] || { echo "test_models: no model names" >&2; exit 1; }
/usr/bin/python3 "$root/tools/make_models.py" "$models" "${names[@]}" || { echo "test_models: model generation failed" >&2; exit 1; }
passed=0
failed=0
for n in "${names[@]}"; do
  args="--max-rel 1e-4 --top 5"
  [ -f "$models/$n/check_args" ] && args=$(cat "$models/$n/check_args")
  # shellcheck disable=SC2086
  if out=$("$bin" --check $args "$models/$n" 2>&1); then
    passed=$((passed + 1)); verdict=PASS
  else
    failed=$((failed + 1)); verdict=FAIL
  fi
  echo "$verdict $n: $(echo "$out" | tr '\n' ' ')"
done
# under a memory budget below the default plan (resnet50 161.6 MiB, googlenet
# 61.9, vgg16 726.7, se_resnet50 171.9 at one thread): slower algorithms, the
# same results
for nb in resnet50:150M googlenet:58M vgg16:660M se_resnet50:165M; do
  n=${nb%%:*} b=${nb#*:}
  [[ " ${names[*]} " == *" $n "* ]] || continue
  if out=$("$bin" --check --max-rel 1e-4 --top 5 --threads 1 --max-memory "$b" "$models/$n" 2>&1); then
    passed=$((passed + 1)); verdict=PASS
  else
    failed=$((failed + 1)); verdict=FAIL
  fi
  echo "$verdict $n --max-memory $b: $(echo "$out" | tr '\n' ' ')"
done
# the CLI classifies with the float16 model: same top-1 class as float32
if [[ " ${names[*]} " == *" resnet50_fp16 "* && " ${names[*]} " == *" resnet50 "* ]]; then
  img="$root/tests/data/images/photo.jpg"
  t16=$("$bin" --top 1 --json "$models/resnet50_fp16/model.onnx" "$img" 2>&1 | grep -o '"index": *[0-9]*')
  t32=$("$bin" --top 1 --json "$models/resnet50/model.onnx" "$img" 2>&1 | grep -o '"index": *[0-9]*')
  if [ -n "$t16" ] && [ "$t16" = "$t32" ]; then
    passed=$((passed + 1)); echo "PASS resnet50_fp16 classifies photo.jpg as resnet50 does ($t16)"
  else
    failed=$((failed + 1)); echo "FAIL resnet50_fp16 classifies photo.jpg as '$t16', resnet50 as '$t32'"
  fi
fi
echo "models: $passed passed, $failed failed"
[ $failed -eq 0 ]

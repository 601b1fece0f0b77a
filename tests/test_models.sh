#!/usr/bin/env bash
# The seed architectures end to end: makes the PyTorch exports (cached in
# $ONNXRUN_MODELS, regenerated when missing) and checks each with
# `onnxrun --check`: max|ours - ref| / max|ref| <= 1e-4 and identical top-5.
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
  if out=$("$bin" --check --max-rel 1e-4 --top 5 "$models/$n" 2>&1); then
    passed=$((passed + 1)); verdict=PASS
  else
    failed=$((failed + 1)); verdict=FAIL
  fi
  echo "$verdict $n: $(echo "$out" | tr '\n' ' ')"
done
echo "models: $passed passed, $failed failed"
[ $failed -eq 0 ]

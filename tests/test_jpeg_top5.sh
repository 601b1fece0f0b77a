#!/usr/bin/env bash
# The acceptance test "on a torchvision-exported model and a real image,
# onnxrun's top-5 equals PyTorch's on the same preprocessed tensor": for
# each model (default resnet50 googlenet mobilenet_v2 alexnet_caffe; the
# last takes BGR 0..255 pixels minus a mean, from its metadata) and each
# image (the committed photo.jpg and rgb.png), runs
#   onnxrun --json --save-input X.pb MODEL IMAGE
# then tools/torch_classify.py (the module make_models.py exported, same
# seeded weights) on X.pb, and requires the same five indices in the same
# order. The saved tensor must carry the model's input name and shape.
# Models are made in $ONNXRUN_MODELS when missing, as test_models.sh does.
# First, cheap checks of --save-input itself on the shipped LeNet-5: the
# first batch is saved, an image's tensor is the same alone or in a batch,
# and its errors (unwritable file: exit 1; no value, wrong form: exit 2).
#   test_jpeg_top5.sh ONNXRUN_BINARY SOURCE_DIR [NAME...]
set -uo pipefail
bin=${1:?usage: test_jpeg_top5.sh ONNXRUN_BINARY SOURCE_DIR [NAME...]}
root=${2:?usage: test_jpeg_top5.sh ONNXRUN_BINARY SOURCE_DIR [NAME...]}
shift 2
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
py=/usr/bin/python3
models=${ONNXRUN_MODELS:-$HOME/.cache/onnxrun/models}
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(resnet50 googlenet mobilenet_v2 alexnet_caffe)
images=("$root/tests/data/images/photo.jpg" "$root/tests/data/images/rgb.png")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jpeg_top5.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---- --save-input itself (LeNet-5: dynamic batch, 1x32x32 gray) ----
ok=0
bad=0
check() {  # check NAME WANT_STATUS [OUTPUT_REGEX]: judges the last run by $rc and $tmp/err
  if [ "$rc" -eq "$2" ] && { [ -z "${3:-}" ] || grep -Eq -- "$3" "$tmp/err"; }; then ok=$((ok + 1))
  else bad=$((bad + 1)); echo "FAIL --save-input: $1 (exit $rc, stderr: $(tr '\n' ' ' <"$tmp/err"))"; fi
}
lenet=$root/data/lenet5/model.onnx
"$bin" --save-input "$tmp/batch.pb" --batch 4 "$lenet" "$root/data/digits" >/dev/null 2>"$tmp/err"; rc=$?
check "a folder in batches of 4" 0
"$bin" --save-input "$tmp/one.pb" "$lenet" "$root/data/digits/digit_0.png" >/dev/null 2>"$tmp/err"; rc=$?
check "one image" 0
"$py" - "$tmp/batch.pb" "$tmp/one.pb" >"$tmp/err" 2>&1 <<'EOF'
import sys
import numpy as np
import onnx, onnx.numpy_helper as nh
def load(p):
    t = onnx.TensorProto()
    t.ParseFromString(open(p, "rb").read())
    return t.name, nh.to_array(t)
(nb, b), (n1, one) = load(sys.argv[1]), load(sys.argv[2])
assert nb == n1 == "input", (nb, n1)
assert b.shape == (4, 1, 32, 32) and one.shape == (1, 1, 32, 32), (b.shape, one.shape)
assert np.array_equal(b[:1], one), "digit_0 differs alone and in the batch"
assert len(np.unique(b.reshape(4, -1), axis=0)) == 4, "the batch holds repeated images"
print("saved tensors ok")
EOF
rc=$?
check "the first batch is saved, the same bits as alone" 0 "saved tensors ok"
"$bin" --save-input "$tmp/no/such/x.pb" "$lenet" "$root/data/digits/digit_0.png" >/dev/null 2>"$tmp/err"; rc=$?
check "unwritable file" 1 "^onnxrun: --save-input: .*/no/such/x.pb: cannot open"
"$bin" --save-input= "$lenet" "$root/data/digits/digit_0.png" >/dev/null 2>"$tmp/err"; rc=$?
check "empty file name" 2 "wants a file name"
"$bin" --check --save-input "$tmp/x.pb" "$root/data/lenet5" >/dev/null 2>"$tmp/err"; rc=$?
check "not an option of --check" 2 "not an option of --check"
[ -e "$tmp/x.pb" ] && { bad=$((bad + 1)); echo "FAIL --save-input: --check wrote the file"; }
echo "save-input: $ok checks passed, $bad failed"

# ---- top-5 against PyTorch ----
"$py" "$root/tools/make_models.py" "$models" "${names[@]}" >/dev/null ||
  { echo "test_jpeg_top5: model generation failed" >&2; exit 1; }

passed=0
failed=0
printf '%-14s %-10s  %-24s  %-24s\n' model image onnxrun pytorch
for n in "${names[@]}"; do
  # onnxrun on every image first, so that PyTorch builds the model once
  pbs=()
  ours=()
  for k in "${!images[@]}"; do
    img=${images[$k]}
    pb="$tmp/$n.$k.pb"
    top=""
    if "$bin" --json --save-input "$pb" "$models/$n/model.onnx" "$img" >"$tmp/out" 2>"$tmp/err"; then
      # indices from the JSON; the saved tensor must be named and shaped as the model's input
      top=$("$py" - "$tmp/out" "$pb" "$models/$n/model.onnx" <<'EOF' 2>>"$tmp/err"
import json, math, sys
import onnx
out, pb, model = sys.argv[1:]
objs = [json.loads(l) for l in open(out)]
assert len(objs) == 1, "%d JSON objects" % len(objs)
t = onnx.TensorProto()
t.ParseFromString(open(pb, "rb").read())
g = onnx.load(model, load_external_data=False).graph
inits = {i.name for i in g.initializer}
x = [i for i in g.input if i.name not in inits][0]
dims = [d.dim_value for d in x.type.tensor_type.shape.dim]
assert t.name == x.name, "saved tensor named %r, input is %r" % (t.name, x.name)
assert t.data_type == onnx.TensorProto.FLOAT, "data_type %d" % t.data_type
assert list(t.dims) == dims, "saved dims %s, input %s" % (list(t.dims), dims)
assert len(t.raw_data) == 4 * math.prod(dims), "raw_data of %d bytes" % len(t.raw_data)
print(" ".join(str(o["index"]) for o in objs[0]["top"]))
EOF
)
    fi
    ours[$k]=$top
    if [ -n "$top" ]; then
      pbs+=("$pb")
    else
      echo "onnxrun on $n $(basename "$img") failed: $(tr '\n' ' ' <"$tmp/err")" >&2
    fi
  done
  theirs=()
  if [ ${#pbs[@]} -gt 0 ]; then
    mapfile -t theirs < <("$py" "$root/tools/torch_classify.py" "$n" "${pbs[@]}" 2>"$tmp/terr" |
                         sed -n 's/^top5 //p')
    [ ${#theirs[@]} -eq ${#pbs[@]} ] ||
      { echo "torch_classify on $n failed: $(tr '\n' ' ' <"$tmp/terr")" >&2; theirs=(); }
  fi
  j=0
  for k in "${!images[@]}"; do
    mine=${ours[$k]}
    torch=""
    if [ -n "$mine" ]; then torch=${theirs[$j]:-}; j=$((j + 1)); fi
    if [ -n "$mine" ] && [ "$mine" = "$torch" ] && [ "$(wc -w <<<"$mine")" -eq 5 ]; then
      passed=$((passed + 1)); verdict=PASS
    else
      failed=$((failed + 1)); verdict=FAIL
    fi
    printf '%-14s %-10s  %-24s  %-24s  %s\n' "$n" "$(basename "${images[$k]}")" \
      "${mine:-(failed)}" "${torch:-(failed)}" "$verdict"
  done
done
echo "jpeg top5: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $bad -eq 0 ]

#!/usr/bin/env bash
# tests/test_cli.sh - the onnxrun command line end to end: exit statuses and
# messages of every form, --check on passing and failing test folders, the
# --info table, --bench, classification of generated colour images by a
# generated model whose answer is known, batching, JSON output, and (when
# data/lenet5 and data/digits are there) every shipped digit classified right.
#   bash tests/test_cli.sh BUILD/onnxrun SOURCE_DIR
# Needs /usr/bin/python3 with onnx, numpy and PIL (Debian's) for the
# generated models and images, and libonnx-testdata's node tests.
set -u
bin=${1:?usage: test_cli.sh ONNXRUN SOURCE_DIR}
src=${2:?usage: test_cli.sh ONNXRUN SOURCE_DIR}
py=/usr/bin/python3
node=/usr/share/libonnx-testdata/data/node
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
skipped=0

pass() { echo "ok    $1"; }
fail() {
    echo "FAIL  $1"
    echo "----- stdout"; head -c 3000 "$tmp/out"
    echo "----- stderr"; head -c 3000 "$tmp/err"
    failures=$((failures + 1))
}
# run CMD...: runs it with stdout/stderr in $tmp/out, $tmp/err and the status in $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
# expect NAME STATUS [STDOUT-REGEX [STDERR-REGEX]]: checks the last run
expect() {
    local name=$1 want=$2 outre=${3:-} errre=${4:-}
    if [ "$rc" -ne "$want" ]; then fail "$name: exit status $rc, expected $want"; return; fi
    if [ -n "$outre" ] && ! grep -Eq -- "$outre" "$tmp/out"; then fail "$name: stdout lacks /$outre/"; return; fi
    if [ -n "$errre" ] && ! grep -Eq -- "$errre" "$tmp/err"; then fail "$name: stderr lacks /$errre/"; return; fi
    pass "$name"
}
# the sanitizers must not have said anything
clean_stderr() {
    if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/err"; then fail "$1: sanitizer report"; else pass "$1: no sanitizer report"; fi
}

# ---- usage ----
run "$bin"
expect "no arguments: usage on stderr, exit 2" 2 "" "^Usage: onnxrun"
[ -s "$tmp/out" ] && fail "no arguments: stdout not empty"
for form in "" --check --info --bench; do
    run "$bin" $form --help
    expect "help of '${form:-classify}'" 0 "^Usage: onnxrun ${form:+\\$form}"
done
run "$bin" --version
expect "--version" 0 "^onnxrun [0-9]+\.[0-9]+\.[0-9]+$"
run "$bin" --frobnicate model.onnx x.png
expect "unknown flag: exit 2" 2 "" "^onnxrun: unknown option '--frobnicate'"
run "$bin" --check --json "$node/test_relu"
expect "flag of another form: exit 2" 2 "" "^onnxrun: --json is not an option of --check"
run "$bin" --check --info x
expect "two forms: exit 2" 2 "" "cannot be combined"
for bad in "--top 0" "--top x" "--threads -1" "--resize sideways" "--mean 1,2" "--std 0" "--scale inf" "--size 0" "--top"; do
    run "$bin" $bad "$node/test_relu/model.onnx" x.png
    expect "bad value '$bad': exit 2" 2 "" "^onnxrun: --"
done
run "$bin" --bench a.onnx b.onnx
expect "--bench with two models: exit 2" 2 "" "exactly one model"
run "$bin" model.onnx
expect "classify without images: exit 2" 2 "" "no image"

# ---- --check ----
run "$bin" --check "$node/test_relu" "$node/test_add"
expect "--check two passing node tests" 0 "^PASS .*test_relu/test_data_set_0" 
[ "$(grep -c '^PASS' "$tmp/out")" = 2 ] && pass "--check: one PASS line per data set" || fail "--check: PASS lines"
cp -r "$node/test_relu" "$tmp/wrong"
cp "$node/test_abs/test_data_set_0/output_0.pb" "$tmp/wrong/test_data_set_0/output_0.pb"
run "$bin" --check "$tmp/wrong"
expect "--check with a wrong reference fails" 1 "^FAIL .*wrong/test_data_set_0 +max_abs [0-9.e+-]+ +max_rel"
run "$bin" --check "$node/test_relu" "$tmp/wrong"
expect "--check: one failing folder fails the run" 1 "^PASS .*test_relu" 
run "$bin" --check --max-rel 2 "$tmp/wrong"
expect "--check --max-rel loose enough passes" 0 "^PASS"
run "$bin" --check "$tmp/nothing-here"
expect "--check on a missing folder" 1 "" "nothing-here"
mkdir -p "$tmp/tree" && cp -r "$node/test_relu" "$node/test_add" "$tmp/tree/"
run "$bin" --check "$tmp/tree"
expect "--check on a folder of test folders" 0 "2 folders: 2 passed, 0 failed"

# ---- --info ----
run "$bin" --info "$node/test_conv_with_strides_padding/model.onnx"
expect "--info on a node test" 0 "^ +1  .*Conv +\[1,1,4,3\] +12 " 
rows=$(grep -Ec '^ +[0-9]+  ' "$tmp/out")
[ "$rows" = 1 ] && pass "--info: one row per node" || fail "--info: $rows rows, expected 1"
for total in '^parameters ' '^MACs +108 ' '^arena ' '^lower bound ' '^arena / lower bound '; do
    grep -Eq "$total" "$tmp/out" && pass "--info total /$total/" || fail "--info total /$total/"
done

# ---- generated models and images ----
if ! $py -c 'import onnx, numpy, PIL' 2>/dev/null; then
    echo "skip  generated models (no onnx/numpy/PIL for $py)"
    skipped=$((skipped + 1))
else
$py - "$tmp" <<'EOF' || { echo "FAIL  making the test models"; exit 1; }
import sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from PIL import Image
out = sys.argv[1]

def save(nodes, inputs, outputs, inits, meta, name):
    g = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    for k, v in meta.items():
        p = m.metadata_props.add(); p.key = k; p.value = v
    onnx.save(m, f"{out}/{name}")

# colour: logits = mean of each normalised channel, so a red image is class 0
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])
nodes = [helper.make_node("GlobalAveragePool", ["x"], ["g"], name="pool"),
         helper.make_node("Flatten", ["g"], ["f"], name="flat"),
         helper.make_node("Mul", ["f", "k"], ["y"], name="sharpen")]
k = numpy_helper.from_array(np.array([30.0], np.float32), "k")
save(nodes, [x], [y], [k], {"mean": "0", "std": "1", "labels": 'red,green "g",blue\\b'}, "colour.onnx")
# the same with a fixed batch of 1 and labels from a file only
x1 = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])
y1 = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])
save(nodes, [x1], [y1], [k], {"mean": "0", "std": "1"}, "colour1.onnx")
# Caffe-style preprocessing from the metadata: BGR, mean in B,G,R order, no scaling
c = numpy_helper.from_array(np.array([0.01], np.float32), "k")
save(nodes, [x], [y], [c], {"mean": "104,117,123", "std": "1,1,1", "scale": "1",
                            "channel_order": "BGR", "resize": "direct"}, "caffe.onnx")
Image.new("RGB", (20, 20), (200, 100, 50)).save(f"{out}/orange.png")
# 5 channels: cannot be fed from an image
x5 = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 5, 16, 16])
y5 = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])
save(nodes, [x5], [y5], [k], {}, "five.onnx")
# not an image model
v = helper.make_tensor_value_info("v", TensorProto.FLOAT, [2, 3])
w = helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 3])
save([helper.make_node("Relu", ["v"], ["w"])], [v], [w], [], {}, "vector.onnx")

for name, rgb in [("red", (250, 10, 10)), ("green", (10, 250, 10)), ("blue", (10, 10, 250))]:
    Image.new("RGB", (40, 30), rgb).save(f"{out}/{name}.png")
    Image.new("RGB", (30, 40), rgb).save(f"{out}/{name}.jpg", quality=95)
rng = np.random.default_rng(1)
Image.fromarray((rng.random((24, 20, 3)) * 255).astype(np.uint8)).save(f"{out}/noise.png")
data = open(f"{out}/noise.png", "rb").read()
open(f"{out}/truncated.png", "wb").write(data[: len(data) // 2])
open(f"{out}/text.png", "w").write("not an image\n")
open(f"{out}/labels.txt", "w").write("rouge\nvert\nbleu\n")
EOF

    run "$bin" "$tmp/colour.onnx" "$tmp/red.png" "$tmp/green.jpg" "$tmp/blue.png"
    expect "classify: exit 0" 0
    for c in "red.png:0:red" "green.jpg:1:green \"g\"" "blue.png:2:blue\\\\b"; do
        f=${c%%:*}; rest=${c#*:}; idx=${rest%%:*}; label=${rest#*:}
        if grep -A1 -F "$tmp/$f" "$tmp/out" | tail -1 | grep -Eq "^ +1 +1\.00000 +$idx +"; then
            pass "classify: $f is class $idx first"
        else fail "classify: $f is not class $idx first"; fi
    done
    grep -Fq 'green "g"' "$tmp/out" && pass "classify: labels from metadata" || fail "classify: labels from metadata"
    [ "$(grep -Ec '^ +[0-9] +[0-9.]+ +[0-9]+ ' "$tmp/out")" = 9 ] && pass "classify: top 3 of 3 classes per image" || fail "classify: row count"
    clean_stderr "classify"

    run "$bin" --top 1 --bgr "$tmp/colour.onnx" "$tmp/red.png"
    expect "--bgr swaps red and blue" 0 "^ +1 +1\.00000 +2 +blue"
    run "$bin" --top 1 --labels "$tmp/labels.txt" "$tmp/colour1.onnx" "$tmp/green.png" "$tmp/blue.jpg"
    expect "--labels FILE with a fixed batch of 1" 0 "^ +1 +1\.00000 +1 +vert"
    grep -Eq '^ +1 +1\.00000 +2 +bleu' "$tmp/out" && pass "fixed batch: second image" || fail "fixed batch: second image"

    # a folder: sorted, every image
    mkdir "$tmp/imgs" && cp "$tmp"/{red,green,blue}.{png,jpg} "$tmp/noise.png" "$tmp/imgs/" && cp "$tmp/labels.txt" "$tmp/imgs/"
    run "$bin" --top 2 "$tmp/colour.onnx" "$tmp/imgs"
    expect "classify a folder" 0
    got=$(grep -E '^/' "$tmp/out" | xargs -n1 basename | tr '\n' ' ')
    [ "$got" = "blue.jpg blue.png green.jpg green.png noise.png red.jpg red.png " ] && pass "folder: every image, sorted" || fail "folder: got '$got'"
    [ -s "$tmp/err" ] && fail "folder: stderr not empty (no tty: no progress bar)" || pass "folder: stderr clean"

    # one batch of several images gives what one image at a time gives
    run "$bin" --top 3 "$tmp/colour.onnx" "$tmp/noise.png" "$tmp/red.png" "$tmp/noise.png"; cp "$tmp/out" "$tmp/batch3"
    run "$bin" --top 3 --batch 1 "$tmp/colour.onnx" "$tmp/noise.png" "$tmp/red.png" "$tmp/noise.png"
    cmp -s "$tmp/out" "$tmp/batch3" && pass "batch of 3 = three batches of 1" || fail "batch of 3 differs from batches of 1"

    # JSON: parses, one object per image, strings escaped
    run "$bin" --json "$tmp/colour.onnx" "$tmp/red.png" "$tmp/blue.jpg"
    expect "--json: exit 0" 0
    if $py -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
assert len(objs) == 2, objs
assert objs[0]["image"].endswith("red.png") and objs[0]["top"][0]["index"] == 0
assert objs[1]["top"][0]["label"] == "blue\\b" and objs[1]["top"][0]["rank"] == 1
assert [t["rank"] for t in objs[0]["top"]] == [1, 2, 3]
assert abs(sum(t["prob"] for t in objs[0]["top"]) - 1) < 1e-4
assert any(t["label"] == "green \"g\"" for t in objs[0]["top"])
' "$tmp/out"; then pass "--json parses and holds the right values"; else fail "--json content"; fi

    # metadata preprocessing: planes B-104, G-117, R-123 = -54, -17, 77, times 0.01
    run "$bin" --json "$tmp/caffe.onnx" "$tmp/orange.png"
    expect "Caffe metadata: exit 0" 0
    if $py -c '
import json, math, sys
o = json.loads(open(sys.argv[1]).read())
z = [-0.54, -0.17, 0.77]
e = [math.exp(v) for v in z]
want = {i: e[i] / sum(e) for i in range(3)}
got = {t["index"]: t["prob"] for t in o["top"]}
assert [t["index"] for t in o["top"]] == [2, 1, 0], o
assert all(abs(got[i] - want[i]) < 1e-4 for i in range(3)), (got, want)
' "$tmp/out"; then pass "Caffe metadata: BGR order, mean in model order, scale 1"; else fail "Caffe metadata values"; fi
    run "$bin" --json --mean 0 --std 255 --scale 1 "$tmp/caffe.onnx" "$tmp/orange.png"
    $py -c '
import json, math, sys
o = json.loads(open(sys.argv[1]).read())
z = [50 / 255 * 0.01, 100 / 255 * 0.01, 200 / 255 * 0.01]
e = [math.exp(v) for v in z]
got = {t["index"]: t["prob"] for t in o["top"]}
assert all(abs(got[i] - e[i] / sum(e)) < 1e-4 for i in range(3)), got
' "$tmp/out" && pass "flags override the metadata" || fail "flags override the metadata"

    # errors name the file; the other images are still classified
    for f in text.png truncated.png missing.png; do
        run "$bin" "$tmp/colour.onnx" "$tmp/$f" "$tmp/red.png"
        expect "bad image $f: exit 1, named" 1 "red\.png" "^onnxrun: .*$f"
        clean_stderr "bad image $f"
    done
    run "$bin" "$tmp/five.onnx" "$tmp/red.png"
    expect "5-channel model: exit 1" 1 "" "^onnxrun: .*5 channels"
    run "$bin" "$tmp/vector.onnx" "$tmp/red.png"
    expect "non-image model: exit 1" 1 "" "^onnxrun: .*not an image tensor"
    run "$bin" "$tmp/text.png" "$tmp/red.png"
    expect "a model that is not a model: exit 1" 1 "" "^onnxrun: .*text\.png"
    run "$bin" --labels "$tmp/none.txt" "$tmp/colour.onnx" "$tmp/red.png"
    expect "missing labels file: exit 1" 1 "" "none\.txt"

    # --info and --bench on a model with a symbolic batch
    run "$bin" --info --batch 4 "$tmp/colour.onnx"
    expect "--info --batch 4" 0 "^ +1  pool +GlobalAveragePool +\[4,3,1,1\]"
    rows=$(grep -Ec '^ +[0-9]+  ' "$tmp/out")
    [ "$rows" = 3 ] && pass "--info: three rows" || fail "--info: $rows rows, expected 3"
    run "$bin" --info "$tmp/vector.onnx"
    expect "--info on a non-image model" 0 "Relu +\[2,3\]"
fi

# ---- --bench ----
run "$bin" --bench --runs 3 --warmup 1 "$node/test_conv_with_strides_padding/model.onnx"
expect "--bench" 0 "^latency +median [0-9.]+ ms, min [0-9.]+ ms"
grep -Eq '^peak RSS ' "$tmp/out" && pass "--bench: peak RSS" || fail "--bench: peak RSS"
grep -Eq '^isa +(portable|avx2|avx512)$' "$tmp/out" && pass "--bench: isa line" || fail "--bench: isa line"
ONNXRUN_ISA=portable run "$bin" --bench --runs 1 --warmup 0 "$node/test_conv_with_strides_padding/model.onnx"
expect "--bench with ONNXRUN_ISA=portable" 0 "^isa +portable$"
run "$bin" --bench --runs 1 --warmup 0 --isa avx2 "$node/test_conv_with_strides_padding/model.onnx"
if grep -q avx2 /proc/cpuinfo; then
    expect "--bench --isa avx2" 0 "^isa +avx2$"
else
    expect "--bench --isa avx2 on a CPU without it: capped" 0 "^isa +portable$"
fi
run "$bin" --bench --isa sse9 "$node/test_conv_with_strides_padding/model.onnx"
expect "--isa with an unknown name: exit 2" 2 "" "--isa wants portable, avx2 or avx512"
run "$bin" --check --isa portable "$node/test_conv_with_strides_padding"
expect "--check --isa portable" 0 "^PASS "
run "$bin" --bench --runs 2 --profile "$node/test_conv_with_strides_padding/model.onnx"
expect "--bench --profile" 0 "^per op type"
grep -Eq '^Conv +1 +[0-9.]+ +100\.0%' "$tmp/out" && pass "--profile: per-op row" || fail "--profile: per-op row"
grep -Eq '^Conv +.* +[0-9.]+ +[0-9]+% +im2col$' "$tmp/out" && pass "--profile: GFLOP/s, peak and algorithm per node" ||
    fail "--profile: GFLOP/s, peak and algorithm per node"
run "$bin" --bench --runs 2 "$node/test_expand_dim_changed/model.onnx"
[ "$rc" -le 1 ] && pass "--bench with an int64 input does not crash" || fail "--bench int64 input: status $rc"
run "$bin" --bench "$tmp/missing.onnx"
expect "--bench on a missing model" 1 "" "^onnxrun: .*missing\.onnx"

# ---- the shipped LeNet-5 on the shipped digits ----
model=$src/data/lenet5/model.onnx
if [ -f "$model" ] && ls "$src"/data/digits/digit_*.png >/dev/null 2>&1; then
    run "$bin" --top 1 "$model" "$src"/data/digits/digit_*.png
    expect "LeNet-5 on data/digits" 0
    for f in "$src"/data/digits/digit_*.png; do
        d=$(basename "$f" .png); d=${d#digit_}
        if grep -A1 -Fx "$f" "$tmp/out" | tail -1 | grep -Eq "^ +1 +[0-9.]+ +$d +$d\$"; then
            pass "LeNet-5: $(basename "$f") is $d"
        else fail "LeNet-5: $(basename "$f") is not classified $d"; fi
    done
    run "$bin" --json "$model" "$src/data/digits"
    expect "LeNet-5 --json on the folder" 0
    $py -c 'import json,sys;[json.loads(l) for l in sys.stdin]' <"$tmp/out" && pass "LeNet-5 --json parses" || fail "LeNet-5 --json parses"
    clean_stderr "LeNet-5"
    # the model file changes while --bench runs on it: truncated, overwritten
    # in place, deleted. The model was read whole at load: every run finishes.
    for change in truncate overwrite delete; do
        cp "$model" "$tmp/changing.onnx"
        "$bin" --bench --runs 30000 --threads 1 "$tmp/changing.onnx" >"$tmp/out" 2>"$tmp/err" &
        pid=$!
        sleep 0.2
        case $change in
            truncate) truncate -s 0 "$tmp/changing.onnx" ;;
            overwrite) head -c "$(stat -c %s "$model")" /dev/urandom 1<>"$tmp/changing.onnx" ;;
            delete) rm -f "$tmp/changing.onnx" ;;
        esac
        wait "$pid"; rc=$?
        expect "--bench survives the model file changing under it ($change)" 0 "latency"
    done
    # --timeout stops a long bench with exit status 124
    run "$bin" --bench --runs 1000000 --threads 1 --timeout 0.3 "$model"
    expect "--timeout stops the runs" 124 "" "stopped by --timeout 0.3 s"
    run "$bin" --bench --runs 2 --timeout 0 "$model"
    expect "--timeout 0 is refused" 2 "" "--timeout wants seconds"
    # --sessions: more sessions on the model share its packed weights
    run "$bin" --bench --runs 2 --threads 1 --sessions 3 "$model"
    expect "--bench --sessions 3" 0 "sessions  3 \(2 more made and run once" "" 
    grep -q "^shared    packed forms of the model" "$tmp/out" && pass "--bench reports shared packed forms" || fail "--bench reports shared packed forms"
    # --max-memory: a budget the plan meets, one it cannot, one that is not a size
    run "$bin" --info --threads 1 --max-memory 64M "$model"
    expect "--info --max-memory 64M" 0 "plan total .*budget 64.0 MiB"
    run "$bin" --info --threads 1 --max-memory 1K "$model"
    expect "--max-memory 1K is refused naming the smallest plan" 1 "" "memory budget: the smallest plan needs [0-9]+ bytes"
    run "$bin" --bench --max-memory 12X "$model"
    expect "--max-memory 12X is a usage error" 2 "" "--max-memory wants a size"
else
    echo "skip  LeNet-5 (no data/lenet5/model.onnx or data/digits)"
    skipped=$((skipped + 1))
fi

echo "$failures failure(s), $skipped section(s) skipped"
[ "$failures" -eq 0 ] || exit 1
# a section that could not run makes the whole test "skipped" (ctest's
# SKIP_RETURN_CODE), never "passed"
[ "$skipped" -eq 0 ] || exit 77

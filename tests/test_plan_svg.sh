#!/usr/bin/env bash
# onnxrun --info --plan-svg: the file parses as XML and holds one rectangle
# per planned tensor (the "buffers" line of --info).
#   test_plan_svg.sh ONNXRUN_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
for model in "$root/data/lenet5/model.onnx" \
             /usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d_groups/model.onnx \
             /usr/share/libonnx-testdata/data/node/test_concat_3d_axis_0/model.onnx; do
  out=$("$bin" --info --plan-svg "$tmp/plan.svg" "$model" 2>&1)
  want=$(echo "$out" | awk '/^buffers/ {print $2}')
  got=$(/usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
print(len(root.findall(".//{http://www.w3.org/2000/svg}rect")))' "$tmp/plan.svg" 2>&1)
  if [ -n "$want" ] && [ "$got" = "$want" ]; then
    passed=$((passed + 1)); echo "PASS $model: $got rectangles"
  else
    failed=$((failed + 1)); echo "FAIL $model: --info says '$want' buffers, the SVG has '$got'"; echo "$out"
  fi
done
"$bin" --info --plan-svg /nonexistent/dir/plan.svg "$root/data/lenet5/model.onnx" >/dev/null 2>"$tmp/err"
if [ $? -eq 1 ] && grep -q "/nonexistent/dir/plan.svg" "$tmp/err"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL unwritable path"; fi
echo "plan svg: $passed passed, $failed failed"
[ $failed -eq 0 ]

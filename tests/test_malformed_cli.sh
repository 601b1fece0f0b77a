#!/usr/bin/env bash
# Every file of tests/malformed/ through the command line: `onnxrun --info`
# and `onnxrun --bench` must exit 1 with the expected message on stderr.
#   test_malformed_cli.sh ONNXRUN_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
dir=$2/tests/malformed
passed=0
failed=0
while read -r file status want; do
  case "$file" in ''|'#'*) continue ;; esac
  want=${want% @session}
  for form in --info --bench; do
    err=$("$bin" $form "$dir/$file" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 1 ] && [[ "$err" == *"$want"* ]]; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL $form $file: exit $rc, stderr: $err (want: $want)"
    fi
  done
done < "$dir/EXPECTED"
echo "malformed cli: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]

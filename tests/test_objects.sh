#!/bin/bash
# test_objects.sh SIMD_NAMES OBJECTS... -- VARIANT_OBJECTS...
# The library's generic objects (every object of onnxrun_obj and onnx_proto
# but the SIMD micro-kernels named in SIMD_NAMES, comma-separated basenames)
# are baseline x86-64: objdump finds no ymm or zmm register in them. The
# AVX2 variant objects (ops/variant.h) must hold ymm code, or the check
# would pass on a build that dropped its flags. Exit 77 (skipped) without
# objdump.
set -u
command -v objdump >/dev/null || { echo "SKIP: objdump not found"; exit 77; }
simd=",$1,"; shift
generic=() variant=() seen_sep=0
for o in "$@"; do
  if [ "$o" = "--" ]; then seen_sep=1; continue; fi
  if [ $seen_sep = 1 ]; then variant+=("$o"); continue; fi
  b=$(basename "$o"); b=${b%.o}; b=${b%.c}
  case "$simd" in *",$b,"*) continue ;; esac
  generic+=("$o")
done
[ ${#generic[@]} -gt 10 ] && [ ${#variant[@]} -gt 5 ] || { echo "FAIL: too few objects (${#generic[@]} generic, ${#variant[@]} variant)"; exit 1; }
fail=0
for o in "${generic[@]}"; do
  n=$(objdump -d --no-show-raw-insn "$o" | grep -cE '%[yz]mm[0-9]')
  if [ "$n" != 0 ]; then
    echo "FAIL: $o: $n instructions on ymm/zmm registers in a baseline object:"
    objdump -d --no-show-raw-insn "$o" | grep -E '%[yz]mm[0-9]' | head -3
    fail=1
  fi
done
with_ymm=0
for o in "${variant[@]}"; do
  objdump -d --no-show-raw-insn "$o" | grep -qE '%ymm[0-9]' && with_ymm=$((with_ymm + 1))
done
if [ $with_ymm -lt 5 ]; then
  echo "FAIL: only $with_ymm of ${#variant[@]} AVX2 variant objects use ymm registers"
  fail=1
fi
[ $fail = 0 ] && echo "ok: ${#generic[@]} generic objects without ymm/zmm; $with_ymm of ${#variant[@]} AVX2 variant objects with ymm"
exit $fail

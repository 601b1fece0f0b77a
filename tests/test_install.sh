#!/usr/bin/env bash
# tests/test_install.sh - the installed package as a user meets it: installs
# the build into a temporary prefix, checks that the shared library exports
# only the onnxrun_* API (nm -D), then builds tools/example.c outside the
# source tree against that prefix twice - through pkg-config (shared, and
# static with --static) and through find_package(onnxrun) - and runs each
# on the shipped LeNet-5.
#   bash tests/test_install.sh BUILD_DIR SOURCE_DIR
set -u
build=${1:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: test_install.sh BUILD_DIR SOURCE_DIR}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
model=$src/data/lenet5/model.onnx
failures=0
ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; failures=$((failures + 1)); }

if ! cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"; echo "FAIL  cmake --install"; exit 1
fi
ok "cmake --install into a fresh prefix"
so=$(find "$prefix" -name 'libonnxrun.so.*.*' | head -n 1)
pc=$(find "$prefix" -name onnxrun.pc | head -n 1)
cfg=$(find "$prefix" -name onnxrunConfig.cmake | head -n 1)
for f in include/onnxrun.h bin/onnxrun; do
  [ -e "$prefix/$f" ] && ok "installed $f" || bad "installed $f"
done
[ -n "$so" ] && ok "installed $(basename "$so")" || bad "installed libonnxrun.so"
[ -n "$pc" ] && ok "installed onnxrun.pc" || bad "installed onnxrun.pc"
[ -n "$cfg" ] && ok "installed onnxrunConfig.cmake" || bad "installed onnxrunConfig.cmake"

# exported symbols: the API and nothing else
if [ -n "$so" ]; then
  nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sort >"$tmp/syms"
  total=$(wc -l <"$tmp/syms")
  others=$(grep -v '^onnxrun_' "$tmp/syms" | head -n 5 | tr '\n' ' ')
  if [ "$total" -gt 0 ] && [ -z "$others" ]; then ok "libonnxrun.so exports $total symbols, all onnxrun_*"
  else bad "libonnxrun.so exports non-API symbols: $others"; fi
  api=$(grep -c '^ONNXRUN_API' "$src/include/onnxrun.h")
  [ "$total" -eq "$api" ] && ok "every ONNXRUN_API function is exported ($api)" ||
    bad "exported $total symbols, the header declares $api"
fi

# pkg-config, shared and static
export PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir onnxrun)
if cc -o "$tmp/ex_pc" "$src/tools/example.c" $(pkg-config --cflags --libs onnxrun) -Wl,-rpath,"$libdir" \
     2>"$tmp/cc.log" && "$tmp/ex_pc" "$model" >"$tmp/out" 2>&1; then
  ok "example via pkg-config (shared) runs"
else
  cat "$tmp/cc.log" "$tmp/out" 2>/dev/null; bad "example via pkg-config (shared)"
fi
ldd "$tmp/ex_pc" 2>/dev/null | grep -q "$libdir/libonnxrun.so" && ok "it loads the installed libonnxrun.so" ||
  bad "example via pkg-config does not load $libdir/libonnxrun.so"
if cc -o "$tmp/ex_pcs" "$src/tools/example.c" -I"$prefix/include" "$libdir/libonnxrun.a" \
     $(pkg-config --static --libs-only-other --libs-only-l onnxrun | sed 's/-lonnxrun//') \
     2>"$tmp/cc.log" && "$tmp/ex_pcs" "$model" >"$tmp/out" 2>&1; then
  ok "example via pkg-config --static runs"
else
  cat "$tmp/cc.log" "$tmp/out" 2>/dev/null; bad "example via pkg-config --static"
fi

# find_package(onnxrun): shared and static targets
mkdir -p "$tmp/proj"
cp "$src/tools/example.c" "$tmp/proj/"
cat >"$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(uses_onnxrun C)
find_package(onnxrun 0.2 REQUIRED)
add_executable(ex_shared example.c)
target_link_libraries(ex_shared PRIVATE onnxrun::onnxrun)
add_executable(ex_static example.c)
target_link_libraries(ex_static PRIVATE onnxrun::onnxrun_static)
CM
if cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cm.log" 2>&1 &&
   cmake --build "$tmp/proj/build" >>"$tmp/cm.log" 2>&1; then
  for t in ex_shared ex_static; do
    "$tmp/proj/build/$t" "$model" >"$tmp/out" 2>&1 && ok "example via find_package ($t) runs" ||
      { cat "$tmp/out"; bad "example via find_package ($t)"; }
  done
else
  tail -n 30 "$tmp/cm.log"; bad "find_package(onnxrun) project"
fi

echo "$failures failed"
[ $failures -eq 0 ]

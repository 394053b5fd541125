#!/bin/sh
# Builds the native addon with AddressSanitizer + UndefinedBehaviorSanitizer into
# build-sanitize/ (the normal build/ is left alone) and runs the native kernel tests
# (test/backend/native-*.test.ts, small sizes) against it. Any ASan/UBSan report fails the run.
#   sh scripts/sanitize.sh            # build (incremental) and test
#   KILN_SANITIZE_TESTS='test/backend/native-ops.test.ts' sh scripts/sanitize.sh
# Needs g++ with libasan/libubsan (Debian: the compiler's own). Leak checking is off: node
# itself keeps allocations alive at exit.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/build-sanitize"
src="$out/src"
mkdir -p "$src/scripts"
# node-gyp always builds into ./build, so build a copy of the sources in its own folder.
cp binding.gyp "$src/"
cp scripts/find-gloo.mjs "$src/scripts/"
rm -rf "$src/native" && cp -r native "$src/native"
prefix=$(dirname "$(dirname "$(command -v node)")")
nodedir=""
[ -f "$prefix/include/node/common.gypi" ] && nodedir="--nodedir=$prefix"
gyp=$(node -p "require.resolve('node-gyp/bin/node-gyp.js')" 2>/dev/null ||
  echo "$prefix/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js")
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
(
  cd "$src"
  [ -f build/Makefile ] || KILN_NO_GLOO=1 node "$gyp" configure $nodedir
  CXXFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" node "$gyp" build --jobs=max $nodedir
)
addon="$src/build/Release/kiln_native.node"
tests=${KILN_SANITIZE_TESTS:-"test/backend/native-ops.test.ts test/backend/native-reduce.test.ts test/backend/native-window.test.ts test/backend/native-gemm.test.ts test/backend/native-conv.test.ts test/backend/native-conv-direct.test.ts test/backend/native-conv-nan.test.ts test/backend/native-linear-pack.test.ts"}
preload="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)"
log="$out/sanitize.log"
echo "sanitize: running $tests against $addon"
set +e
KILN_NATIVE_PATH="$addon" KILN_REQUIRE_NATIVE=1 LD_PRELOAD="$preload" \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  node --import tsx --test --test-reporter=dot $tests >"$log" 2>&1
status=$?
set -e
tail -20 "$log"
if grep -q -E 'ERROR: AddressSanitizer|runtime error:' "$log"; then
  echo "sanitize: sanitizer reports in $log"
  exit 1
fi
[ $status -eq 0 ] || { echo "sanitize: tests failed ($log)"; exit $status; }
echo "sanitize: clean"

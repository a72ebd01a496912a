#!/usr/bin/env bash
# README's test command: installs what the tests need, builds, runs the whole
# suite, then rebuilds with ASan+UBSan and runs the parser and I/O tests again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" test
jobs=$(nproc)

echo "== release build and full test suite"
"$root/scripts/build.sh" "$root/build"
(cd "$root/build" && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan+UBSan): input parsing, I/O and CLI tests"
"$root/scripts/build.sh" "$root/build-sanitize" -DFACELESS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd "$root/build-sanitize" &&
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$jobs" -L sanitize)

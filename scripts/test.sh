#!/usr/bin/env bash
# README's test command: installs what the tests need, builds, runs the whole
# suite, then rebuilds with ASan+UBSan and runs the whole suite again except
# the 264-copy registration suite (500 s in a release build, far longer under
# ASan; the registration code runs under ASan in the phantom and deface tests)
# and the efficacy suite (about 80 registrations and masks; the mask code runs
# under ASan in the mask, brain-mask and deface tests),
# then runs each fuzz target for 60 s (a crash fails the run; issue 21).
#   scripts/test.sh --fast: the everyday tier instead: a release build and the
#   tests labelled fast (tests/CMakeLists.txt), about two minutes on two cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" test
jobs=$(nproc)

if [ "${1:-}" = --fast ]; then
  echo "== release build and the fast tests (ctest -L fast)"
  "$root/scripts/build.sh" "$root/build"
  (cd "$root/build" && ctest --output-on-failure -j"$jobs" -L fast)
  exit 0
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--fast]" >&2
  exit 2
fi

echo "== release build and full test suite"
"$root/scripts/build.sh" "$root/build"
(cd "$root/build" && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan+UBSan): every test but the registration suite"
"$root/scripts/build.sh" "$root/build-sanitize" -DFACELESS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
(cd "$root/build-sanitize" &&
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j"$jobs" -E '^(unit\.test_register_suite|integration\.memcheck_cli|integration\.efficacy_anatomies)$')

echo "== fuzzing: each libFuzzer target (clang, ASan+UBSan) for 60 s"
BUILD_JOBS=$jobs "$root/tests/fuzz/run.sh" 60

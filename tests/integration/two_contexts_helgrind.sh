#!/usr/bin/env bash
# Two contexts on two threads (noise mode and registration, through the
# public API: tests/unit/test_two_contexts.c) under valgrind's helgrind:
# no data race may be reported (FFTW's planner runs under one lock,
# core/fft_plan.h). Each context uses one OpenMP thread, so the races helgrind
# would see are the test's two threads', not libgomp's own barriers.
set -u
: "${FACELESS_BUILD_DIR:?}"
# The release tier runs this; the ASan+UBSan tier (scripts/test.sh) skips it:
# valgrind cannot run a program built with ASan.
if ldd "${FACELESS:-/nonexistent}" 2>/dev/null | grep -q libasan; then
  echo "skip: ASan build (valgrind cannot run a program built with ASan); the release tier runs it"
  exit 77
fi
[ -f /usr/share/mricron/templates/ch2.nii.gz ] || { echo "SKIP: Debian's mricron-data (Colin27) missing"; exit 77; }
command -v valgrind >/dev/null || { echo "SKIP: valgrind missing (scripts/bootstrap.sh test installs it)"; exit 77; }
log=$(mktemp /tmp/faceless-helgrind-XXXXXX)
trap 'rm -f "$log"' EXIT
OMP_NUM_THREADS=1 valgrind --tool=helgrind --error-exitcode=99 --log-file="$log" \
  "$FACELESS_BUILD_DIR/tests/test_two_contexts"
rc=$?
races=$(grep -c 'Possible data race' "$log")
echo "two_contexts_helgrind: exit $rc, $races possible data races"
if [ $rc != 0 ] || [ "$races" != 0 ]; then
  grep -A25 -m3 'Possible data race\|Lock order' "$log" | head -80
  exit 1
fi

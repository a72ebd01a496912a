#!/usr/bin/env bash
# Memory limits that hold on clusters (issue 21): deface estimates its peak
# from the image's header and the outputs asked for, and refuses with exit 7,
# the estimate and the limit in one line, before reading a voxel, when the
# estimate exceeds the tightest of physical memory, the memory cgroup (v1 or
# v2) and what `ulimit -v` leaves; `--memory-share N` (batch -j N) divides
# the shared limits (memory, cgroup) by N.
set -u
: "${FACELESS:?}"
work=$(mktemp -d /tmp/faceless-mem-XXXXXX)
cg=
cleanup() {
  [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ch2=/usr/share/mricron/templates/ch2.nii.gz # 7 MiB of uint8 voxels; deface alone estimates about 32 MiB
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
o=$work/o
mkdir "$o"
# An ASan build (scripts/test.sh's sanitizer tier) reserves terabytes of
# address space for its shadow memory, so it cannot start under ulimit -v,
# and it needs several times the memory a release build does: there only the
# refusals are checked (the estimate does not depend on the build).
asan=0
ldd "$FACELESS" 2>/dev/null | grep -q libasan && asan=1
empty() { if [ -n "$(ls -A "$o")" ]; then bad "$1: left $(ls -A "$o")"; rm -rf "${o:?}"/* "$o"/.f*; else ok; fi; }
msg="^faceless: [^ ]*: needs about [0-9]* MiB (image [0-9]* MiB, x2.3 for deface[^)]*) but"

if [ $asan = 1 ]; then
  echo "note: ASan build: the ulimit -v cases are not run (its shadow memory needs the address space)"
else
# 1. ulimit -v below the estimate: exit 7, one line naming both numbers
(ulimit -v 30000; exec "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --threads 1) 2>"$work/err"
rc=$?
[ $rc = 7 ] && ok || bad "ulimit -v 30000: exit $rc, want 7 ($(cat "$work/err"))"
grep -q "$msg the address space left under ulimit -v is [0-9]* MiB; nothing read or written$" "$work/err" && ok ||
  bad "ulimit -v: message: $(cat "$work/err")"
[ "$(wc -l <"$work/err")" = 1 ] && ok || bad "ulimit -v: more than one line"
empty "ulimit -v"

# 2. ... before reading a voxel: the same refusal for a file whose voxels
# are cut off (read, it is exit 3)
head -c 300000 "$ch2" >"$work/cut.nii.gz"
"$FACELESS" deface "$work/cut.nii.gz" -o "$o/out.nii.gz" 2>/dev/null
rc=$?
[ $rc = 3 ] && ok || bad "cut file without a limit: exit $rc, want 3"
(ulimit -v 30000; exec "$FACELESS" deface "$work/cut.nii.gz" -o "$o/out.nii.gz" --threads 1) 2>"$work/err"
rc=$?
[ $rc = 7 ] && ok || bad "cut file under ulimit -v: exit $rc, want 7 (the voxels were read first: $(cat "$work/err"))"
empty "cut file"

# 3. What fits runs; the outputs asked for count: --render-out adds the
# render's copy (about 38 MiB at 1 mm) to the estimate.
(ulimit -v 70000; exec "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --threads 1) 2>"$work/err" && ok ||
  bad "ulimit -v 70000, deface alone: $(cat "$work/err")"
rm -f "$o/out.nii.gz"
(ulimit -v 70000; exec "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --render-out "$o/r.png" --threads 1) 2>"$work/err"
rc=$?
[ $rc = 7 ] && ok || bad "ulimit -v 70000 with --render-out: exit $rc, want 7"
empty "--render-out"
# ulimit -v is each process's own: --memory-share does not divide it
(ulimit -v 70000; exec "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --threads 1 --memory-share 8) 2>"$work/err" && ok ||
  bad "ulimit -v 70000, --memory-share 8: $(cat "$work/err")"
rm -f "$o/out.nii.gz"
fi
"$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --memory-share 0 2>/dev/null
[ $? = 2 ] && ok || bad "--memory-share 0 must be a usage error"

# 4. A memory cgroup (v2 memory.max or v1 memory.limit_in_bytes) of 100 MB:
# deface fits; a 1/4 share of it (--memory-share 4, batch -j 4) does not.
# Needs the right to make a cgroup (root, a delegated tree).
self=$(awk -F: '$1 == "0" && $2 == "" {print $3}' /proc/self/cgroup)
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' /proc/self/cgroup)
if [ -n "$v1" ] && [ -d "/sys/fs/cgroup/memory$v1" ]; then
  cg=/sys/fs/cgroup/memory${v1%/}/faceless-test-$$
  file=memory.limit_in_bytes
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cg=/sys/fs/cgroup${self%/}/faceless-test-$$
  file=memory.max
fi
if [ -n "$cg" ] && mkdir "$cg" 2>/dev/null && echo 100000000 >"$cg/$file" 2>/dev/null; then
  incg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"; }
  if [ $asan = 0 ]; then
    incg "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" 2>"$work/err" && ok || bad "cgroup 100 MB: $(cat "$work/err")"
    rm -f "$o/out.nii.gz"
  fi
  incg "$FACELESS" deface "$ch2" -o "$o/out.nii.gz" --memory-share 4 2>"$work/err"
  rc=$?
  [ $rc = 7 ] && ok || bad "cgroup 100 MB, --memory-share 4: exit $rc, want 7"
  grep -q "$msg its share of the memory limit of this job's cgroup (1/4: batch -j 4) is 24 MiB; nothing read or written$" \
    "$work/err" && ok || bad "cgroup: message: $(cat "$work/err")"
  empty "cgroup"
  # batch -j 4 passes the share on: the image fails with exit 7 in its log
  mkdir -p "$work/in/sub-01/anat"
  cp "$ch2" "$work/in/sub-01/anat/sub-01_T1w.nii.gz"
  incg "$FACELESS" batch "$work/in" "$work/out4" -j 4 --threads-per-job 1 -q 2>/dev/null
  rc=$?
  [ $rc = 10 ] && ok || bad "batch -j 4 in the cgroup: exit $rc, want 10"
  grep -q "(1/4: batch -j 4)" "$work/out4_qc/sub-01/anat/sub-01_T1w.nii.gz.log" 2>/dev/null && ok ||
    bad "batch -j 4: the job's log does not give its share"
  if [ $asan = 0 ]; then
    incg "$FACELESS" batch "$work/in" "$work/out1" -j 1 -q 2>"$work/err" && ok ||
      bad "batch -j 1 in the cgroup: $(cat "$work/err")"
  fi
else
  echo "note: cannot make a memory cgroup here; the cgroup cases were not run"
  cg=
fi

echo "memory_limits: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

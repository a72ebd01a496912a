#!/usr/bin/env bash
# Faults while writing never leave a partial output or a temporary behind, and
# never touch the input: file-size limit, full disk, read-only folder, SIGTERM
# and SIGKILL at random moments. Uses `faceless convert`; the deface tests run
# the same checks on the full pipeline.
set -u
: "${FACELESS:?}"
work=$(mktemp -d /tmp/faceless-fault-XXXXXX)
mnt=$work/mnt
# Only this shell cleans up: a SIGTERM that reaches a background job of
# section 4 after bash forked it but before it exec'd faceless makes that
# forked copy of the shell run this EXIT trap too, which removed $work (the
# input with it) in the middle of the run, about one run in ten under load.
owner=$BASHPID
cleanup() {
  [ "$BASHPID" = "$owner" ] || return 0
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT
ch2=/usr/share/mricron/templates/ch2.nii.gz
cp "$ch2" "$work/in.nii.gz"
sum_before=$(sha256sum <"$work/in.nii.gz")
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
no_leftovers() { # dir what
  if [ -n "$(ls -A "$1" 2>/dev/null | grep -v '^in.nii.gz$' | grep -v '^mnt$')" ]; then bad "$2: left $(ls -A "$1")"; else ok; fi
}

# 1. file-size limit (ulimit -f): clean error, exit 5
mkdir "$work/f"
(ulimit -f 200; "$FACELESS" convert "$work/in.nii.gz" "$work/f/out.nii" 2>"$work/err"); rc=$?
[ $rc = 5 ] && ok || bad "ulimit -f: exit $rc, want 5 ($(cat "$work/err"))"
grep -q "out.nii" "$work/err" && ok || bad "ulimit -f: message must name the output"
no_leftovers "$work/f" "ulimit -f"

# 2. full disk and 3. read-only folder, on a small tmpfs (needs mount rights)
mkdir "$mnt"
if mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
  "$FACELESS" convert "$work/in.nii.gz" "$mnt/out.nii" 2>"$work/err"; rc=$?
  [ $rc = 5 ] && ok || bad "disk full: exit $rc, want 5"
  grep -q "No space left" "$work/err" && ok || bad "disk full: reason not given: $(cat "$work/err")"
  no_leftovers "$mnt" "disk full"
  mount -o remount,ro "$mnt"
  "$FACELESS" convert "$work/in.nii.gz" "$mnt/out.nii.gz" 2>"$work/err"; rc=$?
  [ $rc = 5 ] && ok || bad "read-only folder: exit $rc, want 5"
  umount "$mnt"
else
  echo "note: cannot mount a tmpfs here; disk-full and read-only cases not run"
fi

# 4. SIGTERM and SIGKILL at random moments: the output is absent or complete.
mkdir "$work/k"
expected=$(gzip -dc "$ch2" | sha256sum)
RANDOM=42
for i in $(seq 1 30); do
  rm -f "$work/k/"* "$work/k/".faceless-tmp-* 2>/dev/null
  sig=TERM; [ $((i % 2)) = 0 ] && sig=KILL
  "$FACELESS" convert "$work/in.nii.gz" "$work/k/out.nii.gz" 2>/dev/null &
  pid=$!
  sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
  kill -$sig $pid 2>/dev/null
  wait $pid 2>/dev/null
  if [ -e "$work/k/out.nii.gz" ]; then
    [ "$(gzip -dc "$work/k/out.nii.gz" | sha256sum)" = "$expected" ] && ok || bad "kill -$sig run $i: partial output"
  else
    ok
  fi
  if [ $sig = TERM ] && ls -A "$work/k" | grep -q faceless-tmp; then bad "kill -TERM run $i: temporary left"; fi
done
[ "$(sha256sum <"$work/in.nii.gz")" = "$sum_before" ] && ok || bad "input changed"
echo "cli_fault_injection: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

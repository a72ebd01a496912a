#!/usr/bin/env bash
# Small messages of issue 21: batch into an output folder it cannot make or
# cannot write says so up front (exit 5, one line, no image tried, no claim of
# a summary); --threads out of range gives the range.
set -u
: "${FACELESS:?}"
work=$(mktemp -d /tmp/faceless-msg-XXXXXX)
mnt=$work/ro
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
mkdir -p "$work/in/sub-01/anat"
cp /usr/share/mricron/templates/ch2.nii.gz "$work/in/sub-01/anat/sub-01_T1w.nii.gz"

# 1. an output folder whose parent does not exist: not an "overlap"
"$FACELESS" batch "$work/in" "$work/no/such/out" 2>"$work/err"
rc=$?
[ $rc = 5 ] && ok || bad "uncreatable root: exit $rc, want 5"
[ "$(cat "$work/err")" = "faceless: $work/no/such/out: cannot write the output folder (No such file or directory)" ] &&
  ok || bad "uncreatable root: $(cat "$work/err")"

# 2. a read-only output folder (root ignores permissions: a read-only tmpfs)
mkdir "$mnt"
if mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null && mkdir "$mnt/out" && mount -o remount,ro "$mnt"; then
  "$FACELESS" batch "$work/in" "$mnt/out" 2>"$work/err"
  rc=$?
  [ $rc = 5 ] && ok || bad "read-only root: exit $rc, want 5"
  [ "$(cat "$work/err")" = "faceless: $mnt/out: cannot write the output folder (Read-only file system)" ] && ok ||
    bad "read-only root: $(cat "$work/err")"
else
  echo "note: cannot mount a tmpfs here; the read-only root case was not run"
fi

# 3. --threads beyond the range
"$FACELESS" deface "$work/in/sub-01/anat/sub-01_T1w.nii.gz" --threads 1000000 2>"$work/err"
rc=$?
[ $rc = 2 ] && ok || bad "--threads 1000000: exit $rc, want 2"
[ "$(cat "$work/err")" = "faceless deface: --threads 1000000: a whole number from 0 to 4096" ] && ok ||
  bad "--threads 1000000: $(cat "$work/err")"
[ -z "$(ls "$work/in/sub-01/anat" | grep -v '^sub-01_T1w.nii.gz$')" ] && ok || bad "--threads: something written"

echo "cli_messages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

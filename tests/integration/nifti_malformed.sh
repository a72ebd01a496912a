#!/usr/bin/env bash
# Every malformed NIfTI file gets one clear line on stderr naming the file and
# the reason, the documented exit code, and no output (not even a temporary).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
work=$(mktemp -d /tmp/faceless-malformed-XXXXXX)
trap 'chmod -R u+rwx "$work"; rm -rf "$work"' EXIT
mkdir "$work/in" "$work/out"
"$FACELESS_BUILD_DIR/tests/make_malformed" "$work/in" >"$work/list" || { echo "make_malformed failed"; exit 1; }
pass=0 fail=0
check() { # name expected_code file...
  local name=$1 want=$2; shift 2
  local err="$work/err" out="$work/out/$name.out.nii.gz"
  "$FACELESS" convert "$@" "$out" 2>"$err" >/dev/null
  local got=$?
  local lines; lines=$(wc -l <"$err")
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, want $want: $(cat "$err")"; fail=$((fail + 1)); return
  fi
  if [ "$lines" != 1 ] || ! grep -q "^faceless: .*$(basename "$1" | sed 's/\..*//')" "$err"; then
    echo "FAIL $name: stderr must be one line naming the file, got: $(cat "$err")"; fail=$((fail + 1)); return
  fi
  if [ -n "$(ls -A "$work/out")" ]; then
    echo "FAIL $name: output left behind: $(ls -A "$work/out")"; fail=$((fail + 1)); rm -f "$work/out/"* "$work/out/".??*; return
  fi
  pass=$((pass + 1))
}
while read -r name code; do
  case "$name" in pair_short_img.img) continue ;; esac
  check "$name" "$code" "$work/in/$name"
done <"$work/list"
check missing 3 "$work/in/does_not_exist.nii"
mkdir "$work/in/a_directory.nii"
check directory 3 "$work/in/a_directory.nii"
if [ "$(id -u)" != 0 ]; then
  cp "$work/in/truncated_data.nii" "$work/in/unreadable.nii"; chmod 000 "$work/in/unreadable.nii"
  check unreadable 3 "$work/in/unreadable.nii"
else
  echo "note: running as root, the no-read-permission case cannot be made"
fi
total=$((pass + fail))
[ "$total" -ge 30 ] || { echo "FAIL: only $total malformed cases"; fail=$((fail + 1)); }
echo "nifti_malformed: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

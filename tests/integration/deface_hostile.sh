#!/usr/bin/env bash
# Hostile but well-formed inputs (issue 9): each gets a correct result or a
# clear refusal, never a crash and never a silently wrong file. A refusal is
# one line on stderr, a documented exit code and no output; a result keeps
# every brain voxel (ch2bet) unchanged.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
work=$(mktemp -d /tmp/faceless-hostile-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/in" "$work/out"
ch2=/usr/share/mricron/templates/ch2.nii.gz
"$FACELESS_BUILD_DIR/tests/make_hostile" "$ch2" "$work/in" >"$work/list" || { echo "make_hostile failed"; exit 1; }
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
while read -r name expect; do
  out=$work/out/$name
  "$FACELESS" deface "$work/in/$name" "$out" 2>"$work/err" >/dev/null
  rc=$?
  case $rc in
    0)
      if [ "$expect" = refuse ]; then bad "$name: written, must be refused"; continue; fi
      [ -f "$out" ] && ok || { bad "$name: exit 0 but no output"; continue; }
      # same grid as ch2: the brain must be untouched
      if "$FACELESS" info "$out" | grep -q "dims:        181 x 217 x 181"; then
        "$FACELESS_BUILD_DIR/tests/deface_check" "$work/in/$name" "$out" --brain /usr/share/mricron/templates/ch2bet.nii.gz \
          >"$work/check" && ok || bad "$name: brain voxels changed: $(grep -v '^ok' "$work/check" | head -3)"
      fi ;;
    3 | 4 | 6)
      if [ "$expect" = write ]; then bad "$name: refused (exit $rc: $(cat "$work/err")), must be written"; continue; fi
      [ -e "$out" ] && bad "$name: refused but an output exists" || ok
      [ "$(wc -l <"$work/err")" = 1 ] && grep -q "$name" "$work/err" && ok ||
        bad "$name: refusal must be one line naming the file: $(cat "$work/err")" ;;
    *)
      bad "$name: exit $rc (crash or undocumented code): $(tail -3 "$work/err")" ;;
  esac
  ls -A "$work/out" | grep -q faceless-tmp && bad "$name: temporary left behind"
done <"$work/list"
echo "deface_hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# Resume compares one fingerprint of every option that changes the output,
# the template set's checksum and the version (issue 17): a rerun with the
# same options skips the image; another --template, --brain-margin (also
# back to the default after a 7 mm run) or --mode redoes it. And batch takes
# every de-face option of the shared table with deface's range:
# --brain-margin 0, --min-trust, --scrub-nifti-text, --require-clean-headers.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
ch2=/usr/share/mricron/templates/ch2.nii.gz
[ -f "$ch2" ] || { echo "SKIP: $ch2 missing (Debian's mricron-data)"; exit 77; }
work=$(mktemp -d /tmp/faceless-fingerprint-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

mkdir -p "$work/in/s1"
cp "$ch2" "$work/in/s1/head.nii.gz"
# Another template set: the same images, gzip'd anew, so another checksum.
mkdir -p "$work/tpl2"
for f in head brain face guard; do
  gzip -dc "$FACELESS_SOURCE_DIR/templates/$f.nii.gz" | gzip -1 -n >"$work/tpl2/$f.nii.gz"
done
cmp -s "$work/tpl2/face.nii.gz" "$FACELESS_SOURCE_DIR/templates/face.nii.gz" && bad "the second template set has the same bytes"

report=$work/out_qc/s1/head.nii.gz.report.json
fp() { sed -n 's/.*"fingerprint": "\([0-9a-f]*\)".*/\1/p' "$report"; }
step() { # name expect(skipped|done) args...
  local name=$1 expect=$2
  shift 2
  "$FACELESS" batch "$work/in" "$work/out" --no-render --threads-per-job 2 "$@" 2>"$work/$name.log"
  local rc=$?
  [ $rc = 0 ] || { bad "$name: exit $rc: $(cat "$work/$name.log")"; return; }
  if [ "$expect" = skipped ]; then
    grep -q 'skipped' "$work/$name.log" && ! grep -q ': done (' "$work/$name.log" && ok ||
      bad "$name: not skipped: $(cat "$work/$name.log")"
  else
    grep -q ': done (' "$work/$name.log" && ok || bad "$name: not redone: $(cat "$work/$name.log")"
  fi
}

step first done
fp1=$(fp)
[ ${#fp1} = 64 ] && ok || bad "no fingerprint in the report: $(grep -A8 parameters "$report")"
step same skipped
step margin7 done --brain-margin 7
step margin_default done
[ "$(fp)" = "$fp1" ] && ok || bad "the default options gave another fingerprint"
step template done --template "$work/tpl2"
[ "$(fp)" != "$fp1" ] && ok || bad "another template set, the same fingerprint"
step template_same skipped --template "$work/tpl2"
step mode done --template "$work/tpl2" --mode noise
step seed done --template "$work/tpl2" --mode noise --seed 2
step seed_same skipped --template "$work/tpl2" --mode noise --seed 2

# The shared table's options, with deface's ranges.
step margin0 done --brain-margin 0
grep -q '"brain_margin_mm": 0,' "$report" && ok || bad "--brain-margin 0 not in the report"
step min_trust done --min-trust 0.2
step scrub done --scrub-nifti-text
grep -q '"verdict": "defaced"' "$report" && ok || bad "--scrub-nifti-text: $(grep verdict "$report")"
# ch2's header has text `faceless scan` finds (as `deface --require-clean-headers` refuses it)
"$FACELESS" deface "$ch2" -o "$work/clean.nii.gz" --require-clean-headers 2>/dev/null
want=$?
"$FACELESS" batch "$work/in" "$work/out" --no-render --require-clean-headers 2>"$work/clean.log"
rc=$?
[ $want = 6 ] && [ $rc = 10 ] && grep -q '(exit 6)' "$work/clean.log" && grep -q '"verdict": "refused_untrusted"' "$report" &&
  ok || bad "--require-clean-headers: deface exit $want, batch exit $rc: $(cat "$work/clean.log")"
"$FACELESS" batch "$work/in" "$work/out" --brain-margin 101 2>"$work/range.log"
rc=$?
[ $rc = 2 ] && grep -q -- '--brain-margin 101: a number of mm, 0 to 100' "$work/range.log" && ok ||
  bad "--brain-margin 101: exit $rc: $(cat "$work/range.log")"
"$FACELESS" batch "$work/in" "$work/out" --template "$work/nowhere" 2>"$work/tpl.log"
rc=$?
[ $rc = 3 ] && [ "$(wc -l <"$work/tpl.log")" = 1 ] && ok || bad "--template of no folder: exit $rc: $(cat "$work/tpl.log")"

# A template file cut short: read by io's NIfTI parser like any input, one line, exit 3.
mkdir -p "$work/tpl_cut"
cp "$work/tpl2/"*.nii.gz "$work/tpl_cut/"
gzip -dc "$work/tpl2/face.nii.gz" | head -c 300 | gzip -n >"$work/tpl_cut/face.nii.gz"
"$FACELESS" deface "$ch2" -o "$work/cut.nii.gz" --template "$work/tpl_cut" 2>"$work/cut.log"
rc=$?
[ $rc = 3 ] && [ "$(wc -l <"$work/cut.log")" = 1 ] && grep -q "tpl_cut/face.nii.gz: " "$work/cut.log" && [ ! -e "$work/cut.nii.gz" ] &&
  ok || bad "truncated template: exit $rc: $(cat "$work/cut.log")"

echo "batch_fingerprint: $pass passed, $fail failed"
[ "$fail" = 0 ]

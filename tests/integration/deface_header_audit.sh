#!/usr/bin/env bash
# faceless deface audits its input's headers (issue 7): a Colin27 copy with
# identifying text planted in descrip, aux_file and a comment extension.
#  - default: written, and the report's header_audit counts the findings;
#  - --require-clean-headers: refused (exit 6), one line naming the file, no
#    output; a clean input is still written;
#  - --scrub-nifti-text: the output has no descrip, aux_file or extension
#    (faceless scan finds nothing) while its voxels outside the mask and its
#    grid are as without the option.
# Uses only Debian's ch2 (mricron-data) and python3.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
ch2=/usr/share/mricron/templates/ch2.nii.gz
[ -r "$ch2" ] || { echo "skipped: $ch2 absent (Debian mricron-data)"; exit 77; }
PY=/usr/bin/python3
work=$(mktemp -d /tmp/faceless-audit-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

"$PY" "$FACELESS_SOURCE_DIR/tests/tools/plant_nifti_text.py" "$ch2" "$work/planted.nii" "Doe^Jane 1961-04-12" jdoe@hospital.org \
  "Referred by Dr. Miller, phone 555-123-4567" || { echo "FAIL planting"; exit 1; }
"$FACELESS" scan "$work/planted.nii" >/dev/null
[ $? = 1 ] && ok || bad "the planted copy must have findings"

# default: written, findings counted in the report
"$FACELESS" deface "$work/planted.nii" -o "$work/out.nii" --report-out "$work/r.json" 2>"$work/err"
[ $? = 0 ] && [ -f "$work/out.nii" ] && ok || bad "default deface: $(cat "$work/err")"
"$PY" - "$work/r.json" <<'PYEOF' && ok || bad "report header_audit"
import json, sys
a = json.load(open(sys.argv[1]))["header_audit"]
assert a["findings"] >= 3, a
PYEOF

# --require-clean-headers: refused, nothing written
"$FACELESS" deface "$work/planted.nii" -o "$work/refused.nii" --require-clean-headers 2>"$work/err"
rc=$?
[ $rc = 6 ] && [ ! -e "$work/refused.nii" ] && [ "$(wc -l <"$work/err")" = 1 ] &&
  grep -q "planted.nii: .*identifying-text findings" "$work/err" && ok || bad "require-clean: rc $rc: $(cat "$work/err")"

# --scrub-nifti-text: no text left, same voxels as without it
"$FACELESS" deface "$work/planted.nii" -o "$work/scrubbed.nii" --scrub-nifti-text 2>"$work/err"
[ $? = 0 ] && ok || bad "scrub: $(cat "$work/err")"
"$FACELESS" scan "$work/scrubbed.nii" >"$work/scan.txt"
[ $? = 0 ] && ok || bad "scrubbed output still has findings: $(cat "$work/scan.txt")"
grep -q "Doe\|Miller\|hospital" "$work/scrubbed.nii" && bad "scrubbed output holds the planted text" || ok
"$PY" - "$work/out.nii" "$work/scrubbed.nii" <<'PYEOF' && ok || bad "scrubbed voxels or grid differ"
import struct, sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
va, vb = int(struct.unpack_from("<f", a, 108)[0]), int(struct.unpack_from("<f", b, 108)[0])
assert a[va:] == b[vb:], "voxels"
# dims, datatype, pixdim; scaling and the rest up to descrip; codes and matrices
assert a[40:108] == b[40:108] and a[112:148] == b[112:148] and a[252:328] == b[252:328], "header fields"
PYEOF
# a clean input (the scrubbed output; Debian's ch2 itself has a user name in
# db_name) passes --require-clean-headers
"$FACELESS" deface "$work/scrubbed.nii" -o "$work/clean.nii" --require-clean-headers 2>"$work/err"
[ $? = 0 ] && [ -f "$work/clean.nii" ] && ok || bad "require-clean on a clean input: $(cat "$work/err")"
"$FACELESS" deface "$ch2" -o "$work/ch2_refused.nii.gz" --require-clean-headers 2>"$work/err"
[ $? = 6 ] && grep -q "ch2.nii.gz: 1 identifying-text findings" "$work/err" && ok ||
  bad "ch2's db_name (a user name in a path) must be found: $(cat "$work/err")"
echo "deface_header_audit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

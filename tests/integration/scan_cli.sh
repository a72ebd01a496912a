#!/usr/bin/env bash
# faceless scan on generated files: every planted identifying item is found
# where it was planted (tests/tools/make_scan_fixtures.py lists them), clean
# files give no finding, exit codes 0/1/errors, --json parses, values are
# masked unless asked, an allow-list policy clears a file, and the output
# does not depend on the thread count.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
PY=/usr/bin/python3
if ! "$PY" -c "import pydicom" 2>/dev/null; then
  echo "skipped: python3-pydicom is not installed (scripts/bootstrap.sh test installs it)"
  exit 77
fi
work=$(mktemp -d /tmp/faceless-scan-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
expect() { # description want_code command...
  local what=$1 want=$2; shift 2
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want; stderr: $(head -c 400 "$work/stderr")"; fi
}

"$PY" "$FACELESS_SOURCE_DIR/tests/tools/make_scan_fixtures.py" "$work/fx" || { echo "FAIL fixture generation"; exit 1; }
fx=$work/fx

# clean files: exit 0, zero findings (also in JSON)
expect "clean folder" 0 "$FACELESS" scan "$fx/clean"
grep -q "0 findings" "$work/stdout" || bad "clean folder summary: $(tail -1 "$work/stdout")"
expect "clean folder --json" 0 "$FACELESS" scan --json "$fx/clean"
"$PY" -m json.tool "$work/stdout" >/dev/null || bad "clean --json does not parse"
"$PY" - "$work/stdout" <<'EOF' || bad "clean JSON counts"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["findings"] == 0 and d["items"] == [] and d["files_scanned"] == 7 and d["complete"], d
EOF

# dirty files: every planted item found at its place by its detector
expect "dirty folder" 1 "$FACELESS" scan --json --show-values "$fx/dirty"
"$PY" -m json.tool "$work/stdout" >/dev/null || bad "dirty --json does not parse"
"$PY" - "$work/stdout" "$fx" <<'EOF' || bad "planted items not all found"
import json, os, sys
d = json.load(open(sys.argv[1]))
fx = sys.argv[2]
items = [i for i in d["items"] if i["level"] == "finding"]
missing = []
for line in open(os.path.join(fx, "expected.tsv")):
    rel, where, det = line.rstrip("\n").split("\t")
    path = os.path.join(fx, rel)
    if not any(i["file"] == path and where in i["where"] and i["detector"] == det for i in items):
        missing.append((rel, where, det))
for m in missing:
    print("  missing:", *m)
n = sum(1 for _ in open(os.path.join(fx, "expected.tsv")))
assert n >= 35, n
assert not missing
EOF

# values masked by default, shown on request
expect "dirty table" 1 "$FACELESS" scan "$fx/dirty/explicit.dcm"
grep -q "Doe^Jane" "$work/stdout" && bad "table shows a value without --show-values"
grep -q "Xxx^Xxxx" "$work/stdout" || bad "table lacks the masked value"
expect "dirty table --show-values" 1 "$FACELESS" scan --show-values "$fx/dirty/explicit.dcm"
grep -q "Doe^Jane" "$work/stdout" || bad "--show-values does not show the value"
expect "dirty --json masked" 1 "$FACELESS" scan --json "$fx/dirty"
grep -q "Doe^Jane\|1987-03-02\|jdoe@" "$work/stdout" && bad "JSON shows values without --show-values"

# a NIfTI given directly brings its sidecar
expect "nifti with sidecar" 1 "$FACELESS" scan --json "$fx/dirty/sub01.nii"
grep -q '"files_scanned": 2' "$work/stdout" || bad "sidecar not scanned with its image"
grep -q 'json:PatientBirthDate' "$work/stdout" || bad "sidecar finding missing"

# allow-list: a site that allows these attributes sees a clean file
cat >"$work/allow.txt" <<'EOF'
include-default
# this site keeps operator and patient names (study codes) and the address
PatientName keep
OperatorsName keep
(0008,0081) keep
EOF
expect "allow-list clears" 0 "$FACELESS" scan --policy "$work/allow.txt" "$fx/dirty/implicit.dcm" "$fx/dirty/bigendian.dcm"
expect "without the allow-list" 1 "$FACELESS" scan "$fx/dirty/implicit.dcm"
# strict allow-list: any private value is a finding
printf 'include-default\nprivate flag\n' >"$work/strict.txt"
"$FACELESS" scan --json --policy "$work/strict.txt" "$fx/dirty/explicit.dcm" >"$work/strict.json"
"$FACELESS" scan --json "$fx/dirty/explicit.dcm" >"$work/default.json"
"$PY" - "$work/strict.json" "$work/default.json" <<'EOF' || bad "strict private policy"
import json, sys
s, d = (json.load(open(p)) for p in sys.argv[1:3])
assert any(i["detector"] == "private" for i in s["items"]), s
assert not any(i["detector"] == "private" for i in d["items"]), d
EOF

# errors: exit codes are faceless_status numbers, findings so far kept
expect "missing file" 3 "$FACELESS" scan "$work/nope.dcm"
grep -q "nope.dcm: no such file" "$work/stderr" || bad "missing file message"
expect "truncated DICOM" 3 "$FACELESS" scan "$fx/bad/truncated.dcm"
grep -q "malformed DICOM at byte" "$work/stderr" || bad "truncated DICOM message"
expect "broken JSON" 3 "$FACELESS" scan --json "$fx/bad/broken.json"
"$PY" -m json.tool "$work/stdout" >/dev/null || bad "JSON with errors does not parse"
grep -q '"complete": false' "$work/stdout" || bad "incomplete scan not marked"
grep -q 'json:PatientName' "$work/stdout" || bad "finding before the JSON error lost"
expect "short NIfTI" 3 "$FACELESS" scan "$fx/bad/short.nii"
echo "just text" >"$work/notes.txt"
expect "unsupported file" 4 "$FACELESS" scan "$work/notes.txt"
mkdir "$work/mixed" && cp "$work/notes.txt" "$fx/clean/t2w.nii" "$work/mixed/"
expect "folder skips other files" 0 "$FACELESS" scan "$work/mixed"
echo "PatientName maybe" >"$work/badpolicy.txt"
expect "malformed policy" 3 "$FACELESS" scan --policy "$work/badpolicy.txt" "$fx/clean"
grep -q "badpolicy.txt: line 1" "$work/stderr" || bad "policy error names the line"
expect "no paths" 2 "$FACELESS" scan
expect "unknown option" 2 "$FACELESS" scan --frobnicate "$fx/clean"
expect "bad --threads" 2 "$FACELESS" scan --threads 0 "$fx/clean"
expect "--help" 0 "$FACELESS" scan --help
expect "--print-policy" 0 "$FACELESS" scan --print-policy
cmp -s "$work/stdout" "$FACELESS_SOURCE_DIR/policies/annex-e-basic.txt" || bad "--print-policy differs from policies/"
expect "quiet" 1 "$FACELESS" scan -q "$fx/dirty"
[ -s "$work/stdout" ] && bad "--quiet printed"

# same output for any thread count
"$FACELESS" scan --json --info --threads 1 "$fx" >"$work/t1.json" 2>/dev/null
"$FACELESS" scan --json --info --threads 2 "$fx" >"$work/t2.json" 2>/dev/null
cmp -s "$work/t1.json" "$work/t2.json" && ok || bad "output differs between 1 and 2 threads"

echo "scan_cli: $pass passed, $fail failed"
[ "$fail" = 0 ]

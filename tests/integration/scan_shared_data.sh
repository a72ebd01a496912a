#!/usr/bin/env bash
# faceless scan on the real scans in ../shared/data: the child MPRAGE series
# still holds its birth and study dates (must be found in all 192 files),
# the NIfTI heads carry only technical text (no finding: the T2w's descrip
# "TE=49" is not a date or an ID), and identifying text planted in copies of
# the real files (NIfTI descrip and extension, DICOM names, a nested
# sequence, a private tag) is found.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
data=${FACELESS_DATA:-}
if [ -z "$data" ] || [ ! -f "$data/MANIFEST.tsv" ]; then
  echo "skipped: ../shared/data (FACELESS_DATA) is absent"
  exit 77
fi
PY=/usr/bin/python3
work=$(mktemp -d /tmp/faceless-scan-data-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
child=$data/dicom/SAG-anon_MPRAGE_child

# the child series: dates found in every file
"$FACELESS" scan --json --show-values "$child" >"$work/child.json"
rc=$?
[ "$rc" = 1 ] && ok || bad "child series: exit $rc, want 1"
"$PY" - "$work/child.json" <<'PYEOF' && ok || bad "child series findings"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["files_scanned"] == 192 and d["errors"] == 0, (d["files_scanned"], d["errors"])
f = [i for i in d["items"] if i["level"] == "finding"]
def files_with(where):
    return len({i["file"] for i in f if where in i["where"]})
for where in ("(0010,0030) PatientBirthDate", "(0008,0020) StudyDate", "(0008,0022) AcquisitionDate"):
    assert files_with(where) == 192, (where, files_with(where))
birth = [i for i in f if "PatientBirthDate" in i["where"]]
assert all(i["value"] == "20090701" and i["detector"] == "birth-date" for i in birth)
# the placeholders of this series are information, not findings
assert not any("(0010,0010) PatientName" in i["where"] for i in f)
assert not any("ReferringPhysicianName" in i["where"] for i in f)
# the Siemens CSA blobs (90 KB of protocol text) give no finding
assert not any("(0029,1010)" in i["where"] or "(0029,1020)" in i["where"] for i in f)
PYEOF

# the NIfTI heads: no finding
expect_clean() {
  "$FACELESS" scan "$1" >"$work/out" 2>&1
  local rc=$?
  [ "$rc" = 0 ] && ok || bad "$(basename "$1"): exit $rc, want 0: $(head -5 "$work/out")"
}
for f in "$data"/nifti/*.nii.gz; do expect_clean "$f"; done

# planted text in a copy of the T2w head (descrip, aux_file, a comment extension)
"$PY" "$FACELESS_SOURCE_DIR/tests/tools/plant_nifti_text.py" "$data/nifti/niivue_register_T2w.nii.gz" "$work/t2w_planted.nii" "TE=49 Doe^Jane" jdoe@hospital.org \
  "Referred by Dr. Miller, phone 555-123-4567" || bad "planting NIfTI"
"$FACELESS" scan --json "$work/t2w_planted.nii" >"$work/t2w.json"
[ $? = 1 ] && ok || bad "planted T2w: want exit 1"
"$PY" - "$work/t2w.json" <<'PYEOF' && ok || bad "planted T2w findings"
import json, sys
d = json.load(open(sys.argv[1]))
got = {(i["where"].split(" ")[0], i["detector"]) for i in d["items"] if i["level"] == "finding"}
want = {("nifti:descrip", "person-name"), ("nifti:aux_file", "email"), ("nifti:ext[0]", "person-name"),
        ("nifti:ext[0]", "phone")}
assert want <= got, got
PYEOF
"$FACELESS" info "$work/t2w_planted.nii" >/dev/null && ok || bad "planted T2w is still a valid image"

# planted text in a copy of a child DICOM file (dcmodify: names, nested
# sequence; pydicom: a private tag)
src=$(ls "$child"/*.dcm | head -1)
cp "$src" "$work/planted.dcm"
if command -v dcmodify >/dev/null; then
  dcmodify -nb -m "(0010,0010)=Doe^Jane" -i "(0008,1070)=Miller^Ann" \
    -i "(0040,0275)[0].(0040,0006)=Smith^John" "$work/planted.dcm" >/dev/null 2>&1 || bad "dcmodify"
fi
if "$PY" -c "import pydicom" 2>/dev/null; then
  "$PY" - "$work/planted.dcm" <<'PYEOF' || bad "planting the private tag"
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
block = ds.private_block(0x0041, "ACME NOTES", create=True)
block.add_new(0x01, "LT", "Patient: Jane Doe, DOB 1987-03-02")
block.add_new(0x02, "OB", b"\x00\x01\x02owner jane.doe@example.org\x00\x00")
ds.save_as(sys.argv[1])
PYEOF
fi
"$FACELESS" scan --json --show-values "$work/planted.dcm" >"$work/planted.json"
"$PY" - "$work/planted.json" <<'PYEOF' && ok || bad "planted DICOM findings"
import json, shutil, sys
d = json.load(open(sys.argv[1]))
f = [i for i in d["items"] if i["level"] == "finding"]
def has(where, value=None, det=None):
    return any(where in i["where"] and (value is None or value in i["value"]) and (det is None or i["detector"] == det)
               for i in f)
if shutil.which("dcmodify"):
    assert has("(0010,0010) PatientName", "Doe^Jane"), "PatientName"
    assert has("(0008,1070) OperatorsName", "Miller^Ann"), "OperatorsName"
    assert has("(0040,0275)[0].(0040,0006)", "Smith^John"), "nested"
assert has("(0041,1001) private 'ACME NOTES'", "1987-03-02", "birth-date"), "private LT"
assert has("(0041,1001) private 'ACME NOTES'", "Jane Doe", "person-name"), "private LT name"
assert has("(0041,1002) private 'ACME NOTES'", "jane.doe@example.org", "email"), "private OB"
PYEOF

# the other real series: every file parses, and the enhanced XA30 file's
# birth date is found
"$FACELESS" scan --json "$data/dicom" >"$work/all.json"
"$PY" - "$work/all.json" <<'PYEOF' && ok || bad "all real DICOM"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["errors"] == 0, d["error_list"]
assert d["files_scanned"] == 192 + 1 + 35 + 9, d["files_scanned"]
xa = [i for i in d["items"] if "XA30" in i["file"] and "PatientBirthDate" in i["where"]]
assert xa and xa[0]["level"] == "finding"
PYEOF

echo "scan_shared_data: $pass passed, $fail failed"
[ "$fail" = 0 ]

#!/usr/bin/env bash
# The QC page's 3D view (issue 22) end to end: a batch of two heads, its page
# opened from disk in headless Chromium with software WebGL
# (tests/qc/qc_3d_check.js: NiiVue draws the de-faced head, a drag turns it,
# the picture changes, nothing is fetched), the decisions exported from the
# page (approve one, reject the other) applied by `faceless qc apply`, and
# `faceless qc status` then passes. The 3D view's data must be the de-faced
# result: every 2 mm block wholly inside the removed face is empty in it.
# Prints the page's size. The screenshot stays in the build folder
# (qc_3d_screenshot.png) for a person to look at.
# Skips (77) without chromium, chromedriver or node, or in a build without
# NiiVue (scripts/bootstrap.sh installs them; offline, npm cannot).
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}" "${FACELESS_BUILD_DIR:?}"
for tool in chromium chromedriver node python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "skipped: $tool is not installed (scripts/bootstrap.sh test)"; exit 77; }
done
CH2=/usr/share/mricron/templates/ch2.nii.gz
[ -f "$CH2" ] || { echo "skipped: $CH2 absent (Debian mricron-data)"; exit 77; }
work=$(mktemp -d /tmp/faceless-qc3d-XXXXXX)
. "$FACELESS_SOURCE_DIR/tests/qc/chromedriver.sh"
trap 'stop_chromedriver; rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

in=$work/in out=$work/out qc=$work/out_qc
mkdir -p "$in/sub-01/anat" "$in/sub-02/anat"
echo '{"Name": "qc 3d", "BIDSVersion": "1.8.0"}' >"$in/dataset_description.json"
cp "$CH2" "$in/sub-01/anat/sub-01_T1w.nii.gz"
cp "$CH2" "$in/sub-02/anat/sub-02_T1w.nii.gz"
echo '{"RepetitionTime": 2.3}' >"$in/sub-02/anat/sub-02_T1w.json"
start=$(date +%s.%N)
"$FACELESS" batch "$in" "$out" -q 2>"$work/err" || { echo "FAIL batch: $(cat "$work/err")"; exit 1; }
echo "batch of 2 images with the page: $(echo "$(date +%s.%N) - $start" | bc) s"
page=$qc/index.html
if ! grep -q 'class="view3d-data"' "$page"; then
  echo "skipped: this faceless was built without NiiVue (run scripts/bootstrap.sh test, then rebuild)"
  exit 77
fi
python3 - "$page" <<'PY'
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
v = [len(m) for m in re.findall(r'class="view3d-data"[^>]*>([^<]*)<', h)]
p = [len(m) for m in re.findall(r'src="data:image/png;base64,([^"]*)"', h)]
n = re.search(r"<script>\n(\(function\(sA,qA\).*?)\n</script>", h, re.S)
print(f"page size: {len(h.encode()) / 1e6:.2f} MB for {len(v)} images: NiiVue {len(n.group(1)) / 1e6 if n else 0:.2f} MB, "
      f"3D data {sum(v) / 1e3:.0f} kB ({v[0] / 1e3:.0f} kB each), renders {sum(p) / 1e3:.0f} kB")
PY

grep -q "Copyright (c) 2021, Niivue" "$page" && ok || bad "the page carries NiiVue without its licence"

# 1. the 3D data is the de-faced result: blocks wholly removed are empty
#    there, though the original has tissue in them
/usr/bin/python3 - "$page" "$CH2" "$out/sub-01/anat/sub-01_T1w.nii.gz" <<'PY' && ok || bad "the 3D view's data is not the de-faced result"
import base64, gzip, io, re, sys
import nibabel as nib, numpy as np
h = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'class="view3d-data"[^>]*data-skin="([0-9.]+)"[^>]*>([^<]*)<', h)
skin, raw = float(m.group(1)), gzip.decompress(base64.b64decode(m.group(2)))
v = nib.Nifti1Image.from_bytes(raw)
d = np.asarray(v.dataobj)
orig = np.asarray(nib.load(sys.argv[2]).dataobj).astype(float)
defaced = np.asarray(nib.load(sys.argv[3]).dataobj).astype(float)
assert d.dtype == np.uint8 and 0 < skin < 255, (d.dtype, skin)
# the 2 mm blocks of the 1 mm grid (whole blocks only)
n = [s // 2 for s in orig.shape]
def blocks(a):
    a = a[:2 * n[0], :2 * n[1], :2 * n[2]]
    return a.reshape(n[0], 2, n[1], 2, n[2], 2)
removed = blocks(orig != defaced).all(axis=(1, 3, 5))
tissue = blocks(orig).mean(axis=(1, 3, 5)) > np.percentile(orig, 75)
part = d[:n[0], :n[1], :n[2]]
assert np.allclose(v.affine[:3, :3], np.diag([2, 2, 2]) * np.sign(np.diag(nib.load(sys.argv[2]).affine[:3, :3])), atol=1e-4)
wiped = removed & tissue
print(f"3D data {d.shape}, skin level {skin}: {wiped.sum()} blocks of face tissue removed; "
      f"in them the data holds max {part[wiped].max() if wiped.any() else 0}; {int((part >= skin).sum())} blocks at or above skin level")
assert wiped.sum() > 500, "the de-facing removed too little to test"
assert part[wiped].max() == 0, "face tissue in the 3D view's data"
assert (part >= skin).sum() > 50000, "no head in the 3D view's data"
PY

# 2. in Chromium: drawn, turned, decisions exported
start_chromedriver "$work" || { echo "FAIL chromedriver did not start: $(cat "$work/chromedriver.log")"; exit 1; }
shot=$FACELESS_BUILD_DIR/qc_3d_screenshot.png
start=$(date +%s.%N)
node "$FACELESS_SOURCE_DIR/tests/qc/qc_3d_check.js" "$page" "$work" "$port" "$shot" && ok || bad "the 3D view in Chromium"
echo "Chromium part: $(echo "$(date +%s.%N) - $start" | bc) s; screenshot: $shot"
stop_chromedriver

# 3. the page's CSV through qc apply and qc status
csv=$work/downloads/qc-decisions.csv
if [ -f "$csv" ]; then
  "$FACELESS" qc apply "$csv" "$out" >"$work/apply.out" 2>"$work/err" && ok || bad "qc apply of the page's CSV: $(cat "$work/err")"
  grep -q "1 approved, 1 rejected, 0 pending" "$work/apply.out" && ok || bad "qc apply read: $(cat "$work/apply.out")"
  [ ! -e "$out/sub-02/anat/sub-02_T1w.nii.gz" ] && [ -f "$qc/rejected/sub-02/anat/sub-02_T1w.nii.gz" ] &&
    [ -f "$qc/rejected/sub-02/anat/sub-02_T1w.json" ] && ok || bad "the rejected image or its sidecar did not move"
  python3 -c 'import json, sys; q = json.load(open(sys.argv[1]))["qc_review"]; assert q["decision"] == "approved" and q["decided_at"].endswith("Z"), q' \
    "$qc/sub-01/anat/sub-01_T1w.nii.gz.report.json" && ok || bad "the approval (with the page's decided_at) is not recorded"
  "$FACELESS" qc status "$out" >"$work/st" 2>&1 && ok || bad "qc status after the page's decisions: $(cat "$work/st")"
else
  bad "no CSV exported from the page"
fi

echo "qc_3d_chromium: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

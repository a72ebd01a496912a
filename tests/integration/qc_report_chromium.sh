#!/usr/bin/env bash
# The QC page end to end in headless Chromium: `faceless report` over six
# output folders (a real before/after montage with a deface-style JSON report,
# a folder whose report is broken JSON, a folder with an awkward name and a
# report that tries to inject markup, and three BIDS anat folders of real
# `faceless deface` outputs, one with two reports: each entry its own render,
# distinct names), then tests/qc/qc_page_check.js drives
# Debian's chromium through chromium-driver (W3C WebDriver, Node's built-in
# fetch; no npm package and no browser download): every image loads, j/k and
# arrow navigation, approve/reject with a note, CSV and JSON export parsed
# back, decisions kept across a reload.
# Needs Debian's chromium, chromium-driver and nodejs (scripts/bootstrap.sh
# test): when they are missing this test FAILS, it never passes silently.
set -euo pipefail
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}" "${FACELESS_BUILD_DIR:?}"
for tool in chromium chromedriver node; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL: $tool is not installed; run scripts/bootstrap.sh test (Debian packages chromium chromium-driver nodejs)"
    exit 1
  fi
done
ch2=/usr/share/mricron/templates/ch2.nii.gz
if [ ! -f "$ch2" ]; then
  echo "skipped: $ch2 absent (Debian mricron-data)"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-qc-report.XXXXXX")
. "$FACELESS_SOURCE_DIR/tests/qc/chromedriver.sh"
cleanup() {
  stop_chromedriver
  rm -rf "$work"
}
trap cleanup EXIT

# Folder 1: before/after montage of Colin27 and a copy with the face zeroed
# (stand-in for `faceless deface` until it lands), with a report in the
# documented format (docs/report.md of the deface command).
mkdir -p "$work/out/sub-01" "$work/out/sub-02" "$work/out/sub-03 <odd & name>"
"$FACELESS_BUILD_DIR/tests/render_restore" "$ch2" "$work/zeroed.nii.gz" zeroface
"$FACELESS" render "$ch2" "$work/out/sub-01/sub-01_T1w_render.png" --after "$work/zeroed.nii.gz"
cat >"$work/out/sub-01/sub-01_T1w_report.json" <<'JSON'
{"report_version": 1, "tool": "faceless", "tool_version": "0.1.0", "verdict": "defaced", "exit_code": 0,
 "error": "", "parameters": {"mode": "zero"}, "template": {"name": "colin27"},
 "registration": {"trust": 0.93, "trusted": true},
 "mask": {"masked_voxels": 249000},
 "images": [{"input": "sub-01_T1w.nii.gz", "output": "sub-01_T1w_defaced.nii.gz", "voxels_changed": 104426}],
 "timings_seconds": {"read": 0.05, "register": 1.2, "total": 1.8},
 "warnings": ["a warning with <b>markup</b>"]}
JSON
# Folder 2: a single view and a truncated report.
"$FACELESS" render "$ch2" "$work/out/sub-02/front.png" --views front --size 128
printf '{"verdict": "refused", "registration": {"trust": 0.2' >"$work/out/sub-02/report.json"
# Folder 3: awkward name, two pictures, flat report fields, markup in a string.
"$FACELESS" render "$ch2" "$work/out/sub-03 <odd & name>/a.png" --views left --size 96
"$FACELESS" render "$ch2" "$work/out/sub-03 <odd & name>/b.png" --views right --size 96
printf '{"verdict":"defaced","trust":0.81,"voxels_changed":12,"note":"</script><script>alert(1)</script>"}' \
  >"$work/out/sub-03 <odd & name>/r.json"

# Folders 4 to 6, as `faceless deface --report-out --render-out` leaves them
# in a BIDS layout: sub-04/anat holds two images' reports and renders (render
# names never start with the report's name), sub-05/anat and sub-06/anat one
# each, sub-05 also a render an earlier run left there that its report does
# not name. Each entry must show
# its own render alone, and the entries need distinct names (not "anat" each):
# the page keeps approve/reject decisions under them.
mkdir -p "$work/out/sub-04/anat" "$work/out/sub-05/anat" "$work/out/sub-06/anat"
deface_into() { # IN SUBJECT STEM
  "$FACELESS" deface "$1" -o "$work/out/$2/anat/$3.nii.gz" --transform identity \
    --report-out "$work/out/$2/anat/$3.report.json" --render-out "$work/out/$2/anat/$3.render.png"
}
deface_into "$ch2" sub-04 sub-04_T1w
deface_into "$work/zeroed.nii.gz" sub-04 sub-04_T2w
deface_into "$ch2" sub-05 sub-05_T1w
deface_into "$work/zeroed.nii.gz" sub-06 sub-06_T1w
cp "$work/out/sub-04/anat/sub-04_T2w.render.png" "$work/out/sub-05/anat/sub-05_T1w.old.png"

"$FACELESS" report -o "$work/qc.html" --title "faceless QC test" \
  "$work/out/sub-01" "$work/out/sub-02" "$work/out/sub-03 <odd & name>" \
  "$work/out/sub-04/anat" "$work/out/sub-05/anat" "$work/out/sub-06/anat" >"$work/report.out" 2>"$work/report.err"
cat "$work/report.err" >&2
if [ "$(cat "$work/report.out")" != "faceless report: 7 subjects, 8 images -> $work/qc.html" ]; then
  echo "FAIL: report printed: $(cat "$work/report.out")"
  exit 1
fi
if ! grep -qF "sub-05/anat/sub-05_T1w.old.png: no report of its folder names it" "$work/report.err"; then
  echo "FAIL: no warning about the render no report names"
  exit 1
fi
if grep -qiE '(src|href)="https?:' "$work/qc.html"; then
  echo "FAIL: the page refers to a network resource"
  exit 1
fi

if ! start_chromedriver "$work"; then
  echo "FAIL: chromedriver did not start"; cat "$work/chromedriver.log"; exit 1
fi

cat >"$work/expect.json" <<JSON
{"port": $port, "subjects": [
  {"name": "sub-01", "images": 1, "verdict": "defaced", "trust": 0.93, "voxels_changed": 104426},
  {"name": "sub-02", "images": 1, "verdict": null, "trust": null, "voxels_changed": null},
  {"name": "sub-03 <odd & name>", "images": 2, "verdict": "defaced", "trust": 0.81, "voxels_changed": 12},
  {"name": "sub-04/anat/sub-04_T1w.report", "images": 1, "verdict": "defaced", "renders": ["sub-04_T1w.render.png"]},
  {"name": "sub-04/anat/sub-04_T2w.report", "images": 1, "verdict": "defaced", "renders": ["sub-04_T2w.render.png"]},
  {"name": "sub-05/anat", "images": 1, "verdict": "defaced", "renders": ["sub-05_T1w.render.png"]},
  {"name": "sub-06/anat", "images": 1, "verdict": "defaced", "renders": ["sub-06_T1w.render.png"]}]}
JSON
node "$FACELESS_SOURCE_DIR/tests/qc/qc_page_check.js" "$work/qc.html" "$work" "$work/expect.json"

#!/usr/bin/env bash
# The tree batch and bids write (OUT_ROOT) can be shared as it is: it holds the
# de-faced images, the copied files, dataset_description.json and a summary
# naming images by their path in the dataset; everything that shows or names
# the original (renders of the original face, reports with input paths, logs,
# the QC page) goes to the QC folder, OUT_ROOT_qc or --qc-dir, outside it.
# The dataset root holds a planted name (many sites name folders after the
# subject): no file under OUT_ROOT may contain it. Checked for bids, batch of
# NIfTI with --shard, after kill -9 and a rerun, and (../shared/data present)
# batch of a DICOM folder.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
CH2=/usr/share/mricron/templates/ch2.nii.gz
planted="Doe^Jane-MRN4711384"
work=$(mktemp -d /tmp/faceless-share-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

root=$work/$planted
bids=$root/bids
mkdir -p "$bids/sub-01/anat" "$bids/sub-02/anat"
echo '{"Name": "share test", "BIDSVersion": "1.8.0"}' >"$bids/dataset_description.json"
cp "$CH2" "$bids/sub-01/anat/sub-01_T1w.nii.gz"
cp "$CH2" "$bids/sub-02/anat/sub-02_T1w.nii.gz"
echo '{"RepetitionTime": 2.3}' >"$bids/sub-01/anat/sub-01_T1w.json"
printf 'participant_id\nsub-01\nsub-02\n' >"$bids/participants.tsv"

# shareable OUT QC LABEL: OUT holds nothing that names or shows the original,
# QC holds the page, a report and a render per image
shareable() {
  local out=$1 qc=$2 label=$3 hits
  hits=$(grep -rlF "$planted" "$out" 2>/dev/null)
  [ -z "$hits" ] && ok || bad "$label: files under OUT_ROOT name the input's path: $hits"
  hits=$(cd "$out" && find . -iname '*.png' -o -iname '*.html' -o -iname '*.log' -o -name '*.report*.json' \
    -o -name '*.mesh.*' -o -name 'faceless_qc' -o -name '.faceless-tmp-*')
  [ -z "$hits" ] && ok || bad "$label: QC material inside OUT_ROOT: $hits"
  [ -s "$qc/index.html" ] && ok || bad "$label: no QC page in $qc"
  [ "$(find "$qc" -name '*.render.png' | wc -l)" -ge 1 ] && ok || bad "$label: no render in the QC folder"
  [ "$(find "$qc" -name '*.report.json' | wc -l)" -ge 1 ] && ok || bad "$label: no report in the QC folder"
  # the page embeds its pictures: it needs no file outside the QC folder
  grep -o 'src="[^"]*"' "$qc/index.html" | grep -v '^src="data:' | grep -q . &&
    bad "$label: the QC page links files: $(grep -o 'src="[^"]*"' "$qc/index.html" | grep -v data: | head -2)" || ok
}

# 1. bids participant, default QC folder beside OUT_ROOT
"$FACELESS" bids "$bids" "$root/out" participant -q 2>"$work/err"; rc=$?
[ $rc = 0 ] && ok || bad "bids exit $rc: $(head -3 "$work/err")"
shareable "$root/out" "$root/out_qc" bids
[ -f "$root/out/sub-01/anat/sub-01_T1w.nii.gz" ] && [ -f "$root/out/sub-01/anat/sub-01_T1w.json" ] && ok ||
  bad "bids: de-faced image or sidecar missing"
[ "$(awk -F'\t' 'NR == 1' "$root/out/faceless_summary.tsv" | grep -c error)" = 0 ] && ok ||
  bad "the shared summary carries error messages (they name input paths)"
grep -q "^sub-01/anat/sub-01_T1w.nii.gz	" "$root/out/faceless_summary.tsv" && ok ||
  bad "the shared summary does not name images by their path in the dataset"
grep -qF "$planted" "$root/out_qc/sub-01/anat/sub-01_T1w.nii.gz.report.json" && ok ||
  bad "the QC report lost the input path (QC staff need it)"
# group level reads the QC folder and leaves OUT_ROOT shareable
"$FACELESS" bids "$bids" "$root/out" group -q 2>"$work/err"; rc=$?
[ $rc = 0 ] && ok || bad "bids group exit $rc: $(head -3 "$work/err")"
shareable "$root/out" "$root/out_qc" "bids group"

# 2. batch of NIfTI files in two shards into an explicit --qc-dir; a failing
#    image's message (it names the input path) stays in the QC folder
mkdir -p "$root/tree/a" "$root/tree/b"
cp "$CH2" "$root/tree/a/head.nii.gz"
gzip -dc "$CH2" >"$root/tree/b/head.nii"
head -c 2000 /dev/urandom >"$root/tree/b/broken.nii.gz"
for k in 1 2; do
  "$FACELESS" batch "$root/tree" "$root/sh" --qc-dir "$work/qc_sh" --shard "$k/2" -q 2>/dev/null; rc=$?
  [ $rc = 0 ] || [ $rc = 10 ] && ok || bad "batch --shard $k/2 exit $rc"
done
shareable "$root/sh" "$work/qc_sh" "batch --shard"
[ ! -e "$root/sh_qc" ] && ok || bad "--qc-dir given, yet OUT_ROOT_qc was made"
grep -qF "$planted" "$work"/qc_sh/faceless_summary.shard-*.tsv && ok ||
  bad "the QC folder's summary lacks the failure's message"

# 3. kill -9 in mid-run, then a rerun: still nothing of the original in OUT_ROOT
for delay in 0.5 1.5; do
  rm -rf "$root/killed" "$root/killed_qc"
  setsid "$FACELESS" batch "$root/tree" "$root/killed" -j 2 -q 2>/dev/null &
  pid=$!
  sleep "$delay"
  kill -9 -- -"$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  "$FACELESS" batch "$root/tree" "$root/killed" -j 2 -q 2>/dev/null
  shareable "$root/killed" "$root/killed_qc" "kill -9 after $delay s + rerun"
done

# 4. a DICOM folder (the shared decubitus series)
src=${FACELESS_DATA:-/nonexistent}/dicom/decubitus_HFS_t1_fl2d_sag
if [ -d "$src" ]; then
  mkdir -p "$root/dcm/sub-x/dicom"
  cp "$src"/*.dcm "$root/dcm/sub-x/dicom/"
  "$FACELESS" batch "$root/dcm" "$root/dcm_out" -q 2>"$work/err"; rc=$?
  [ $rc = 0 ] && ok || bad "DICOM batch exit $rc: $(head -3 "$work/err")"
  [ "$(find "$root/dcm_out/sub-x/dicom" -type f | wc -l)" = "$(find "$src" -name '*.dcm' | wc -l)" ] && ok ||
    bad "DICOM batch: not every file written"
  shareable "$root/dcm_out" "$root/dcm_out_qc" "DICOM batch"
else
  echo "note: ../shared/data is absent; the DICOM part is skipped"
fi

# 5. a QC folder inside the input or the output folder is refused, nothing made
for qc in "$root/out/qc" "$bids/qc" "$root/out"; do
  "$FACELESS" batch "$bids" "$root/out" --qc-dir "$qc" -q 2>"$work/err"; rc=$?
  [ $rc = 5 ] && grep -q "QC folder must be" "$work/err" && [ "$(wc -l <"$work/err")" = 1 ] && ok ||
    bad "--qc-dir $qc: exit $rc, $(cat "$work/err")"
done
[ ! -e "$root/out/qc" ] && [ ! -e "$bids/qc" ] && ok || bad "a refused --qc-dir was left behind"

# 6. an OUT_ROOT/faceless_qc an earlier version left: named even with -q
mkdir -p "$root/out/faceless_qc"
"$FACELESS" batch "$bids" "$root/out" -q 2>"$work/err"
grep -q "faceless_qc: left by an earlier faceless, it holds renders of the original faces" "$work/err" && ok ||
  bad "an old faceless_qc inside OUT_ROOT went unmentioned: $(cat "$work/err")"

echo "batch_shareable: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

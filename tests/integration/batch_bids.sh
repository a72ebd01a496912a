#!/usr/bin/env bash
# faceless batch on a BIDS dataset built from real heads: the mirrored tree,
# sidecars copied, the derivative dataset_description, the summary, skip on
# rerun, and kill -9 in mid-run followed by a rerun giving outputs identical
# to an uninterrupted run. Uses Debian's ch2 always and ../shared/data heads
# when present.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
work=$(mktemp -d /tmp/faceless-batch-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

bids=$work/bids
mkdir -p "$bids"
cat >"$bids/dataset_description.json" <<'JSON'
{"Name": "faceless batch test", "BIDSVersion": "1.8.0", "License": "CC0", "Authors": ["test"]}
JSON
printf 'participant_id\tage\nsub-01\t40\n' >"$bids/participants.tsv"
add_t1() { # subject session source
  local d=$bids/sub-$1${2:+/ses-$2}/anat
  local stem=sub-$1${2:+_ses-$2}
  mkdir -p "$d"
  cp "$3" "$d/${stem}_T1w.nii.gz"
  echo '{"RepetitionTime": 2.3, "EchoTime": 0.003}' >"$d/${stem}_T1w.json"
  "$FACELESS_BUILD_DIR/tests/invert_contrast" "$3" "$d/${stem}_T2w.nii.gz" || bad "invert_contrast $3"
  echo '{"RepetitionTime": 3.2}' >"$d/${stem}_T2w.json"
}
add_t1 01 "" /usr/share/mricron/templates/ch2.nii.gz
mkdir -p "$bids/sub-01/func"
head -c 5000 /dev/urandom >"$bids/sub-01/func/sub-01_task-rest_bold.nii.gz"
echo '{"TaskName": "rest"}' >"$bids/sub-01/func/sub-01_task-rest_bold.json"
n_subjects=1
if [ -d "${FACELESS_DATA:-/nonexistent}/nifti" ]; then
  add_t1 02 1 "$FACELESS_DATA/nifti/IXI012-HH-1211-T1_ds.nii.gz"
  add_t1 02 2 "$FACELESS_DATA/nifti/IXI013-HH-1212-T1_ds.nii.gz"
  add_t1 03 "" "$FACELESS_DATA/nifti/IXI014-HH-1236-T1_ds.nii.gz"
  add_t1 04 "" "$FACELESS_DATA/nifti/niivue_T1_head_ext2.nii.gz"
  n_subjects=4
else
  echo "note: ../shared/data is absent; batch test uses Debian's ch2 only"
fi
n_images=$(find "$bids" -name '*_T?w.nii.gz' | wc -l)

# 1. uninterrupted reference run; -q on success prints nothing at all (stdout
#    is never used by batch/bids: README "Nothing is printed on success")
"$FACELESS" batch "$bids" "$work/ref" -j 2 -q --no-render >"$work/ref.out" 2>"$work/ref.err"; rc=$?
[ $rc = 0 ] && ok || bad "batch exit $rc: $(head -3 "$work/ref.err")"
[ ! -s "$work/ref.out" ] && ok || bad "batch -q printed on stdout: $(head -3 "$work/ref.out")"
[ ! -s "$work/ref.err" ] && ok || bad "batch -q printed on stderr: $(head -3 "$work/ref.err")"
for f in $(cd "$bids" && find . -type f ! -name dataset_description.json | sort); do
  [ -f "$work/ref/$f" ] && ok || bad "missing in output: $f"
done
for f in $(cd "$bids" && find . -name '*.json' ! -name dataset_description.json); do
  cmp -s "$bids/$f" "$work/ref/$f" && ok || bad "sidecar not copied unchanged: $f"
done
cmp -s "$bids/sub-01/func/sub-01_task-rest_bold.nii.gz" "$work/ref/sub-01/func/sub-01_task-rest_bold.nii.gz" &&
  ok || bad "func file must be copied unchanged"
for f in $(cd "$bids" && find . -name '*_T?w.nii.gz'); do
  cmp -s <(gzip -dc "$bids/$f") <(gzip -dc "$work/ref/$f") && bad "image not de-faced: $f" || ok
done
grep -q '"DatasetType": "derivative"' "$work/ref/dataset_description.json" && ok || bad "DatasetType"
grep -q '"GeneratedBy"' "$work/ref/dataset_description.json" && ok || bad "GeneratedBy"
grep -q '"License": "CC0"' "$work/ref/dataset_description.json" && ok || bad "other fields kept"
python3 -m json.tool "$work/ref/dataset_description.json" >/dev/null && ok || bad "dataset_description is not JSON"
rows=$(($(wc -l <"$work/ref/faceless_summary.tsv") - 1))
[ "$rows" = "$n_images" ] && ok || bad "summary rows $rows, want $n_images"
[ "$(awk -F'\t' 'NR > 1 && $4 != "defaced"' "$work/ref/faceless_summary.tsv" | wc -l)" = 0 ] && ok ||
  bad "summary verdicts: $(cut -f1,4 "$work/ref/faceless_summary.tsv")"
grep -qx "faceless_summary\*.tsv" "$work/ref/.bidsignore" && ok || bad ".bidsignore lacks the summary"
grep -q "faceless_qc" "$work/ref/.bidsignore" && bad ".bidsignore names a QC folder inside the dataset" || ok
[ -s "$work/ref_qc/index.html" ] && grep -q "sub-01_T1w" "$work/ref_qc/index.html" &&
  ok || bad "no QC page for the batch (OUT_ROOT_qc/index.html)"

# 2. rerun: everything is skipped and nothing changes
before=$(cd "$work/ref" && find . -type f ! -name 'faceless_summary.tsv' -print0 | sort -z | xargs -0 sha256sum)
"$FACELESS" batch "$bids" "$work/ref" -j 2 --no-render >"$work/rerun.out" 2>"$work/rerun.log"; rc=$?
[ $rc = 0 ] && ok || bad "rerun exit $rc"
[ ! -s "$work/rerun.out" ] && ok || bad "batch printed on stdout (progress goes to stderr): $(head -3 "$work/rerun.out")"
grep -q "ref_qc/index.html" "$work/rerun.log" && ok || bad "the closing line does not name the QC page: $(tail -1 "$work/rerun.log")"
[ "$(grep -c 'skipped' "$work/rerun.log")" -ge "$n_subjects" ] && ok || bad "rerun did not skip: $(cat "$work/rerun.log")"
grep -q ': done (' "$work/rerun.log" && bad "rerun redid work: $(grep ': done (' "$work/rerun.log")" || ok
after=$(cd "$work/ref" && find . -type f ! -name 'faceless_summary.tsv' -print0 | sort -z | xargs -0 sha256sum)
[ "$before" = "$after" ] && ok || bad "rerun changed outputs"
# bids group level: the summary and the QC page of what is there, silent with -q
"$FACELESS" bids "$bids" "$work/ref" group -q >"$work/group.out" 2>&1; rc=$?
[ $rc = 0 ] && [ ! -s "$work/group.out" ] && ok || bad "bids group -q: exit $rc, output: $(head -3 "$work/group.out")"

# 3. kill -9 of the whole batch in mid-run, then rerun: identical to the reference
for delay in 0.7 1.9; do
  rm -rf "$work/killed" "$work/killed_qc"
  setsid "$FACELESS" batch "$bids" "$work/killed" -j 2 -q --no-render &
  pid=$!
  sleep "$delay"
  kill -9 -- -"$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  "$FACELESS" batch "$bids" "$work/killed" -j 2 -q --no-render; rc=$?
  [ $rc = 0 ] && ok || bad "rerun after kill -9 (delay $delay): exit $rc"
  diff <(cd "$work/ref" && find . -type f ! -name 'faceless_summary.tsv' -print0 | sort -z | xargs -0 sha256sum) \
       <(cd "$work/killed" && find . -type f ! -name 'faceless_summary.tsv' -print0 | sort -z | xargs -0 sha256sum) \
       >/dev/null && ok || bad "after kill -9 (delay $delay) + rerun, outputs differ from the uninterrupted run"
  [ -z "$(find "$work/killed" -name '.faceless-tmp-*')" ] && ok || bad "temporaries left after rerun"
done

# 3b. temporaries a SIGKILL leaves (NAME.PID@HOST) are removed by the next run when
# their process is gone; a live process's and another machine's are kept
host=$(hostname | cut -c1-64 | tr '/@' '__')
dead=$(sh -c 'echo $$')  # a pid that has exited
anat=$(find "$work/killed" -type d -name anat | head -1)
printf x >"$anat/.faceless-tmp-sub_T1w.nii.gz.$dead@$host"
mkdir -p "$anat/.faceless-tmp-dicomdir.$dead@$host" && printf x >"$anat/.faceless-tmp-dicomdir.$dead@$host/1.dcm"
printf x >"$anat/.faceless-tmp-live.nii.gz.$$@$host"
printf x >"$anat/.faceless-tmp-other.nii.gz.$dead@another-node"
"$FACELESS" batch "$bids" "$work/killed" -j 2 -q --no-render; rc=$?
[ $rc = 0 ] && ok || bad "rerun with planted temporaries: exit $rc"
[ ! -e "$anat/.faceless-tmp-sub_T1w.nii.gz.$dead@$host" ] && ok || bad "a dead process's temporary file was kept"
[ ! -e "$anat/.faceless-tmp-dicomdir.$dead@$host" ] && ok || bad "a dead process's temporary folder was kept"
[ -e "$anat/.faceless-tmp-live.nii.gz.$$@$host" ] && ok || bad "a live process's temporary was removed"
[ -e "$anat/.faceless-tmp-other.nii.gz.$dead@another-node" ] && ok || bad "another machine's temporary was removed"
rm -f "$anat"/.faceless-tmp-*

# 4. one failing subject does not stop the batch
mkdir -p "$bids/sub-99/anat"
head -c 1000 /dev/urandom >"$bids/sub-99/anat/sub-99_T1w.nii.gz"
"$FACELESS" batch "$bids" "$work/ref" -j 2 --no-render 2>"$work/fail.log"; rc=$?
[ $rc = 10 ] && ok || bad "a failed image must give exit 10, got $rc"
grep -q "sub-99_T1w.nii.gz" "$work/fail.log" && ok || bad "failure not listed"
grep -q "^sub-99/anat/sub-99_T1w.nii.gz.*failed" "$work/ref/faceless_summary.tsv" && ok || bad "failure not in summary"
rm -rf "$bids/sub-99"

# 5. shards are disjoint and cover the dataset
"$FACELESS" batch "$bids" "$work/s" --shard 1/2 -q --no-render; "$FACELESS" batch "$bids" "$work/s" --shard 2/2 -q --no-render
rows1=$(($(wc -l <"$work/s/faceless_summary.shard-1-of-2.tsv") - 1))
rows2=$(($(wc -l <"$work/s/faceless_summary.shard-2-of-2.tsv") - 1))
[ $((rows1 + rows2)) = "$n_images" ] && ok || bad "shards cover $rows1 + $rows2 images, want $n_images"
diff <(cd "$work/ref" && find . -type f ! -name 'faceless_summary*' | sort) \
     <(cd "$work/s" && find . -type f ! -name 'faceless_summary*' | sort) >/dev/null &&
  ok || bad "the union of the shards is not the whole dataset"

echo "batch_bids: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

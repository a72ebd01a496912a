#!/usr/bin/env bash
# faceless batch resume with a DICOM folder of several series. `deface` of
# such a folder writes one report per series (REPORT_series-N.json) and none
# of its own; batch must take the folder for done only when every series'
# report is there and from this run's parameters: skipped on rerun, redone
# when a run stopped part-way (a series' report missing, or left over from a
# run with other parameters, or a kill -9 between two series).
# Two series: the shared decubitus 2D sagittal (series 3) and a copy of it
# with another SeriesInstanceUID and SeriesNumber 4, in one folder.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
src=${FACELESS_DATA:-/nonexistent}/dicom/decubitus_HFS_t1_fl2d_sag
[ -d "$src" ] || { echo "skip: ../shared/data (decubitus DICOM) is absent"; exit 77; }
command -v dcmodify >/dev/null || { echo "skip: dcmodify not installed (scripts/bootstrap.sh installs it)"; exit 77; }
work=$(mktemp -d /tmp/faceless-batch-dicom-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

dir=$work/in/sub-x/dicom
mkdir -p "$dir" "$work/copy"
cp "$src"/*.dcm "$dir/"
cp "$src"/*.dcm "$work/copy/"
dcmodify -nb -m "(0020,000e)=1.2.826.0.1.3680043.10.1.99" -m "(0020,0011)=4" "$work/copy"/*.dcm >/dev/null ||
  { echo "dcmodify failed"; exit 1; }
for f in "$work/copy"/*.dcm; do mv "$f" "$dir/b_$(basename "$f")"; done
n_files=$(find "$dir" -type f | wc -l)
out=$work/out
qc=${out}_qc/sub-x
# outcome SERIES: the batch_outcome column of the summary row of that series
outcome() { awk -F'\t' -v img="sub-x/dicom (series $1)" '$1 == img { print $3 }' "$out/faceless_summary.tsv"; }
run() { # args...: batch with --no-render -q; must exit 0 and print nothing on stdout
  "$FACELESS" batch "$work/in" "$out" -q --no-render "$@" >"$work/stdout" 2>"$work/err"
  local rc=$?
  [ $rc = 0 ] && ok || bad "batch $*: exit $rc: $(head -3 "$work/err")"
  [ ! -s "$work/stdout" ] && ok || bad "batch -q $*: printed on stdout: $(head -3 "$work/stdout")"
}
# qc_entries: each entry of the batch's QC page as NAME<TAB>its images' file names
qc_entries() {
  awk '/<section class="subject"/ { match($0, /data-name="[^"]*"/); name = substr($0, RSTART + 11, RLENGTH - 12); imgs[name] = ""; order[n++] = name }
       /<img alt="/ { match($0, /alt="[^"]*"/); imgs[name] = imgs[name] " " substr($0, RSTART + 5, RLENGTH - 6) }
       END { for (i = 0; i < n; i++) print order[i] "\t" imgs[order[i]] }' "${out}_qc/index.html" 2>/dev/null
}
seed_of() { grep -o '"seed": [0-9]*' "$1" | grep -o '[0-9]*$'; }

# 1. first run: both series written, a report each, a summary row each
run
[ "$(find "$out/sub-x/dicom" -type f | wc -l)" = "$n_files" ] && ok || bad "want $n_files output files"
for s in 3 4; do
  grep -q '"verdict": "defaced"' "$qc/dicom.report_series-$s.json" 2>/dev/null && ok || bad "series $s: no defaced report"
  [ "$(outcome $s)" = done ] && ok || bad "first run, series $s: outcome '$(outcome $s)', want done"
done
grep -q '"series_uid": "1.2.826.0.1.3680043.10.1.99"' "$qc/dicom.report_series-4.json" && ok ||
  bad "series 4's report does not name its series"
# the batch's QC page has an entry per series, named as in the summary
for s in 3 4; do
  qc_entries | grep -q "^sub-x/dicom (series $s)	" && ok || bad "QC page: no entry for series $s: $(qc_entries | cut -f1)"
done

# 2. rerun: nothing to do, the folder is skipped and its outputs untouched
sums() { (cd "$work" && find out/sub-x out_qc -type f ! -name "*.log" ! -name "faceless_summary*" -print0 | sort -z | xargs -0 sha256sum); }
sums >"$work/before"
stamp=$(stat -c %Y.%N "$qc/dicom.report_series-3.json")
run
for s in 3 4; do
  [ "$(outcome $s)" = skipped_already_done ] && ok || bad "rerun, series $s: outcome '$(outcome $s)', want skipped_already_done"
done
[ "$(stat -c %Y.%N "$qc/dicom.report_series-3.json")" = "$stamp" ] && cmp -s <(sums) "$work/before" && ok ||
  bad "rerun rewrote the folder's outputs"

# 3. stopped after series 3 (series 4's report never written): redone; a
#    report of a series the folder no longer holds goes away
rm "$qc/dicom.report_series-4.json"
cp "$qc/dicom.report_series-3.json" "$qc/dicom.report_series-9.json"
run
[ "$(outcome 3)" = done ] && [ "$(outcome 4)" = done ] && ok ||
  bad "series 4 missing: outcomes '$(outcome 3)' '$(outcome 4)', want done done"
[ -f "$qc/dicom.report_series-4.json" ] && ok || bad "series 4's report not rewritten"
[ ! -e "$qc/dicom.report_series-9.json" ] && [ -z "$(outcome 9)" ] && ok || bad "stale series-9 report kept"

# 4. a --seed 2 rerun stopped after series 3: series 3's report says seed 2,
#    series 4's is the seed-1 run's. A --seed 2 rerun must redo the folder.
sed -i 's/"seed": 1,/"seed": 2,/' "$qc/dicom.report_series-3.json"
run --seed 2
[ "$(outcome 4)" = done ] && ok || bad "stale seed-1 report of series 4 taken for done: '$(outcome 4)'"
[ "$(seed_of "$qc/dicom.report_series-3.json")" = 2 ] && [ "$(seed_of "$qc/dicom.report_series-4.json")" = 2 ] && ok ||
  bad "after the seed-2 rerun the reports say seeds $(seed_of "$qc/dicom.report_series-3.json") and $(seed_of "$qc/dicom.report_series-4.json")"

# 5. kill -9 of a --seed 3 run once series 3 is done, before series 4 is:
#    the rerun redoes the folder and ends with both series from seed 3
setsid "$FACELESS" batch "$work/in" "$out" -q --no-render --seed 3 2>/dev/null &
pid=$!
for _ in $(seq 400); do
  [ "$(seed_of "$qc/dicom.report_series-3.json" 2>/dev/null)" = 3 ] && break
  sleep 0.02
done
kill -9 -- -"$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ "$(seed_of "$qc/dicom.report_series-4.json" 2>/dev/null)" = 3 ]; then
  echo "note: the seed-3 run finished series 4 before the kill; part-way case covered by 3 and 4 only"
else
  run --seed 3
  [ "$(outcome 3)" = done ] && [ "$(outcome 4)" = done ] && ok ||
    bad "after kill -9 between series: outcomes '$(outcome 3)' '$(outcome 4)', want done done"
  [ "$(seed_of "$qc/dicom.report_series-4.json")" = 3 ] && ok || bad "series 4 not redone after kill -9"
fi
run --seed 3
[ "$(outcome 3)" = skipped_already_done ] && [ "$(outcome 4)" = skipped_already_done ] && ok ||
  bad "after the seed-3 rerun a further rerun redid the folder: '$(outcome 3)' '$(outcome 4)'"
[ -z "$(find "$out" -name '.faceless-tmp-*')" ] && ok || bad "temporaries left"

# 6. with renders: each series' entry on the QC page shows its own montage
"$FACELESS" batch "$work/in" "$out" -q --seed 3 --force >"$work/stdout" 2>"$work/err"; rc=$?
[ $rc = 0 ] && [ ! -s "$work/stdout" ] && ok || bad "batch -q with renders: exit $rc, stdout: $(head -3 "$work/stdout")"
for s in 3 4; do
  [ -s "$qc/dicom.render_series-$s.png" ] && ok || bad "series $s: no render"
  [ "$(qc_entries | grep "^sub-x/dicom (series $s)	" | cut -f2)" = " dicom.render_series-$s.png" ] && ok ||
    bad "QC page entry of series $s does not show its own render alone: $(qc_entries)"
done
[ "$(qc_entries | wc -l)" = 2 ] && ok || bad "QC page entries: $(qc_entries | cut -f1), want the two series"

echo "batch_dicom_series: $pass passed, $fail failed"
[ "$fail" = 0 ]

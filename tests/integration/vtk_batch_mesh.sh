#!/usr/bin/env bash
# batch/bids --mesh vtp|ply|stl (optional VTK): each result's skin surface as
# a mesh beside its render, OUT_ROOT_qc/REL.mesh.EXT (REL with its extension). On Colin27 (Debian's
# mricron-data):
#  - batch --mesh vtp writes the mesh of the de-faced image, the same surface
#    (mesh_probe: triangles, points, bounds, volume) as `faceless deface
#    --mesh-out` of that image (vtk_mesh.sh checks that one has no nose);
#    the report names it;
#  - resume: a rerun with --mesh vtp skips the image; an image done without
#    a mesh, or with another format, is redone when --mesh asks for one;
#  - bids ... participant --mesh stl writes the .stl beside the render;
#  - a bad format is a usage error (exit 2, usage printed, nothing made).
# Without VTK: batch and bids --mesh refuse in one line before any work
# (exit 4, OUT_ROOT not even made), then skip (77).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}" "${FACELESS_SOURCE_DIR:?}"
tools=$FACELESS_BUILD_DIR/tests
CH2=/usr/share/mricron/templates/ch2.nii.gz
if [ ! -r "$CH2" ]; then
  echo "skipped: Colin27 (Debian's mricron-data) is absent"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-vtk-batch.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
source "$FACELESS_SOURCE_DIR/tests/tools/refusal_lib.sh" # expect_refusal

mkdir -p "$work/in/a" "$work/bids/sub-01/anat"
cp "$CH2" "$work/in/a/ch2.nii.gz"
cp "$CH2" "$work/bids/sub-01/anat/sub-01_T1w.nii.gz"
echo '{"Name": "mesh test", "BIDSVersion": "1.8.0"}' >"$work/bids/dataset_description.json"

# a usage error: the bad option named, then the usage; nothing made
"$FACELESS" batch "$work/in" "$work/bad" --mesh obj 2>"$work/err" >/dev/null
rc=$?
if [ $rc != 2 ] || ! head -1 "$work/err" | grep -q "bad option or value: --mesh" || [ -e "$work/bad" ]; then
  echo "FAIL: --mesh obj: exit $rc (want 2), $(head -1 "$work/err")"
  fail=1
fi

if [ "${FACELESS_HAVE_VTK:-0}" != 1 ]; then
  expect_refusal 4 "out: --mesh needs VTK: built without VTK" "$FACELESS" batch "$work/in" "$work/out" --mesh vtp
  expect_refusal 4 "outb: --mesh needs VTK: built without VTK" \
    "$FACELESS" bids "$work/bids" "$work/outb" participant --mesh stl
  if [ -e "$work/out" ] || [ -e "$work/outb" ]; then
    echo "FAIL: the refused batch made its output folder"
    fail=1
  fi
  [ $fail -eq 0 ] || exit 1
  echo "skipped: built without VTK (the one-line refusals of batch/bids --mesh were checked)"
  exit 77
fi

source "$FACELESS_SOURCE_DIR/tests/tools/mesh_lib.sh" # probe, field
# outcome: batch_outcome of the one image in the summary
outcome() { awk -F'\t' 'NR == 2 { print $3 }' "$work/out/faceless_summary.tsv"; }
batch() { # args...: faceless batch IN OUT -q --no-render args; must exit 0
  "$FACELESS" batch "$work/in" "$work/out" -q --no-render "$@" 2>"$work/err" ||
    { echo "FAIL: batch $*: exit $?: $(head -3 "$work/err")"; fail=1; }
}
qc=$work/out_qc/a

echo "== batch without a mesh, then with --mesh vtp: redone, mesh written"
batch
[ "$(outcome)" = done ] || { echo "FAIL: first run: outcome $(outcome)"; fail=1; }
[ -z "$(ls "$qc" | grep mesh)" ] || { echo "FAIL: a mesh without --mesh: $(ls "$qc")"; fail=1; }
batch --mesh vtp
[ "$(outcome)" = done ] && echo "ok: the image done without a mesh was redone for --mesh vtp" ||
  { echo "FAIL: --mesh vtp after a run without: outcome $(outcome), want done"; fail=1; }
grep -q "\"mesh_out\": \"$qc/ch2.nii.gz.mesh.vtp\"" "$qc/ch2.nii.gz.report.json" ||
  { echo "FAIL: the report does not name $qc/ch2.nii.gz.mesh.vtp"; fail=1; }

echo "== the same surface as faceless deface --mesh-out"
"$FACELESS" deface "$CH2" "$work/ref_defaced.nii.gz" --mesh-out "$work/ref.vtp" 2>"$work/err" ||
  { echo "FAIL: deface --mesh-out: $(cat "$work/err")"; fail=1; }
probe got "$qc/ch2.nii.gz.mesh.vtp"
probe want "$work/ref.vtp"
echo "batch:  $got"
echo "deface: $want"
[ -n "$got" ] && [ "$got" = "$want" ] || { echo "FAIL: the batch mesh differs from deface --mesh-out's"; fail=1; }
cmp -s "$work/ref_defaced.nii.gz" "$work/out/a/ch2.nii.gz" || { echo "FAIL: the de-faced images differ"; fail=1; }

echo "== resume"
batch --mesh vtp
[ "$(outcome)" = skipped_already_done ] && echo "ok: rerun with --mesh vtp skipped" ||
  { echo "FAIL: rerun with --mesh vtp: outcome $(outcome), want skipped_already_done"; fail=1; }
batch --mesh ply
[ "$(outcome)" = done ] && [ -s "$qc/ch2.nii.gz.mesh.ply" ] && echo "ok: --mesh ply redid the image and wrote the .ply" ||
  { echo "FAIL: --mesh ply after vtp: outcome $(outcome), files: $(ls "$qc")"; fail=1; }
probe line "$qc/ch2.nii.gz.mesh.ply"
[ -n "$line" ] && [ "$(echo "$line" | field triangles)" = "$(echo "$want" | field triangles)" ] ||
  { echo "FAIL: .ply triangles differ from the .vtp's: $line"; fail=1; }

echo "== bids participant --mesh stl"
"$FACELESS" bids "$work/bids" "$work/outb" participant -q --no-render --mesh stl 2>"$work/err" ||
  { echo "FAIL: bids --mesh stl: $(head -3 "$work/err")"; fail=1; }
m=$work/outb_qc/sub-01/anat/sub-01_T1w.nii.gz.mesh.stl
if [ -s "$m" ]; then
  probe line "$m"
  echo "ok: $line"
else
  echo "FAIL: no $m"
  fail=1
fi

[ $fail -eq 0 ] && echo "vtk_batch_mesh: all checks passed"
exit $fail

#!/usr/bin/env bash
# Series of several volumes (issue 18: fMRI, DWI, echoes), made by
# tests/tools/make_dicom_volumes.py from a small series (mk_face_series, from
# pydicom's MR_small) as 3 time points and as 3 echoes, each as classic files
# (names shuffled) and as one Enhanced MR file; and, when ../shared/data is
# there, the child MPRAGE as a dual-echo series with a real registration.
# Each is de-faced: every volume masked with the one mask (no voxel outside
# it changed in any volume, every volume changed inside it), every frame
# back in its own file and volume (volumes differ, so a frame written into
# the wrong one shows as a change outside the mask), dcm2niix sees the same
# grids before and after, dciodvfy finds no new error, UIDs are new.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
need_tools dcmodify dcmdump dcm2niix dciodvfy
GEN="/usr/bin/python3 $FACELESS_SOURCE_DIR/tests/tools/make_dicom_volumes.py"
/usr/bin/python3 -c 'import pydicom' 2>/dev/null || { echo "skip: python3-pydicom is absent"; exit 77; }
pyd_workdir dicom-volumes

check_case() { # name input frames [deface options]
  local name=$1 in=$2 frames=$3 res f
  shift 3
  if ! "$FACELESS" deface "$in" -o "out_$name" --mask-out "$name.mask.nii.gz" "$@" >"$name.log" 2>&1; then
    bad "$name: deface failed: $(tail -2 "$name.log")"
    return
  fi
  ok
  [ "$(ls "$in" | wc -l)" = "$(ls "out_$name" | wc -l)" ] && ok || bad "$name: not one output file per input file"
  res=$("$DT" maskcmp "$in" "out_$name" "$name.mask.nii.gz" 2>&1)
  echo "$res" | grep -q '^outside_changed 0$' && ok || bad "$name: voxels outside the mask changed: $res"
  echo "$res" | grep -q "^frames $frames\$" && echo "$res" | grep -q '^frames_untouched 0$' && ok ||
    bad "$name: not every one of $frames volumes masked: $res"
  mkdir "n_$name" "no_$name"
  dcm2niix -z n -b n -f x -o "n_$name" "$in" >/dev/null 2>&1
  dcm2niix -z n -b n -f x -o "no_$name" "out_$name" >/dev/null 2>&1
  [ "$(ls "n_$name")" = "$(ls "no_$name")" ] && [ -n "$(ls "n_$name")" ] && ok ||
    bad "$name: dcm2niix made $(ls "n_$name" | tr '\n' ' ') from the input, $(ls "no_$name" | tr '\n' ' ') from the output"
  for f in "n_$name"/*.nii; do
    res=$("$DT" niipair "$f" "no_$name/${f##*/}" 2>&1)
    case $res in "differ "[1-9]*) ok ;; *) bad "$name: dcm2niix ${f##*/}: $res" ;; esac
  done
  f=$(ls "$in" | head -1)
  check "$name/$f: dciodvfy" dciodvfy_no_new_errors "$in/$f" "out_$name/$f"
  check_deid_attrs "out_$name/$f" && ok || bad "$name/$f: de-identification attributes"
  [ "$(dcm_get "$in/$f" 0008,0018)" != "$(dcm_get "out_$name/$f" 0008,0018)" ] && ok || bad "$name: SOPInstanceUID kept"
}

mk_face_series base || { echo "mk_face_series failed"; exit 1; }
for kind in time echo enhanced-time enhanced-echo; do
  $GEN "$kind" 3 base "$kind" || { bad "$kind: generator failed"; continue; }
  check_case "$kind" "$kind" 3 --transform identity
done
# The volumes are sorted by their attributes, not by file name or frame
# order: the classic time series has shuffled names, the echo file its
# echoes inside each slice. An unordered series is refused, one line:
$GEN time 3 base unordered && dcmodify -nb -ea "(0020,0100)" unordered/* >/dev/null &&
  dcmodify -nb -m "(0020,0013)=1" unordered/* >/dev/null
"$FACELESS" deface unordered -o out_unordered --transform identity >/dev/null 2>unordered.err
rc=$?
[ $rc -eq 4 ] && [ "$(wc -l <unordered.err)" -eq 1 ] && grep -q "which volume each belongs to is unknown" unordered.err &&
  [ ! -e out_unordered ] && ok || bad "volumes without order: exit $rc: $(cat unordered.err)"
# A volume short of one slice: refused, one line.
$GEN time 3 base short && rm "short/$(ls short | head -1)"
"$FACELESS" deface short -o out_short --transform identity >/dev/null 2>short.err
rc=$?
[ $rc -eq 4 ] && [ "$(wc -l <short.err)" -eq 1 ] && grep -q "needs every position in every volume" short.err &&
  [ ! -e out_short ] && ok || bad "volume short of a slice: exit $rc: $(cat short.err)"

mprage="${FACELESS_DATA:-/nonexistent}/dicom/SAG-anon_MPRAGE_child"
if [ -d "$mprage" ]; then
  $GEN echo 2 "$mprage" mprage_echo || bad "mprage: generator failed"
  check_case mprage_echo mprage_echo 2 --threads 2
else
  echo "note: $mprage absent (../shared/data): the registered dual-echo case is skipped"
fi
finish

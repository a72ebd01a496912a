#!/usr/bin/env bash
# Messages for DICOM folders as exports hold them (issue 18), on small series
# made from pydicom's MR_small (mk_face_series; deface --transform identity):
#  - files without pixel data (RT plans) in a folder of two series: one
#    warning per folder naming them, not one per file per scan;
#  - a Siemens mosaic without the CSA header that says how many slices it
#    holds: refused as such, not as "a 2D image";
#  - magnitude and phase images in one series: refused for the mix, not for
#    their differing rescale;
#  - one file copied twice: both names, not "several volumes or echoes";
#  - an existing output: the hint names --overwrite (deface and convert).
# Refusals: one line, the documented exit code, nothing written.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
need_tools dcmodify dcmdump
pyd_workdir dicom-messages

refused() { # name exit-code text input: one line with text, exit code, no output
  local name=$1 code=$2 text=$3 in=$4 rc
  "$FACELESS" deface "$in" -o "$work/out_$name" --transform identity >/dev/null 2>"$work/$name.err"
  rc=$?
  [ $rc -eq "$code" ] && ok || bad "$name: exit $rc, expected $code: $(cat "$work/$name.err")"
  [ "$(wc -l <"$work/$name.err")" -eq 1 ] && ok || bad "$name: not one line: $(cat "$work/$name.err")"
  grep -qF -- "$text" "$work/$name.err" && ok || bad "$name: '$text' not said: $(cat "$work/$name.err")"
  [ ! -e "$work/out_$name" ] && ok || bad "$name: something written"
}

# Files without pixel data beside two series: said once, both named.
mk_face_series plans || { echo "mk_face_series failed"; exit 1; }
cp "$PYD/rtplan.dcm" plans/plan_a.dcm && cp "$PYD/rtplan.dcm" plans/plan_b.dcm
mkdir plans/ct && cp "$PYD/CT_small.dcm" plans/ct/
"$FACELESS" deface plans -o out_plans --transform identity >/dev/null 2>plans.err
n=$(grep -c 'without pixel data' plans.err)
[ "$n" -eq 1 ] && ok || bad "no-pixel-data warning printed $n times: $(cat plans.err)"
grep -q "plans: 2 DICOM files without pixel data skipped (plan_a.dcm, plan_b.dcm)" plans.err && ok ||
  bad "no-pixel-data warning does not name the folder and files: $(cat plans.err)"

# A mosaic (ImageType MOSAIC, as Siemens writes fMRI and DWI) without its
# CSA header.
mk_face_series mosaic && dcmodify -nb -m "(0008,0008)=ORIGINAL\\PRIMARY\\M\\ND\\MOSAIC" mosaic/im3.dcm >/dev/null
refused mosaic 3 "mosaic/im3.dcm: a Siemens mosaic without NumberOfImagesInMosaic in its CSA header" mosaic

# Magnitude and phase in one series, the phase with its own rescale.
mk_face_series magphase
for i in 0 1 2 3; do
  cp "magphase/im$i.dcm" "magphase/ph$i.dcm"
  dcmodify -nb -m "(0008,0008)=ORIGINAL\\PRIMARY\\P\\ND" -i "(0028,1053)=2" -i "(0028,1052)=-4096" \
    -m "(0008,0018)=1.2.826.0.1.3680043.10.2.$i" "magphase/ph$i.dcm" >/dev/null
done
refused magphase 4 "mixes magnitude and phase images" magphase
grep -q Rescale magphase.err && bad "magphase: blamed on the rescale: $(cat magphase.err)" || ok

# One file twice.
mk_face_series dup && cp dup/im3.dcm dup/im3_copy.dcm
refused duplicate 3 "dup/im3_copy.dcm: the same image as" dup
grep -q "dup/im3.dcm" duplicate.err && ok || bad "duplicate: the first copy not named: $(cat duplicate.err)"

# An existing output: the hint names --overwrite, the flag that never writes
# an untrusted result; convert takes it too.
mk_face_series base
"$FACELESS" convert base conv >/dev/null 2>&1 && ok || bad "convert failed"
"$FACELESS" convert base conv >/dev/null 2>conv.err
rc=$?
[ $rc -eq 5 ] && grep -q "exists (use --overwrite to replace it)" conv.err && ok ||
  bad "convert over an existing series: exit $rc: $(cat conv.err)"
"$FACELESS" convert --overwrite base conv >/dev/null 2>conv2.err && ok || bad "convert --overwrite: $(cat conv2.err)"
"$FACELESS" deface base -o conv --transform identity >/dev/null 2>dfc.err
rc=$?
[ $rc -eq 5 ] && grep -q "exists (use --overwrite to replace it)" dfc.err && ok ||
  bad "deface over an existing series: exit $rc: $(cat dfc.err)"
finish

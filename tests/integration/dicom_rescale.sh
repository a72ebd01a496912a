#!/usr/bin/env bash
# Images with their own RescaleSlope/RescaleIntercept (issue 18; Philips
# writes one per image): a series made from pydicom's MR_small
# (mk_face_series) with another slope and intercept on every image is
# de-faced (deface --transform identity), where it used to be refused. Every
# output image keeps its own slope and intercept, stored values outside the
# mask stay bit for bit, the face changes, dcm2niix sees the same grid.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
need_tools dcmodify dcmdump dcm2niix dciodvfy
pyd_workdir dicom-rescale

mk_face_series in || { echo "mk_face_series failed"; exit 1; }
for i in 0 1 2 3 4 5 6 7; do
  # slope 0.5 .. 2.25, intercept -20 .. +15: no two images alike
  dcmodify -nb -i "(0028,1053)=$(echo "0.5 + 0.25 * $i" | bc -l | sed 's/0*$//')" -i "(0028,1052)=$((5 * i - 20))" \
    "in/im$i.dcm" >/dev/null || { echo "dcmodify failed"; exit 1; }
done
"$FACELESS" deface in -o out --transform identity --mode zero --mask-out mask.nii.gz >log 2>&1
rc=$?
[ $rc -eq 0 ] && ok || bad "deface of a per-image rescale series: exit $rc: $(cat log)"

for i in 0 1 2 3 4 5 6 7; do
  for tag in 0028,1053 0028,1052; do
    [ "$(dcm_get "in/im$i.dcm" $tag)" = "$(dcm_get "out/im$i.dcm" $tag)" ] && ok ||
      bad "im$i: ($tag) $(dcm_get "in/im$i.dcm" $tag) became $(dcm_get "out/im$i.dcm" $tag)"
  done
done
res=$("$DT" maskcmp in out mask.nii.gz 2>&1)
inside=$(echo "$res" | awk '/^inside_changed/{print $2}')
echo "$res" | grep -q '^outside_changed 0$' && ok || bad "voxels outside the mask changed: $res"
[ -n "$inside" ] && [ "$inside" -gt 1000 ] && ok || bad "face not changed: $res"
# maskcmp compares real values; with each image's slope and intercept kept
# (checked above) and slope * stored + intercept one-to-one on 16-bit values,
# equal real values are equal stored values.
mkdir n_in n_out
dcm2niix -z n -b n -f x -o n_in in >/dev/null 2>&1
dcm2niix -z n -b n -f x -o n_out out >/dev/null 2>&1
res=$("$DT" niipair n_in/x.nii n_out/x.nii 2>&1)
case $res in "differ "*) ok ;; *) bad "dcm2niix of the output: $res" ;; esac
res=$("$FACELESS" info out 2>&1)
echo "$res" | grep -q 'float32' && ok || bad "a per-image rescale series is not read as real values: $res"
check_deid_attrs out/im3.dcm && ok || bad "de-identification attributes"

# The same in one Enhanced MR file, a slope and intercept per frame
# (PixelValueTransformationSequence), 2 volumes.
if /usr/bin/python3 -c 'import pydicom' 2>/dev/null; then
  /usr/bin/python3 "$FACELESS_SOURCE_DIR/tests/tools/make_dicom_volumes.py" enhanced-rescale 2 in enh ||
    bad "generator failed"
  "$FACELESS" deface enh -o out_enh --transform identity --mask-out enh.mask.nii.gz >enh.log 2>&1 && ok ||
    bad "enhanced per-frame rescale: $(cat enh.log)"
  res=$("$DT" maskcmp enh out_enh enh.mask.nii.gz 2>&1)
  echo "$res" | grep -q '^outside_changed 0$' && echo "$res" | grep -q '^frames_untouched 0$' && ok ||
    bad "enhanced per-frame rescale: $res"
  slopes() { dcmdump -q "$1" | grep '(0028,1053)' | sed -E 's/.*\[([^]]*)\].*/\1/' | tr '\n' ' '; }
  [ "$(slopes enh/enhanced.dcm)" = "$(slopes out_enh/enhanced.dcm)" ] && [ -n "$(slopes enh/enhanced.dcm)" ] && ok ||
    bad "enhanced: per-frame slopes changed: $(slopes out_enh/enhanced.dcm)"
  check "enhanced: dciodvfy" dciodvfy_no_new_errors enh/enhanced.dcm out_enh/enhanced.dcm
else
  echo "note: python3-pydicom absent: the enhanced case is skipped"
fi
finish

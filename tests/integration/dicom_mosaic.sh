#!/usr/bin/env bash
# Siemens mosaics (issue 18): the shared EPI (35 slices of 64x64 tiled into
# 384x384, slice count from the CSA header) reads as 64x64x35 at the
# positions dcm2niix gives them (every voxel's world position holds the same
# value in dcm2niix's NIfTI); de-faced (--transform identity: an EPI does
# not register to the T1w template) it is packed back into the same mosaic:
# no voxel outside the mask changed, the mosaic's empty tile unchanged,
# dcm2niix sees the same grid, no new dciodvfy error. Three copies of it as
# three volumes (an fMRI run: one mosaic per volume) read as 64x64x35x3.
# Skips (77) while ../shared/data is absent.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
need_tools dcm2niix dciodvfy dcmodify dcmdump
epi="${FACELESS_DATA:-/nonexistent}/dicom/transfer_syntax_set_EPI_mosaic/1.dcm"
[ -f "$epi" ] || { echo "skip: $epi is absent (../shared/data)"; exit 77; }
work=$(mktemp -d /tmp/faceless-dicom-mosaic-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir in n_in n_out && cp "$epi" in/epi.dcm

"$FACELESS" info in 2>&1 | grep -q 'dims: *64 x 64 x 35 x 1' && ok || bad "mosaic not read as 64x64x35: $("$FACELESS" info in 2>&1)"
dcm2niix -z n -b n -f x -o n_in in >/dev/null 2>&1
res=$("$DT" niicmp in n_in/x.nii 2>&1)
echo "$res" | grep -q '^off_grid 0$' && echo "$res" | grep -q '^differ 0$' && ok ||
  bad "tile positions or values differ from dcm2niix's: $res"

"$FACELESS" deface in -o out --transform identity --mask-out mask.nii.gz >log 2>&1 && ok || bad "deface: $(cat log)"
res=$("$DT" maskcmp in out mask.nii.gz 2>&1)
inside=$(echo "$res" | awk '/^inside_changed/{print $2}')
echo "$res" | grep -q '^outside_changed 0$' && [ "${inside:-0}" -gt 1000 ] && ok || bad "mosaic masked wrongly: $res"
dcm2niix -z n -b n -f x -o n_out out >/dev/null 2>&1
res=$("$DT" niipair n_in/x.nii n_out/x.nii 2>&1)
[ "$res" = "differ $inside" ] && ok || bad "dcm2niix of the output: '$res' (expected differ $inside)"
check "dciodvfy" dciodvfy_no_new_errors in/epi.dcm out/epi.dcm
# The 36th tile of the 6x6 grid holds no slice: its 64 rows of 64 values
# (bottom right of the 384x384 image) are kept byte for byte.
tile() { # file -> the bottom-right 64x64 tile of its pixel data, as hex
  /usr/bin/python3 - "$1" <<'PY'
import sys, pydicom
d = pydicom.dcmread(sys.argv[1])
b, row = d.PixelData, 384 * 2
print(b"".join(b[r * row + 320 * 2:(r + 1) * row] for r in range(320, 384)).hex())
PY
}
if /usr/bin/python3 -c 'import pydicom' 2>/dev/null; then
  [ "$(tile in/epi.dcm)" = "$(tile out/epi.dcm)" ] && ok || bad "the empty tile changed"
fi

# Three volumes, one mosaic each (InstanceNumber says the order).
mkdir run
for t in 1 2 3; do
  cp "$epi" "run/vol$t.dcm"
  dcmodify -nb -m "(0008,0018)=1.2.826.0.1.3680043.10.543.7.$t" -m "(0020,0013)=$t" "run/vol$t.dcm" >/dev/null
done
"$FACELESS" info run 2>&1 | grep -q 'dims: *64 x 64 x 35 x 3' && ok || bad "run not read as 64x64x35x3: $("$FACELESS" info run 2>&1)"
"$FACELESS" deface run -o out_run --transform identity --mask-out run.mask.nii.gz >run.log 2>&1 && ok ||
  bad "deface of the run: $(cat run.log)"
res=$("$DT" maskcmp run out_run run.mask.nii.gz 2>&1)
echo "$res" | grep -q '^outside_changed 0$' && echo "$res" | grep -q '^frames_untouched 0$' && ok ||
  bad "run masked wrongly: $res"
finish

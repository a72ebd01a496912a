#!/usr/bin/env bash
# Every supported transfer syntax is decoded to the same voxels as the
# uncompressed original, and written back: lossless input in its own
# transfer syntax, lossy input as explicit VR little endian with
# LossyImageCompression 01; every voxel outside a zeroed box survives.
#  - variants of pydicom's MR_small made with DCMTK's dcmconv/dcmcrle/dcmcjpeg/dcmcjpls
#  - pydicom's own J2K lossless/lossy, big endian and deflated files
#  - the nine-transfer-syntax EPI set of ../shared/data (when present)
#  - an unsupported transfer syntax (MPEG2) is refused with status 4
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
need_tools dcmdump dcmconv dcmcrle dcmcjpeg dcmcjpls dcmodify
[ -f "$PYD/MR_small.dcm" ] || { echo "skip: python3-pydicom test files absent"; exit 77; }
work=$(mktemp -d /tmp/faceless-dicom-ts-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

EXPL=1.2.840.10008.1.2.1
cp "$PYD/MR_small.dcm" ref.dcm
dcmconv +ti ref.dcm implicit.dcm && dcmconv +tb ref.dcm big.dcm && dcmconv +td ref.dcm deflated.dcm &&
  dcmcrle ref.dcm rle.dcm && dcmcjpeg +e1 ref.dcm jpeg_sv1.dcm && dcmcjpeg +el ref.dcm jpeg_p14.dcm &&
  dcmcjpls +el ref.dcm jpegls.dcm || bad "DCMTK could not make the test variants"
cp "$PYD/MR_small_jp2klossless.dcm" j2k.dcm
cp "$PYD/MR_small_bigendian.dcm" big_pydicom.dcm
# name|expected transfer syntax of the input (checks the variant is what we think)
lossless=("implicit|1.2.840.10008.1.2" "big|1.2.840.10008.1.2.2" "big_pydicom|1.2.840.10008.1.2.2"
          "deflated|1.2.840.10008.1.2.1.99" "rle|1.2.840.10008.1.2.5" "jpeg_sv1|1.2.840.10008.1.2.4.70"
          "jpeg_p14|1.2.840.10008.1.2.4.57" "jpegls|1.2.840.10008.1.2.4.80" "j2k|1.2.840.10008.1.2.4.90")
for c in "${lossless[@]}"; do
  n=${c%%|*} ts=${c#*|}
  [ "$(ts_of "$n.dcm")" = "$ts" ] && ok || { bad "$n: input is not $ts"; continue; }
  res=$("$DT" compare ref.dcm "$n.dcm" 2>&1)
  [ "$res" = $'differ_outside 0\nnonzero_inside 0' ] && ok || bad "$n: decoded voxels differ from explicit LE: $res"
  "$DT" roundtrip "$n.dcm" "out_$n" --box 10 30 10 30 0 0 >/dev/null 2>&1 && ok || { bad "$n: roundtrip"; continue; }
  [ "$(ts_of "out_$n/$n.dcm")" = "$ts" ] && ok || bad "$n: written as $(ts_of "out_$n/$n.dcm"), not $ts"
  res=$("$DT" compare "$n.dcm" "out_$n/$n.dcm" --box 10 30 10 30 0 0 2>&1)
  [ "$res" = $'differ_outside 0\nnonzero_inside 0' ] && ok || bad "$n: re-read after write: $res"
  check_deid_attrs "out_$n/$n.dcm" && ok || bad "$n: de-identification attributes"
done

# Lossy inputs: an unsigned copy for JPEG-LS near-lossless, pydicom's lossy
# JPEG (12-bit extended) and J2K with geometry added (they have none).
cp ref.dcm unsigned.dcm && dcmodify -nb -m "(0028,0103)=0" unsigned.dcm && dcmcjpls +en unsigned.dcm jls_near.dcm ||
  bad "could not make the near-lossless JPEG-LS file"
for n in JPEG-lossy JPEG2000; do
  cp "$PYD/$n.dcm" "$n.dcm"
  dcmodify -nb -i "(0020,0032)=-100\\-100\\10" -i "(0020,0037)=1\\0\\0\\0\\1\\0" -i "(0028,0030)=0.5\\0.5" "$n.dcm" ||
    bad "dcmodify $n"
done
cp "$PYD/693_J2KI.dcm" j2k_lossy_693.dcm
lossy=("jls_near|1.2.840.10008.1.2.4.81" "JPEG-lossy|1.2.840.10008.1.2.4.51" "JPEG2000|1.2.840.10008.1.2.4.91"
       "j2k_lossy_693|1.2.840.10008.1.2.4.91")
for c in "${lossy[@]}"; do
  n=${c%%|*} ts=${c#*|}
  [ "$(ts_of "$n.dcm")" = "$ts" ] && ok || { bad "$n: input is not $ts"; continue; }
  "$DT" roundtrip "$n.dcm" "out_$n" --box 1 6 1 6 0 0 >/dev/null 2>&1 && ok || { bad "$n: roundtrip"; continue; }
  [ "$(ts_of "out_$n/$n.dcm")" = "$EXPL" ] && ok || bad "$n: lossy input not written as explicit VR LE"
  [ "$(dcm_get "out_$n/$n.dcm" 0028,2110)" = 01 ] && ok || bad "$n: LossyImageCompression not 01"
  res=$("$DT" compare "$n.dcm" "out_$n/$n.dcm" --box 1 6 1 6 0 0 2>&1)
  [ "$res" = $'differ_outside 0\nnonzero_inside 0' ] && ok || bad "$n: re-read after write: $res"
done

# The EPI mosaic in nine transfer syntaxes (1.dcm is explicit VR LE), read as
# its 64x64x35 slices (the box is in slice coordinates).
epi="${FACELESS_DATA:-/nonexistent}/dicom/transfer_syntax_set_EPI_mosaic"
if [ -f "$epi/1.dcm" ]; then
  for i in 1 2 3 4 5 6 7 8 9; do
    ts=$(ts_of "$epi/$i.dcm")
    res=$("$DT" compare "$epi/1.dcm" "$epi/$i.dcm" 2>/dev/null)
    [ "$res" = $'differ_outside 0\nnonzero_inside 0' ] && ok || bad "EPI $i.dcm ($ts): decoded voxels differ: $res"
    "$DT" roundtrip "$epi/$i.dcm" "epi_$i" --box 10 40 10 40 5 20 >/dev/null 2>&1 && ok || { bad "EPI $i: roundtrip"; continue; }
    [ "$(ts_of "epi_$i/$i.dcm")" = "$ts" ] && ok || bad "EPI $i: written as $(ts_of "epi_$i/$i.dcm"), not $ts"
    res=$("$DT" compare "$epi/$i.dcm" "epi_$i/$i.dcm" --box 10 40 10 40 5 20 2>/dev/null)
    [ "$res" = $'differ_outside 0\nnonzero_inside 0' ] && ok || bad "EPI $i: re-read after write: $res"
  done
else
  echo "note: ../shared/data is absent; EPI transfer-syntax set not checked"
fi

# Unsupported transfer syntax: refused with status 4 and a message naming it.
if /usr/bin/python3 -c 'import pydicom' 2>/dev/null; then
  /usr/bin/python3 - <<'PY'
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import UID
ds = pydicom.dcmread('ref.dcm')
ds.file_meta.TransferSyntaxUID = UID('1.2.840.10008.1.2.4.100')
ds.PixelData = encapsulate([b'\x00\x00\x01\xb3' + b'\x00' * 60])
ds['PixelData'].VR = 'OB'
ds['PixelData'].is_undefined_length = True
ds.is_little_endian = True
ds.is_implicit_VR = False
ds.save_as('mpeg.dcm', write_like_original=False)
PY
  msg=$("$DT" roundtrip mpeg.dcm out_mpeg 2>&1)
  rc=$?
  [ $rc = 4 ] && echo "$msg" | grep -q 'unsupported transfer syntax 1.2.840.10008.1.2.4.100' && ok ||
    bad "MPEG2 not refused clearly (rc $rc: $msg)"
  [ ! -e out_mpeg ] && ok || bad "MPEG2: output written"
fi
finish

#!/usr/bin/env bash
# Hostile but well-formed inputs (issue 9): each gets a correct result or a
# clear refusal, never a crash and never a silently wrong file. A refusal is
# one line on stderr, a documented exit code and no output; a result keeps
# every brain voxel (ch2bet) unchanged.
#  NIfTI (tests/tools/make_hostile.c): NaN/Inf, 1e30 intensities, int16 at
#  both extremes with -32768 padding, all zero,
#  one slice, a sphere phantom, a fruit, noise, two heads, 0.3 and 5 mm
#  voxels, ch2 itself (1 mm), and gigantic declared dims in a tiny file.
#  DICOM (faceless deface of a small series, --transform identity so that
#  only the series matters): a missing slice, two series in one folder, a
#  DICOMDIR beside the series and alone, broken sequences.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}" "${FACELESS_SOURCE_DIR:?}"
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh" # PYD, mk_face_series
work=$(mktemp -d /tmp/faceless-hostile-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/in" "$work/out"
ch2=/usr/share/mricron/templates/ch2.nii.gz
ch2bet=/usr/share/mricron/templates/ch2bet.nii.gz
"$FACELESS_BUILD_DIR/tests/make_hostile" "$ch2" "$work/in" "$ch2bet" >"$work/list" || { echo "make_hostile failed"; exit 1; }
# 1 mm, the reference: Debian's ch2 as it is.
cp "$ch2" "$work/in/voxels_1mm.nii.gz" && echo "voxels_1mm.nii.gz write" >>"$work/list"
# Gigantic declared dims in a file of 416 bytes (plain and gzip'd): 16 GiB
# (more than the file holds) and 70 TB (more than any machine has).
/usr/bin/python3 - "$work/in" <<'PY' >>"$work/list" || { echo "gigantic headers failed"; exit 1; }
import gzip, struct, sys
def header(n):  # NIfTI-1, int16, n x n x n, 1 mm, vox_offset 352, no matrices
    h = bytearray(352)
    struct.pack_into("<i", h, 0, 348)
    struct.pack_into("<8h", h, 40, 3, n, n, n, 1, 1, 1, 1)
    struct.pack_into("<hh", h, 70, 4, 16)
    struct.pack_into("<8f", h, 76, 1, 1, 1, 1, 1, 1, 1, 1)
    struct.pack_into("<ff", h, 108, 352, 1)
    h[344:348] = b"n+1\0"
    return bytes(h) + b"\1" * 64
for n in (2048, 32767):
    name = "gigantic_%d" % n
    open("%s/%s.nii" % (sys.argv[1], name), "wb").write(header(n))
    with gzip.open("%s/%s.nii.gz" % (sys.argv[1], name), "wb") as f:
        f.write(header(n))
    print(name + ".nii refuse")
    print(name + ".nii.gz refuse")
PY
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
while read -r name expect; do
  out=$work/out/$name
  # no input may make faceless hang or try to read terabytes
  timeout 300 "$FACELESS" deface "$work/in/$name" "$out" 2>"$work/err" >/dev/null
  rc=$?
  case $rc in
    0)
      if [ "$expect" = refuse ]; then bad "$name: written, must be refused"; continue; fi
      [ -f "$out" ] && ok || { bad "$name: exit 0 but no output"; continue; }
      # the brain must be untouched: ch2bet on ch2's grid, else the variant's own brain mask
      brain=$ch2bet
      [ -f "$work/in/${name%.nii.gz}_brain.nii.gz" ] && brain=$work/in/${name%.nii.gz}_brain.nii.gz
      if "$FACELESS" info "$out" | grep -q "dims:        181 x 217 x 181" || [ "$brain" != "$ch2bet" ]; then
        "$FACELESS_BUILD_DIR/tests/deface_check" "$work/in/$name" "$out" --brain "$brain" \
          >"$work/check" && ok || bad "$name: brain voxels changed: $(grep -v '^ok' "$work/check" | head -3)"
      else
        bad "$name: written on another grid and no brain mask to check it"
      fi ;;
    3 | 4 | 6 | 7)
      if [ "$expect" = write ]; then bad "$name: refused (exit $rc: $(cat "$work/err")), must be written"; continue; fi
      [ -e "$out" ] && bad "$name: refused but an output exists" || ok
      [ "$(wc -l <"$work/err")" = 1 ] && grep -q "$name" "$work/err" && ok ||
        bad "$name: refusal must be one line naming the file: $(cat "$work/err")" ;;
    *)
      bad "$name: exit $rc (crash or undocumented code): $(tail -3 "$work/err")" ;;
  esac
  ls -A "$work/out" | grep -q faceless-tmp && bad "$name: temporary left behind"
done <"$work/list"

# The full-range int16 head padded with -32768 outside a cylinder: zero mode
# fills the face with its air (0), never with the padding (issue 4). ch2's
# grid, so --transform identity is exact and ch2's landmarks apply.
p=$work/in/int16_extremes_padded.nii.gz
if "$FACELESS" deface "$p" -o "$work/out/pad_zero.nii.gz" --transform identity --mask-out "$work/pad_mask.nii.gz" \
  --report-out "$work/pad.json" 2>"$work/err" >/dev/null; then
  grep -q '"background_stored": 0,' "$work/pad.json" && ok ||
    bad "int16 padded: fill $(grep -o '"background_stored": [^,]*' "$work/pad.json"), want 0"
  "$FACELESS_BUILD_DIR/tests/deface_check" "$p" "$work/out/pad_zero.nii.gz" --mask "$work/pad_mask.nii.gz" \
    --landmark nose:90,205,12:4 --landmark eye_r:123,200,36:3 --landmark ear_l:6,84,22:2 >"$work/check" && ok ||
    bad "int16 padded: $(grep -v '^ok' "$work/check" | head -3)"
else
  bad "int16 padded, --transform identity: $(cat "$work/err")"
fi

# DICOM series. dcmodify and pydicom's test files come with scripts/bootstrap.sh test.
if command -v dcmodify >/dev/null && [ -f "$PYD/MR_small.dcm" ] && /usr/bin/python3 -c 'import pydicom' 2>/dev/null; then
  d=$work/dicom
  mkdir "$d" "$d/out"
  mk_face_series "$d/base" || bad "mk_face_series (dcmodify)"
  # dicom_case NAME EXPECT WANT_RC PATTERN INPUT [options]: EXPECT "write" (the
  # series is written, one file per slice, the face changed) or "refuse" (exit
  # WANT_RC, exactly one error line matching PATTERN besides any warnings, and
  # no output at all).
  dicom_case() {
    local name=$1 expect=$2 want=$3 pattern=$4 in=$5 out=$d/out/$1 rc errs
    shift 5
    timeout 300 "$FACELESS" deface "$in" -o "$out" --transform identity --report-out "$d/$name.json" "$@" \
      2>"$d/$name.err" >/dev/null
    rc=$?
    errs=$(grep -v '^faceless: warning: ' "$d/$name.err")
    if [ "$expect" = write ]; then
      if [ $rc != 0 ]; then bad "dicom $name: exit $rc, must be written: $(cat "$d/$name.err")"; return; fi
      [ "$(find "$out" -type f | wc -l)" = 8 ] && ok || bad "dicom $name: not 8 output files: $(ls "$out")"
      grep -Eq '"voxels_changed": [1-9]' "$d/$name.json" && ok || bad "dicom $name: no voxel changed"
    else
      [ "$rc" = "$want" ] && ok || bad "dicom $name: exit $rc, want $want: $(cat "$d/$name.err")"
      [ "$(echo "$errs" | grep -c .)" = 1 ] && echo "$errs" | grep -q -- "$pattern" && ok ||
        bad "dicom $name: want one line matching '$pattern', got: $(cat "$d/$name.err")"
      [ -e "$out" ] && bad "dicom $name: refused but $out exists" || ok
    fi
    [ -z "$(find "$d/out" -name '*faceless-tmp*')" ] && ok || bad "dicom $name: temporary left behind"
  }
  dicom_case reference write 0 '' "$d/base"
  # A missing slice (name 3 holds slice 1): refused, never stacked as if contiguous.
  cp -r "$d/base" "$d/gap" && rm "$d/gap/im3.dcm"
  dicom_case missing_slice refuse 4 'gap or non-uniform slice spacing' "$d/gap"
  # Mixed series (CT_small in a subfolder), no --series: each series is
  # de-faced into the same output folder, with a report per series
  # (NAME_series-N.json); --series UID de-faces the chosen one alone.
  cp -r "$d/base" "$d/mixed" && mkdir "$d/mixed/ct" && cp "$PYD/CT_small.dcm" "$d/mixed/ct/"
  timeout 300 "$FACELESS" deface "$d/mixed" -o "$d/out/mixed_each" --transform identity \
    --report-out "$d/mixed_each.json" 2>"$d/mixed_each.err" >/dev/null
  rc=$?
  [ $rc = 0 ] && ok || bad "dicom mixed_each: exit $rc: $(cat "$d/mixed_each.err")"
  [ "$(find "$d/out/mixed_each" -type f | wc -l)" = 9 ] && [ -f "$d/out/mixed_each/ct/CT_small.dcm" ] && ok ||
    bad "dicom mixed_each: want the 8 MR files and ct/CT_small.dcm: $(find "$d/out/mixed_each" -type f)"
  reports=$(ls "$d"/mixed_each_series-*.json 2>/dev/null | wc -l)
  [ "$reports" = 2 ] && ok || bad "dicom mixed_each: want 2 reports (one per series), got $reports"
  [ ! -e "$d/mixed_each.json" ] && ok || bad "dicom mixed_each: an untagged report was written"
  [ "$(grep -l '"verdict": "defaced"' "$d"/mixed_each_series-*.json 2>/dev/null | wc -l)" = 2 ] && ok ||
    bad "dicom mixed_each: both reports must say defaced"
  # --apply-to needs one series
  timeout 60 "$FACELESS" deface "$d/mixed" -o "$d/out/mixed_apply" --transform identity \
    --apply-to "$d/base" 2>"$d/mixed_apply.err" >/dev/null
  rc=$?
  [ $rc = 2 ] && grep -q -- "--apply-to needs one of them chosen with --series UID" "$d/mixed_apply.err" && ok ||
    bad "dicom mixed_apply: exit $rc: $(cat "$d/mixed_apply.err")"
  dicom_case mixed_series_chosen write 0 '' "$d/mixed" --series "$(dcm_get "$d/base/im0.dcm" 0020,000e)"
  [ ! -e "$d/out/mixed_series_chosen/ct" ] && ok || bad "dicom --series: the other series' files were written"
  # A DICOMDIR beside the series (as on a CD): skipped with a warning, the series written.
  cp -r "$d/base" "$d/dicomdir" && cp "$PYD/dicomdirtests/DICOMDIR" "$d/dicomdir/DICOMDIR"
  dicom_case dicomdir_beside write 0 '' "$d/dicomdir"
  grep -q 'dicomdir: 1 DICOM file without pixel data skipped (DICOMDIR)' "$d/dicomdir_beside.err" && ok ||
    bad "dicom dicomdir_beside: no warning for the DICOMDIR"
  # A DICOMDIR alone: no image to de-face.
  dicom_case dicomdir_alone refuse 3 'no DICOM images found' "$PYD/dicomdirtests/DICOMDIR"
  # Broken sequences in one slice (im1, a middle slice; im0, the lowest):
  # a ReferencedImageSequence whose item or sequence length is wrong, or
  # whose item tag is not an item (tests/tools/break_sequence.py). Each
  # refusal names the broken file. The item
  # length past the end once made DCMTK fold the pixel data into the item,
  # and the file was skipped as "without pixel data": a gap was blamed, or
  # with the lowest slice the series shrank by one slice.
  for v in item_len_past_end seq_len_past_end seq_len_short item_tag_garbage; do
    for f in im1 im0; do
      cp -r "$d/base" "$d/$v.$f"
      /usr/bin/python3 "$FACELESS_SOURCE_DIR/tests/tools/break_sequence.py" "$d/$v.$f/$f.dcm" "$v" || bad "cannot break $v"
      dicom_case "$v.$f" refuse 3 "$f.dcm" "$d/$v.$f"
    done
  done
else
  echo "note: dcmodify or python3-pydicom absent; the DICOM cases are not run"
fi
echo "deface_hostile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# deface --brain-mask and batch --brain-mask (issue 16): the user's own brain
# mask is a hard guard. No voxel inside it, or within the margin of it,
# changes; on another grid it is placed by world coordinates; the report
# gives the smallest distance from a changed voxel to it. Bad masks get one
# line naming the file, exit 3, and nothing written: unreadable, empty, all
# ones, a head mask (no brain is 4 litres), off the head, no geometry.
# Colin27 with ch2bet always; the IXI heads with their DLMUSE labels when
# ../shared/data is present.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
T=$FACELESS_BUILD_DIR/tests
CH2=/usr/share/mricron/templates/ch2.nii.gz
BET=/usr/share/mricron/templates/ch2bet.nii.gz
work=$(mktemp -d /tmp/faceless-bmask-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
json_num() { /usr/bin/python3 -c "import json,sys; v=json.load(open(sys.argv[1]))['mask'][sys.argv[2]]; print(v)" "$1" "$2"; }

# checks HEAD MASK LABEL MARGIN [TRUTH]: de-face with --brain-mask MASK; no
# voxel of TRUTH (MASK on HEAD's grid; default MASK) changes, and the
# report's distance to the mask is at least the margin
checks() {
  local head=$1 mask=$2 label=$3 margin=$4 truth=${5:-$2}
  "$FACELESS" deface "$head" -o "$work/$label.nii.gz" --brain-mask "$mask" --brain-margin "$margin" \
    --mask-out "$work/$label.mask.nii.gz" --report-out "$work/$label.json" 2>"$work/err"; local rc=$?
  [ $rc = 0 ] && ok || { bad "$label: exit $rc: $(cat "$work/err")"; return; }
  "$T/deface_check" "$head" "$work/$label.nii.gz" --mask "$work/$label.mask.nii.gz" --brain "$truth" \
    >"$work/check" && ok || bad "$label: $(grep -i fail "$work/check")"
  local d
  d=$(json_num "$work/$label.json" min_mm_to_brain_mask)
  /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$d" "$margin" &&
    ok || bad "$label: a changed voxel lies $d mm from the brain mask, margin $margin"
  [ "$(json_num "$work/$label.json" brain_mask)" = "$mask" ] && ok || bad "$label: report does not name the mask"
}

# 1. Colin27 with ch2bet on its own grid, and on a grid of twice the spacing
checks "$CH2" "$BET" ch2 5
checks "$CH2" "$BET" ch2_margin0 0
"$T/make_mask" "$BET" "$work/bet_half.nii.gz" --half || bad "make_mask --half"
checks "$CH2" "$work/bet_half.nii.gz" ch2_half 5 "$BET"
# the guard is the larger of the template's and the user's: a mask grown
# around the brain keeps more voxels than the template guard alone
"$FACELESS" deface "$CH2" -o "$work/plain.nii.gz" --report-out "$work/plain.json" 2>/dev/null || bad "plain deface"
[ "$(json_num "$work/ch2.json" masked_voxels)" -le "$(json_num "$work/plain.json" masked_voxels)" ] && ok ||
  bad "--brain-mask enlarged the mask"

# 2. bad masks: one line naming the mask, exit 3, nothing written
printf 'not a nifti' >"$work/garbage.nii"
"$T/make_mask" "$BET" "$work/empty.nii.gz" --empty
"$T/make_mask" "$BET" "$work/ones.nii.gz" --ones
"$T/make_mask" "$BET" "$work/off.nii.gz" --shift 400,0,0
"$T/make_mask" "$CH2" "$work/headmask.nii.gz"
"$T/make_mask" "$BET" "$work/nogeom.nii" --half
# sform_code and qform_code (bytes 252-255 of a NIfTI-1 header) to 0
printf '\0\0\0\0' | dd of="$work/nogeom.nii" bs=1 seek=252 conv=notrunc status=none
for c in "garbage.nii|" "empty.nii.gz|empty" "ones.nii.gz|all ones" "off.nii.gz|does not lie on the head" \
  "headmask.nii.gz|litres" "nogeom.nii|no usable geometry" "missing.nii.gz|"; do
  IFS='|' read -r f why <<<"$c"
  rm -f "$work/out.nii.gz"
  "$FACELESS" deface "$CH2" -o "$work/out.nii.gz" --brain-mask "$work/$f" >"$work/out" 2>"$work/err"; rc=$?
  if [ $rc = 3 ] && [ ! -e "$work/out.nii.gz" ] && [ ! -s "$work/out" ] && [ "$(wc -l <"$work/err")" = 1 ] &&
    grep -q "^faceless: $work/$f: .*$why" "$work/err"; then
    ok
  else
    bad "--brain-mask $f: want exit 3, one line naming it ($why), no output; got $rc: $(cat "$work/err")"
  fi
done

# 3. batch: a mask per image found by a pattern; a rerun with another mask
#    redoes the image
mkdir -p "$work/in/s1" "$work/masks"
cp "$CH2" "$work/in/s1/head.nii.gz"
cp "$BET" "$work/masks/head_brain.nii.gz"
"$FACELESS" batch "$work/in" "$work/bout" --no-render -q --brain-mask "$work/masks/{stem}_brain.nii.gz" 2>"$work/err"; rc=$?
[ $rc = 0 ] && ok || bad "batch --brain-mask: exit $rc: $(cat "$work/err")"
grep -q "\"brain_mask\": \"$work/masks/head_brain.nii.gz\"" "$work/bout_qc/s1/head.nii.gz.report.json" && ok ||
  bad "batch: the report does not name the image's mask"
cmp -s "$work/bout/s1/head.nii.gz" "$work/ch2.nii.gz" && ok || bad "batch output differs from deface --brain-mask"
"$FACELESS" batch "$work/in" "$work/bout" --no-render 2>"$work/err"
grep -q "skipped" "$work/err" && bad "a rerun without --brain-mask skipped the image done with it" || ok
"$FACELESS" batch "$work/in" "$work/bout2" --no-render -q --brain-mask "{stem}_nomask.nii.gz" 2>/dev/null; rc=$?
[ $rc = 10 ] && ok || bad "batch with a missing per-image mask: exit $rc, want 10"

# 4. the IXI heads with their true brain labels (DLMUSE), when present
DATA=${FACELESS_DATA:-/nonexistent}/nifti
if [ -d "$DATA/brain_labels" ]; then
  for h in IXI012-HH-1211-T1_ds IXI013-HH-1212-T1_ds IXI014-HH-1236-T1_ds; do
    checks "$DATA/$h.nii.gz" "$DATA/brain_labels/${h}_DLMUSE.nii.gz" "$h" 5
  done
else
  echo "note: ../shared/data is absent; the DLMUSE part is skipped"
fi

echo "deface_brain_mask: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

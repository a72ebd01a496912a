#!/usr/bin/env bash
# Every series of ../shared/data/dicom (child MPRAGE, XA30 enhanced
# multi-frame, decubitus 2D FLASH) survives read -> zero a box -> write:
#  - our geometry and voxel values agree with dcm2niix's conversion of the input;
#  - dcm2niix converts input and output to the same grid and matrix, and the
#    only voxels that differ are the ones we zeroed;
#  - re-reading the output: every voxel outside the box identical, inside 0;
#  - dciodvfy finds no error in an output file that it does not find in its input;
#  - de-identification attributes set, UIDs new, consistent and reproducible;
#  - transfer syntax and inputs unchanged; existing output refused without --force.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
[ -d "${FACELESS_DATA:-/nonexistent}/dicom" ] || { echo "skip: ../shared/data/dicom is absent"; exit 77; }
need_tools dcm2niix dciodvfy dcmdump
work=$(mktemp -d /tmp/faceless-dicom-XXXXXX)
trap 'rm -rf "$work"' EXIT

# series folder, then a box "i0 i1 j0 j1 k0 k1" in our voxel grid (the face
# corner is not the point here: any box tests the round trip)
cases=("SAG-anon_MPRAGE_child|100 180 0 90 0 191"
       "XA30_enhanced_T1w_tfl|0 60 0 50 0 95"
       "decubitus_HFS_t1_fl2d_sag|0 80 100 200 0 34")
for c in "${cases[@]}"; do
  name=${c%%|*} box=${c#*|}
  in="$FACELESS_DATA/dicom/$name" out="$work/out_$name"
  [ -d "$in" ] || { bad "$name missing from shared data"; continue; }
  md5_before=$(cd "$in" && find . -type f -exec md5sum {} + | sort | md5sum)

  # 1. geometry and values against dcm2niix of the input
  mkdir -p "$work/n_in_$name" "$work/n_out_$name"
  dcm2niix -z n -b n -f x -o "$work/n_in_$name" "$in" >/dev/null 2>&1
  check "$name: faceless geometry/values == dcm2niix" "$DT" niicmp "$in" "$work/n_in_$name/x.nii"

  # 2. round trip with a zeroed box
  changed=$("$DT" roundtrip "$in" "$out" --box $box --seed 7 2>/dev/null | awk '/^changed/{print $2}')
  [ -n "$changed" ] && [ "$changed" -gt 0 ] && ok || { bad "$name: roundtrip failed"; continue; }
  [ "$(find "$out" -type f | wc -l)" = "$(find "$in" -type f -name '*.dcm' | wc -l)" ] && ok ||
    bad "$name: not one output file per input file"
  res=$("$DT" compare "$in" "$out" --box $box 2>&1)
  echo "$res" | grep -q '^differ_outside 0$' && echo "$res" | grep -q '^nonzero_inside 0$' && ok ||
    bad "$name: voxels outside the box changed or box not zeroed: $res"

  # 3. dcm2niix of the output: same grid and matrix, differences only in the box
  dcm2niix -z n -b n -f x -o "$work/n_out_$name" "$out" >/dev/null 2>&1
  res=$("$DT" niipair "$work/n_in_$name/x.nii" "$work/n_out_$name/x.nii" 2>&1)
  [ "$res" = "differ $changed" ] && ok || bad "$name: dcm2niix input vs output: '$res' (expected differ $changed)"

  # 4. dciodvfy on first, middle and last files; attributes on every file
  mapfile -t files < <(cd "$in" && ls)
  n=${#files[@]}
  for f in "${files[0]}" "${files[$((n / 2))]}" "${files[$((n - 1))]}"; do
    check "$name/$f: dciodvfy" dciodvfy_no_new_errors "$in/$f" "$out/$f"
  done
  for f in "${files[0]}" "${files[$((n - 1))]}"; do
    check_deid_attrs "$out/$f" && ok || bad "$name/$f: de-identification attributes"
  done
  [ "$(dcm_get_all 0028,0302 "$out"/* | sort | uniq -c | awk '{print $1, $2}')" = "$n NO" ] && ok ||
    bad "$name: RecognizableVisualFeatures not NO in every file"
  [ "$(ts_of "$out/${files[0]}")" = "$(ts_of "$in/${files[0]}")" ] && ok || bad "$name: transfer syntax changed"

  # 5. UIDs: one new series UID, unique new SOP UIDs, none equal to the input's
  series_new=$(dcm_get_all 0020,000e "$out"/* | sort -u)
  [ "$(echo "$series_new" | wc -l)" = 1 ] && [ "$series_new" != "$(dcm_get "$in/${files[0]}" 0020,000e)" ] && ok ||
    bad "$name: SeriesInstanceUID not one new UID"
  sops=$(dcm_get_all 0008,0018 "$out"/* | grep '^2\.25\.' | sort -u | wc -l)
  [ "$sops" = "$n" ] && ok || bad "$name: SOP Instance UIDs not unique ($sops for $n files)"
  [ "$(dcm_get "$out/${files[0]}" 0008,0018)" != "$(dcm_get "$in/${files[0]}" 0008,0018)" ] && ok ||
    bad "$name: SOPInstanceUID kept"
  # Everything else kept: a dump without the changed attributes is identical.
  strip='(0002,0003)|(0002,0010)|(0002,0012)|(0002,0013)|(0002,0000)|(0008,0008)|(0008,0018)|(0020,000e)|(0028,0302)|(0012,006[34])|(0008,010[024])|(0008,9007)|(7fe0,0010)|(fffe,e0[0d]d)|Sequence with|Item with'
  if diff <(dcmdump -q "$in/${files[0]}" | grep -Ev "$strip") <(dcmdump -q "$out/${files[0]}" | grep -Ev "$strip") >/dev/null; then ok
  else bad "$name: attributes other than the documented ones changed"; diff <(dcmdump -q "$in/${files[0]}" | grep -Ev "$strip") <(dcmdump -q "$out/${files[0]}" | grep -Ev "$strip") | head -5; fi

  # 6. reproducible: same seed -> byte-identical files; existing output refused
  "$DT" roundtrip "$in" "$out.again" --box $box --seed 7 >/dev/null 2>&1
  diff -r "$out" "$out.again" >/dev/null && ok || bad "$name: rerun with the same seed differs"
  "$DT" roundtrip "$in" "$out" --box $box --seed 7 >/dev/null 2>&1
  [ $? = 5 ] && ok || bad "$name: existing output not refused with status 5"
  check "$name: --force replaces" "$DT" roundtrip "$in" "$out" --box $box --seed 7 --force
  [ "$(cd "$in" && find . -type f -exec md5sum {} + | sort | md5sum)" = "$md5_before" ] && ok || bad "$name: input modified"
  [ -z "$(find "$out" -name '*faceless-tmp*')" ] && ok || bad "$name: temporary files left"
  rm -rf "$out" "$out.again" "$work/n_in_$name" "$work/n_out_$name"
done
finish

#!/usr/bin/env bash
# Results are byte-identical for any thread count (1, 2, 8) and across runs
# with the same seed, in every mode; a different noise seed gives a different
# refill (issue 9). Compares the output images and the masks, for NIfTI and
# for DICOM output (every file of the series: pixels, new UIDs, attributes).
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}" "${FACELESS_BUILD_DIR:?}"
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh" # PYD, mk_face_series
work=$(mktemp -d /tmp/faceless-determinism-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
heads=(/usr/share/mricron/templates/ch2.nii.gz)
if [ -f "${FACELESS_DATA:-/nonexistent}/nifti/IXI012-HH-1211-T1_ds.nii.gz" ]; then
  heads+=("$FACELESS_DATA/nifti/IXI012-HH-1211-T1_ds.nii.gz")
else
  echo "note: ../shared/data is absent; determinism checked on Debian's ch2 only"
fi
for head in "${heads[@]}"; do
  b=$(basename "$head" .nii.gz)
  for mode in zero noise; do
    ref=""
    for run in t1 t2 t8 t2again; do
      t=${run#t}; t=${t%again}
      out=$work/$b.$mode.$run.nii.gz
      "$FACELESS" deface "$head" "$out" --mode "$mode" --seed 7 --threads "$t" --mask-out "$work/$b.$mode.$run.mask.nii.gz" ||
        { bad "$b $mode threads $t: exit $?"; continue; }
      sum="$(gzip -dc "$out" | sha256sum) $(gzip -dc "$work/$b.$mode.$run.mask.nii.gz" | sha256sum)"
      if [ -z "$ref" ]; then ref=$sum; ok
      elif [ "$sum" = "$ref" ]; then ok
      else bad "$b $mode: run $run differs from the 1-thread run"; fi
    done
  done
  "$FACELESS" deface "$head" "$work/$b.seed8.nii.gz" --mode noise --seed 8 --threads 2 || bad "seed 8 run"
  cmp -s <(gzip -dc "$work/$b.seed8.nii.gz") <(gzip -dc "$work/$b.noise.t2.nii.gz") &&
    bad "$b: seeds 7 and 8 gave the same noise" || ok
done

# DICOM output: the synthetic face slab (--transform identity: the DICOM
# reader, mask, fill and writer) and, with ../shared/data, the XA30 enhanced
# multi-frame head (registration too; --force, see dicom_deface.sh).
series_sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum; }
dicom_inputs=()
if command -v dcmodify >/dev/null && [ -f "$PYD/MR_small.dcm" ]; then
  mk_face_series "$work/slab" && dicom_inputs+=(slab) || bad "mk_face_series (dcmodify)"
else
  echo "note: dcmodify or pydicom's MR_small absent; the synthetic DICOM series is not checked"
fi
[ -d "${FACELESS_DATA:-/nonexistent}/dicom/XA30_enhanced_T1w_tfl" ] && dicom_inputs+=(xa30) ||
  echo "note: ../shared/data is absent; DICOM determinism checked on the synthetic series only"
for b in "${dicom_inputs[@]}"; do
  case $b in
    slab) in=$work/slab; opts=(--transform identity) ;;
    xa30) in=$FACELESS_DATA/dicom/XA30_enhanced_T1w_tfl; opts=(--force) ;;
  esac
  for mode in zero noise; do
    ref=""
    for run in t1 t2 t8 t2again; do
      t=${run#t}; t=${t%again}
      out=$work/$b.$mode.$run
      "$FACELESS" deface "$in" -o "$out" --mode "$mode" --seed 7 --threads "$t" "${opts[@]}" \
        --mask-out "$out.mask.nii.gz" 2>/dev/null || { bad "$b $mode threads $t: exit $?"; continue; }
      sum="$(series_sum "$out") $(gzip -dc "$out.mask.nii.gz" | sha256sum)"
      if [ -z "$ref" ]; then ref=$sum; ok
      elif [ "$sum" = "$ref" ]; then ok
      else bad "$b $mode: run $run differs from the 1-thread run: $(diff -rq "$work/$b.$mode.t1" "$out" | head -3)"; fi
    done
  done
  "$FACELESS" deface "$in" -o "$work/$b.seed8" --mode noise --seed 8 --threads 2 "${opts[@]}" 2>/dev/null || bad "$b: seed 8 run"
  # the UIDs depend on the seed too: compare the voxels, the same outside the
  # mask and different under it
  res=$("$DT" maskcmp "$work/$b.noise.t2" "$work/$b.seed8" "$work/$b.noise.t2.mask.nii.gz" 2>&1)
  echo "$res" | grep -q '^outside_changed 0$' && echo "$res" | grep -Eq '^inside_changed [1-9]' && ok ||
    bad "$b: seeds 7 and 8: want the same voxels outside the mask and other noise inside: $res"
done
echo "deface_determinism: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

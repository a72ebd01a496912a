#!/usr/bin/env bash
# A head stored another way renders the same picture: LPS and sagittal copies
# (same voxels, permuted/flipped axes, matrix adjusted) within rounding, an
# oblique copy (resampled on a rotated grid) within interpolation tolerance.
# Runs on Colin27 and, when ../shared/data is present, on a sagittally stored
# IXI head. Also checks that the picture does not depend on the thread count.
set -euo pipefail
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
tools=$FACELESS_BUILD_DIR/tests
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-render-restored.XXXXXX")
trap 'rm -rf "$work"' EXIT

heads=()
[ -f /usr/share/mricron/templates/ch2.nii.gz ] && heads+=(/usr/share/mricron/templates/ch2.nii.gz)
ixi=${FACELESS_DATA:-/nonexistent}/nifti/IXI012-HH-1211-T1_ds.nii.gz
[ -f "$ixi" ] && heads+=("$ixi")
if [ ${#heads[@]} -eq 0 ]; then
  echo "skipped: neither Colin27 (mricron-data) nor ../shared/data is present"
  exit 77
fi

fail=0
for head in "${heads[@]}"; do
  name=$(basename "$head" .nii.gz)
  echo "== $name"
  "$FACELESS" render --no-labels --threads 2 "$head" "$work/$name.png"
  # Same voxels: only rounding may differ.
  for mode in lps sagittal; do
    "$tools/render_restore" "$head" "$work/$name-$mode.nii.gz" "$mode"
    echo "$mode: $("$FACELESS" info "$work/$name-$mode.nii.gz" | grep orientation)"
    "$FACELESS" render --no-labels "$work/$name-$mode.nii.gz" "$work/$name-$mode.png"
    "$tools/render_pngdiff" "$work/$name.png" "$work/$name-$mode.png" 0.5 0.001 || fail=1
  done
  # Resampled on a grid rotated by 15 and 10 degrees: interpolation smooths
  # the surface and the edge of the field of view moves (the cut face of the
  # original grid becomes a closed surface), so a looser limit.
  "$tools/render_restore" "$head" "$work/$name-oblique.nii.gz" oblique
  "$FACELESS" render --no-labels "$work/$name-oblique.nii.gz" "$work/$name-oblique.png"
  "$tools/render_pngdiff" "$work/$name.png" "$work/$name-oblique.png" 6 0.05 || fail=1
  # Thread count: bit-identical.
  "$FACELESS" render --no-labels --threads 1 "$head" "$work/$name-t1.png"
  if cmp -s "$work/$name.png" "$work/$name-t1.png"; then
    echo "threads 1 and 2: identical"
  else
    echo "FAIL: the picture differs between 1 and 2 threads"
    fail=1
  fi
done
exit $fail

#!/usr/bin/env bash
# Efficacy of the masks on many anatomies (issue 16): per labelled head,
# WARPS smooth random nonlinear deformations (up to about 10 mm) and MOVES
# moved and re-stored copies (tests/tools/anatomy_eval says how), each
# registered and masked as `faceless deface` does: brain voxels touched,
# landmarks scrambled, refusals, silent failures. Not a timed benchmark: it
# counts outcomes. Usage: benchmarks/bench_efficacy.sh [BUILD_DIR] [WARPS] [MOVES]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
warps=${2:-100}
moves=${3:-20}
EVAL=$build/tests/anatomy_eval
DATA=$root/../shared/data
L=$DATA/landmarks.tsv
[ -x "$EVAL" ] || { echo "bench_efficacy: $EVAL: build first (scripts/build.sh)" >&2; exit 2; }
[ -r "$L" ] || { echo "bench_efficacy: $L: ../shared/data is absent" >&2; exit 2; }
fail=0
"$EVAL" /usr/share/mricron/templates/ch2.nii.gz /usr/share/mricron/templates/ch2bet.nii.gz "$L" --name ch2.nii.gz \
  --warps "$warps" --moves "$moves" --seed 2026 || fail=1
for h in IXI012-HH-1211-T1_ds IXI013-HH-1212-T1_ds IXI014-HH-1236-T1_ds; do
  "$EVAL" "$DATA/nifti/$h.nii.gz" "$DATA/nifti/brain_labels/${h}_DLMUSE.nii.gz" "$L" --warps "$warps" \
    --moves "$moves" --seed 2026 || fail=1
done
for h in chris_t1 niivue_T1_head_ext2 mricrogl_ct_head niivue_register_T2w; do
  "$EVAL" "$DATA/nifti/$h.nii.gz" - "$L" --warps 10 --moves 5 --seed 2026 || fail=1
done
exit $fail

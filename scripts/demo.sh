#!/usr/bin/env bash
# README's first command: installs what faceless needs, builds it, and
# de-faces the Colin27 head that Debian's mricron-data ships.
# Outputs, in ./faceless-demo/ under the folder you run it from:
#   ch2_defaced.nii.gz   the de-faced head (same datatype and header as the input)
#   ch2_mask.nii.gz      the voxels that changed (1), on the head's own grid
#   ch2_report.json      the JSON report (docs/report.md)
#   ch2_render.png       before/after surface renders and mask overlay slices
#   qc.html              the QC page to approve or reject the result in a browser
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" demo
"$root/scripts/build.sh" "$root/build"
head=/usr/share/mricron/templates/ch2.nii.gz
out=$PWD/faceless-demo
mkdir -p "$out"
"$root/build/faceless" deface "$head" "$out/ch2_defaced.nii.gz" --overwrite \
  --mask-out "$out/ch2_mask.nii.gz" --report-out "$out/ch2_report.json" --render-out "$out/ch2_render.png"
"$root/build/faceless" report "$out" -o "$out/qc.html" --title "faceless demo: Colin27" --force
echo "faceless demo: de-faced $head into $out"
ls -l "$out"

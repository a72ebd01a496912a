#!/bin/bash
# Builds templates/face.nii.gz (face + ear removal mask), templates/depth.nii.gz (its
# depth limit below the subject's skin) and templates/guard.nii.gz
# (brain guard before the run-time margin) from Debian's mricron-data (ch2bet).
# Run from anywhere; needs a C compiler and nifti2 (libnifti2-dev). See
# templates/tools/build_masks.c for what the masks contain and why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bet=${1:-/usr/share/mricron/templates/ch2bet.nii.gz}
[ -r "$bet" ] || { echo "build_masks.sh: $bet: not found (apt-get install mricron-data)" >&2; exit 3; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -Wall -Wextra -o "$tmp/build_masks" "$here/tools/build_masks.c" \
   -I/usr/include/nifti -lnifti2 -lznz -lz -lm
"$tmp/build_masks" "$bet" "$tmp/face.nii.gz" "$tmp/guard.nii.gz" "$tmp/depth.nii.gz"
mv "$tmp/face.nii.gz" "$here/face.nii.gz"
mv "$tmp/guard.nii.gz" "$here/guard.nii.gz"
mv "$tmp/depth.nii.gz" "$here/depth.nii.gz"

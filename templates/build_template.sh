#!/usr/bin/env bash
# Rebuilds the embedded template set (templates/head.nii.gz, templates/brain.nii.gz)
# from Debian's mricron-data (Colin27, see LICENSE-colin27.txt). Anyone can rerun it;
# the output is byte-for-byte reproducible (checked against the SHA-256 printed below
# and recorded in templates/README.md).
#
#   templates/build_template.sh [BUILD_DIR]     (default: build)
#
# Needs: apt-get install mricron-data, a configured CMake build dir.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${1:-$here/../build}"
src=/usr/share/mricron/templates
for f in ch2.nii.gz ch2bet.nii.gz; do
    [[ -r $src/$f ]] || { echo "build_template.sh: $src/$f missing (apt-get install mricron-data)" >&2; exit 3; }
done
[[ -d $build ]] || { echo "build_template.sh: build dir $build missing (cmake -B build)" >&2; exit 2; }
cmake --build "$build" --target template_build -j2 >/dev/null
"$build/template_build" "$src/ch2.nii.gz" "$src/ch2bet.nii.gz" "$here"
cd "$here" && sha256sum head.nii.gz brain.nii.gz

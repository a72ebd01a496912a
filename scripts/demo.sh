#!/usr/bin/env bash
# README's first command: installs what faceless needs, builds it, and runs it
# on the Colin27 head that Debian's mricron-data ships. Outputs: ./faceless-demo/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh" demo
"$root/scripts/build.sh" "$root/build"
head=/usr/share/mricron/templates/ch2.nii.gz
out=$PWD/faceless-demo
mkdir -p "$out"
"$root/build/faceless" info "$head"
"$root/build/faceless" convert --force "$head" "$out/ch2_rewritten.nii.gz"
echo "faceless demo: outputs are in $out"
ls -l "$out"

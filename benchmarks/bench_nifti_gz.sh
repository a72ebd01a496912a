#!/usr/bin/env bash
# .nii.gz read+write of a head by faceless (faceless convert) against the
# gzip pair floor (gzip -dc | gzip -6 -c), measured side by side in one run,
# interleaved, median of N. Target (issue 2): time ratio <= 1.0, size ratio <= 1.05.
# Usage: benchmarks/bench_nifti_gz.sh [FACELESS_BINARY] [FILE.nii.gz] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
in=${2:-/usr/share/mricron/templates/ch2.nii.gz}
n=${3:-15}
work=$(mktemp -d /tmp/faceless-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
ours=() floor=()
for i in $(seq "$n"); do
  t0=$(now); "$bin" convert --force "$in" "$work/ours.nii.gz"; t1=$(now)
  gzip -dc "$in" | gzip -6 -c >"$work/floor.nii.gz"; t2=$(now)
  ours+=("$(echo "$t1 - $t0" | bc -l)"); floor+=("$(echo "$t2 - $t1" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mo=$(median "${ours[@]}"); mf=$(median "${floor[@]}")
so=$(stat -c %s "$work/ours.nii.gz"); sf=$(stat -c %s "$work/floor.nii.gz")
cmp -s <(gzip -dc "$in") <(gzip -dc "$work/ours.nii.gz") || { echo "output content differs from input"; exit 1; }
printf 'file: %s (%d runs each, interleaved)\n' "$in" "$n"
printf 'faceless convert:      median %.3f s, %d bytes\n' "$mo" "$so"
printf 'gzip -dc | gzip -6 -c: median %.3f s, %d bytes\n' "$mf" "$sf"
printf 'time ratio (faceless / gzip pair): %.2f   (target <= 1.00)\n' "$(echo "$mo / $mf" | bc -l)"
printf 'size ratio (faceless / gzip -6):   %.3f  (target <= 1.05)\n' "$(echo "$so / $sf" | bc -l)"

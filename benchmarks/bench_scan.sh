#!/usr/bin/env bash
# `faceless scan` of a DICOM series against `dcmdump` of the same files (DCMTK
# parsing every element, no checks), side by side in one run, interleaved,
# median of N. Target (issue 7): the 192-file child MPRAGE in <= 1 s on 2 cores.
# Usage: benchmarks/bench_scan.sh [FACELESS_BINARY] [SERIES_DIR] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
in=${2:-$root/../shared/data/dicom/SAG-anon_MPRAGE_child}
n=${3:-5}
[ -d "$in" ] || { echo "no series at $in (../shared/data absent?)"; exit 77; }
command -v dcmdump >/dev/null || { echo "dcmdump missing (apt-get install dcmtk)"; exit 77; }
now() { date +%s.%N; }
nfiles=$(find "$in" -type f | wc -l)
ours=() dump=()
for i in $(seq "$n"); do
  t0=$(now); "$bin" scan "$in" >/dev/null && rc=0 || rc=$?; t1=$(now)
  # 0 clean, 1 findings: both are a completed scan; anything else is an error
  [ "$rc" -le 1 ] || { echo "faceless scan failed with exit $rc"; exit 1; }
  t2=$(now); dcmdump -q "$in"/* >/dev/null 2>&1 || true; t3=$(now)
  ours+=("$(echo "$t1 - $t0" | bc -l)"); dump+=("$(echo "$t3 - $t2" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mo=$(median "${ours[@]}"); md=$(median "${dump[@]}")
printf 'series: %s (%d files), %d runs each, interleaved, %s cores\n' "$in" "$nfiles" "$n" "$(nproc)"
printf 'faceless scan DIR:        median %.3f s   (target <= 1 s)\n' "$mo"
printf 'dcmdump of every file:    median %.3f s\n' "$md"
printf 'ratio faceless / dcmdump: %.2f\n' "$(echo "$mo / $md" | bc -l)"

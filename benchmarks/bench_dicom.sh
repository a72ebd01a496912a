#!/usr/bin/env bash
# DICOM series read+write by faceless against plain DCMTK on the same files,
# side by side in one run, interleaved, median of N:
#   faceless:  `faceless convert DIR OUT` (scan, sort, decode, build the volume,
#              re-encode, set the de-identification attributes, new UIDs,
#              atomic renames): the I/O part of `faceless deface DIR OUT`
#   deface:    `faceless deface DIR -o OUT`: the whole job (register, mask,
#              scramble, write), the figure issue 6's target is about
#   dcmtk-1p:  `dcmodify` on copies of all files in one process (DCMTK loads
#              every file completely and saves it again; the copy is not timed)
#   dcmtk-loop: `dcmconv IN OUT` per file, 2 in parallel (xargs -P 2)
# Target (issue 6): the 192-file child MPRAGE end to end in <= 2 s on 2 cores.
# Usage: benchmarks/bench_dicom.sh [FACELESS_BINARY] [SERIES_DIR] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
in=${2:-$root/../shared/data/dicom/SAG-anon_MPRAGE_child}
n=${3:-5}
[ -d "$in" ] || { echo "no series at $in (../shared/data absent?)"; exit 77; }
for t in dcmodify dcmconv; do command -v $t >/dev/null || { echo "$t missing (apt-get install dcmtk)"; exit 77; }; done
work=$(mktemp -d /tmp/faceless-bench-dicom-XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
# Everything reads the same local copy (page cache warm for all three), so
# the comparison is not about the file system of ../shared/data.
cp -r "$in" "$work/in"
in="$work/in"
nfiles=$(find "$in" -type f | wc -l)
bytes=$(du -sb "$in" | cut -f1)
ours=() one=() loop=() dfc=()
for i in $(seq "$n"); do
  rm -rf "$work/ours" "$work/copy" "$work/loop" "$work/dfc"
  t0=$(now); "$bin" convert "$in" "$work/ours"; t1=$(now)
  t6=$(now); "$bin" deface "$in" -o "$work/dfc"; t7=$(now)
  dfc+=("$(echo "$t7 - $t6" | bc -l)")
  cp -r "$in" "$work/copy"
  t2=$(now); dcmodify -nb -q -i "(0028,0302)=NO" "$work/copy"/* ; t3=$(now)
  mkdir "$work/loop"
  t4=$(now); (cd "$in" && ls) | xargs -P 2 -I{} dcmconv "$in/{}" "$work/loop/{}"; t5=$(now)
  ours+=("$(echo "$t1 - $t0" | bc -l)"); one+=("$(echo "$t3 - $t2" | bc -l)"); loop+=("$(echo "$t5 - $t4" | bc -l)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mo=$(median "${ours[@]}"); m1=$(median "${one[@]}"); ml=$(median "${loop[@]}"); md=$(median "${dfc[@]}")
[ "$(find "$work/dfc" -type f | wc -l)" = "$nfiles" ] || { echo "faceless deface wrote the wrong number of files"; exit 1; }
[ "$(find "$work/ours" -type f | wc -l)" = "$nfiles" ] || { echo "faceless wrote the wrong number of files"; exit 1; }
printf 'series: %s (%d files, %.1f MB), %d runs each, interleaved, %s cores\n' "$in" "$nfiles" \
  "$(echo "$bytes / 1000000" | bc -l)" "$n" "$(nproc)"
printf 'faceless deface DIR -o OUT:        median %.3f s   (target <= 2 s)\n' "$md"
printf 'faceless convert DIR OUT:          median %.3f s   (its I/O part)\n' "$mo"
printf 'DCMTK dcmodify, one process:       median %.3f s\n' "$m1"
printf 'DCMTK dcmconv per file, -P 2:      median %.3f s\n' "$ml"
printf 'ratio faceless / dcmodify:         %.2f\n' "$(echo "$mo / $m1" | bc -l)"
printf 'ratio faceless / dcmconv loop:     %.2f\n' "$(echo "$mo / $ml" | bc -l)"
printf 'ratio deface / dcmodify:           %.2f\n' "$(echo "$md / $m1" | bc -l)"

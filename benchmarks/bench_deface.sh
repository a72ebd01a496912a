#!/usr/bin/env bash
# End-to-end de-facing of 1 mm heads (.nii.gz in, .nii.gz out) by
# `faceless deface IN -o OUT` against the I/O floor `gzip -dc IN | gzip -c`
# of the same file, side by side in one run, interleaved, median of N.
# Heads: ch2 (Colin27) and chris_t1 from ../shared/data (when present).
# Targets (issue 4): faceless <= 3x the gzip floor, i.e. well under 1 s on
# 2 cores; peak memory (max RSS, /usr/bin/time -v) <= 4x the uncompressed image.
# Usage: benchmarks/bench_deface.sh [FACELESS_BINARY] [N]
#        THREADS=N faceless threads (default 2; the targets are for 2 cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
n=${2:-7}
threads=${THREADS:-2}
[ -x "$bin" ] || { echo "bench_deface: no faceless binary at $bin (build first)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing (apt-get install time)"; exit 77; }
heads=(/usr/share/mricron/templates/ch2.nii.gz)
[ -f "$root/../shared/data/nifti/chris_t1.nii.gz" ] && heads+=("$root/../shared/data/nifti/chris_t1.nii.gz")
work=$(mktemp -d /tmp/faceless-bench-deface-XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
printf '%d runs each (median), interleaved, faceless --threads %s, %s cores\n' "$n" "$threads" "$(nproc)"
printf '%-18s %11s %11s %7s %10s %10s %7s %s\n' head faceless gzip-pair ratio 'peak RSS' raw 'RSS/raw' 'verdict, voxels changed'
for in in "${heads[@]}"; do
  name=$(basename "$in" .nii.gz)
  raw=$(gzip -dc "$in" | wc -c)
  ours=() floor=() peak=0
  for i in $(seq "$n"); do
    rm -f "$work/ours.nii.gz" "$work/report.json"
    t0=$(now)
    /usr/bin/time -v -o "$work/time" "$bin" deface "$in" -o "$work/ours.nii.gz" --threads "$threads" \
      --report-out "$work/report.json" || { echo "faceless deface $in failed (exit $?)"; exit 1; }
    t1=$(now)
    gzip -dc "$in" | gzip -c >"$work/floor.nii.gz"
    t2=$(now)
    ours+=("$(echo "$t1 - $t0" | bc -l)"); floor+=("$(echo "$t2 - $t1" | bc -l)")
    r=$(rss "$work/time"); [ "$r" -gt "$peak" ] && peak=$r
  done
  mo=$(median "${ours[@]}"); mf=$(median "${floor[@]}")
  verdict=$(sed -n 's/.*"verdict": "\([a-z_]*\)".*/\1/p' "$work/report.json" | head -1)
  changed=$(sed -n 's/.*"voxels_changed": \([0-9]*\).*/\1/p' "$work/report.json" | head -1)
  ratio=$(echo "$mo / $mf" | bc -l); mem=$(echo "$peak * 1024 / $raw" | bc -l)
  printf '%-18s %9.3f s %9.3f s %7.2f %7.1f MB %7.1f MB %7.2f %s, %s\n' "$name" "$mo" "$mf" "$ratio" \
    "$(echo "$peak / 1024" | bc -l)" "$(echo "$raw / 1048576" | bc -l)" "$mem" "$verdict" "$changed"
  met() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }
  printf '  stages of the last run (report, s): %s\n' "$(tr -d '\n ' <"$work/report.json" |
    sed -n 's/.*"timings_seconds":{\([^}]*\)}.*/\1/p' | sed 's/"//g; s/,/ /g; s/:\([0-9]*\.[0-9][0-9][0-9]\)[0-9]*/ \1/g')"
  printf '  target time <= 3x gzip pair: %s; < 1 s: %s; peak memory <= 4x raw: %s\n' \
    "$(met "$ratio <= 3")" "$(met "$mo < 1")" "$(met "$mem <= 4")"
done

#!/usr/bin/env bash
# The face archive (issue 20), side by side in one run, interleaved, median
# of N: `faceless deface IN -o OUT` with and without `--archive-out ARCHIVE
# --recipient A.pub --recipient B.pub`, and the archive's size against
# `gzip -6` of what it must keep (the original stored bytes of the voxels
# the run changed, tests/tools/archive_check changed), and `faceless
# restore` against the de-face. Heads: ch2 (Colin27) and chris_t1 from
# ../shared/data (when present), both modes.
# Targets: archive <= 1.1x that gzip; de-face with an archive <= 1.15x without.
# Usage: benchmarks/bench_archive.sh [BUILD_DIR] [N]
#        THREADS=N faceless threads (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-7}
threads=${THREADS:-2}
bin=$build/faceless
check=$build/tests/archive_check
[ -x "$check" ] || check=$build/archive_check
[ -x "$bin" ] && [ -x "$check" ] || { echo "bench_archive: build first ($bin, $check)" >&2; exit 2; }
heads=(/usr/share/mricron/templates/ch2.nii.gz)
[ -f "$root/../shared/data/nifti/chris_t1.nii.gz" ] && heads+=("$root/../shared/data/nifti/chris_t1.nii.gz")
work=$(mktemp -d /tmp/faceless-bench-archive-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" keygen a >/dev/null && "$bin" keygen b >/dev/null
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
met() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }
printf '%d runs each (median), interleaved, --threads %s, %s cores\n' "$n" "$threads" "$(nproc)"
printf '%-10s %-5s %9s %9s %6s %10s %10s %10s %6s %9s\n' head mode plain archive t-ratio changed gzip-6 archive \
  s-ratio restore
for in in "${heads[@]}"; do
  name=$(basename "$in" .nii.gz)
  for mode in zero noise; do
    plain=() arch=() rest=()
    for i in $(seq "$n"); do
      rm -f p.nii.gz d.nii.gz x.archive r.nii
      t0=$(now)
      "$bin" deface "$in" -o p.nii.gz --mode "$mode" --threads "$threads"
      t1=$(now)
      "$bin" deface "$in" -o d.nii.gz --mode "$mode" --threads "$threads" --archive-out x.archive \
        --recipient a.pub --recipient b.pub
      t2=$(now)
      "$bin" restore d.nii.gz x.archive --key a.key -o r.nii
      t3=$(now)
      plain+=("$(echo "$t1 - $t0" | bc -l)"); arch+=("$(echo "$t2 - $t1" | bc -l)"); rest+=("$(echo "$t3 - $t2" | bc -l)")
    done
    cmp -s p.nii.gz d.nii.gz || { echo "bench_archive: $name: output differs with the archive"; exit 1; }
    cmp -s <(gzip -dc "$in") r.nii || { echo "bench_archive: $name: restore differs from the original"; exit 1; }
    changed=$("$check" changed "$in" d.nii.gz changed.bin)
    gz=$(gzip -6 -c changed.bin | wc -c)
    size=$(stat -c %s x.archive)
    mp=$(median "${plain[@]}"); ma=$(median "${arch[@]}"); mr=$(median "${rest[@]}")
    tr=$(echo "$ma / $mp" | bc -l); sr=$(echo "$size / $gz" | bc -l)
    printf '%-10s %-5s %7.3f s %7.3f s %6.3f %10s %10s %10s %6.3f %7.3f s\n' "$name" "$mode" "$mp" "$ma" "$tr" \
      "$changed" "$gz" "$size" "$sr" "$mr"
    printf '  targets: archive <= 1.1x gzip: %s; time <= 1.15x: %s\n' "$(met "$sr <= 1.1")" "$(met "$tr <= 1.15")"
  done
done

#!/usr/bin/env bash
# The face archive (issue 20), side by side in one run, interleaved, median
# of N: `faceless deface IN -o OUT` with and without `--archive-out ARCHIVE
# --recipient A.pub --recipient B.pub`, and the archive's size against
# `gzip -6` of what it must keep (the original stored bytes of the voxels
# the run changed, tests/tools/archive_check changed), and `faceless
# restore` against the de-face. Heads: ch2 (Colin27), chris_t1 and the
# child MPRAGE DICOM series (192 files) from ../shared/data (when present),
# both modes. Times are wall clock and CPU (user + system, /usr/bin/time):
# on a shared machine the wall-clock ratio swings with the others' load
# (0.8-1.4 on the same build), the CPU ratio much less.
# Targets: archive <= 1.1x that gzip; de-face with an archive <= 1.15x without.
# Usage: benchmarks/bench_archive.sh [BUILD_DIR] [N]
#        THREADS=N faceless threads (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
n=${2:-7}
threads=${THREADS:-2}
bin=$build/faceless
check=$build/tests/archive_check
[ -x "$check" ] || check=$build/archive_check
[ -x "$bin" ] && [ -x "$check" ] || { echo "bench_archive: build first ($bin, $check)" >&2; exit 2; }
heads=(/usr/share/mricron/templates/ch2.nii.gz)
[ -f "$root/../shared/data/nifti/chris_t1.nii.gz" ] && heads+=("$root/../shared/data/nifti/chris_t1.nii.gz")
[ -d "$root/../shared/data/dicom/SAG-anon_MPRAGE_child" ] && heads+=("$root/../shared/data/dicom/SAG-anon_MPRAGE_child")
work=$(mktemp -d /tmp/faceless-bench-archive-XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" keygen a >/dev/null && "$bin" keygen b >/dev/null
now() { date +%s.%N; }
cpu() { awk '{print $1 + $2}' "$1"; } # user + system of a /usr/bin/time -f '%U %S' file
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
met() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }
printf '%d runs each (median), interleaved, --threads %s, %s cores\n' "$n" "$threads" "$(nproc)"
printf '%-22s %-5s %9s %9s %6s %6s %10s %10s %10s %6s %9s\n' head mode plain archive t-ratio cpu-r changed gzip-6 \
  archive s-ratio restore
for in in "${heads[@]}"; do
  name=$(basename "$in" .nii.gz)
  dcm=0 ext=.nii.gz
  [ -d "$in" ] && dcm=1 ext=""
  orig_bytes() { if [ $dcm = 1 ]; then find "$in" -name '*.dcm' | sort | xargs cat; else gzip -dc "$in"; fi; }
  same() { if [ $dcm = 1 ]; then cmp -s <(cd "$1" && find . -type f | sort | xargs cat) <(cd "$2" && find . -type f | sort | xargs cat); else cmp -s "$1" "$2"; fi; }
  for mode in zero noise; do
    plain=() arch=() rest=() cplain=() carch=()
    for i in $(seq "$n"); do
      rm -rf p$ext d$ext x.archive r.nii r
      t0=$(now)
      /usr/bin/time -f '%U %S' -o tp "$bin" deface "$in" -o p$ext --mode "$mode" --threads "$threads"
      t1=$(now)
      /usr/bin/time -f '%U %S' -o ta "$bin" deface "$in" -o d$ext --mode "$mode" --threads "$threads" \
        --archive-out x.archive --recipient a.pub --recipient b.pub
      t2=$(now)
      cplain+=("$(cpu tp)"); carch+=("$(cpu ta)")
      "$bin" restore d$ext x.archive --key a.key -o r$([ $dcm = 1 ] || echo .nii)
      t3=$(now)
      plain+=("$(echo "$t1 - $t0" | bc -l)"); arch+=("$(echo "$t2 - $t1" | bc -l)"); rest+=("$(echo "$t3 - $t2" | bc -l)")
    done
    same p$ext d$ext || { echo "bench_archive: $name: output differs with the archive"; exit 1; }
    if [ $dcm = 1 ]; then
      cmp -s <(orig_bytes) <(find "$in" -name '*.dcm' | sort | sed "s|^$in|r|" | xargs cat) ||
        { echo "bench_archive: $name: restore differs from the original"; exit 1; }
    else
      cmp -s <(orig_bytes) r.nii || { echo "bench_archive: $name: restore differs from the original"; exit 1; }
    fi
    changed=$("$check" changed "$in" d$ext changed.bin)
    gz=$(gzip -6 -c changed.bin | wc -c)
    size=$(stat -c %s x.archive)
    mp=$(median "${plain[@]}"); ma=$(median "${arch[@]}"); mr=$(median "${rest[@]}")
    tr=$(echo "$ma / $mp" | bc -l); sr=$(echo "$size / $gz" | bc -l)
    cr=$(echo "$(median "${carch[@]}") / $(median "${cplain[@]}")" | bc -l)
    printf '%-22s %-5s %7.3f s %7.3f s %6.3f %6.3f %10s %10s %10s %6.3f %7.3f s\n' "$name" "$mode" "$mp" "$ma" "$tr" "$cr" \
      "$changed" "$gz" "$size" "$sr" "$mr"
    printf '  targets: archive <= 1.1x gzip: %s; time <= 1.15x: wall %s, CPU %s\n' "$(met "$sr <= 1.1")" \
      "$(met "$tr <= 1.15")" "$(met "$cr <= 1.15")"
  done
done

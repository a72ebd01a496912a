#!/usr/bin/env bash
# Batch throughput on this machine's cores against the single-job floor, in
# one run on the same images: K images de-faced one after another by
# `faceless deface --threads 1`, then the same K images by
# `faceless batch -j CORES --threads-per-job 1`. Target (issue 8): batch
# images/min >= 0.9 x CORES x single-job images/min (no serial bottleneck).
# Usage: benchmarks/bench_batch.sh [FACELESS] [K]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
k=${2:-8}
cores=$(nproc)
work=$(mktemp -d /tmp/faceless-bench-batch-XXXXXX)
trap 'rm -rf "$work"' EXIT
heads=(/usr/share/mricron/templates/ch2.nii.gz)
data=$root/../shared/data/nifti
[ -d "$data" ] && heads+=("$data"/IXI01[234]-*_ds.nii.gz "$data/niivue_T1_head_ext2.nii.gz" "$data/chris_t1.nii.gz")
mkdir -p "$work/in"
for i in $(seq 1 "$k"); do
  src=${heads[$(((i - 1) % ${#heads[@]}))]}
  mkdir -p "$work/in/s$i" && cp "$src" "$work/in/s$i/head.nii.gz"
done
now() { date +%s.%N; }
t0=$(now)
for i in $(seq 1 "$k"); do
  mkdir -p "$work/single/s$i"
  "$bin" deface "$work/in/s$i/head.nii.gz" "$work/single/s$i/head.nii.gz" --threads 1 || true
done
t1=$(now)
"$bin" batch "$work/in" "$work/batch" -j "$cores" --threads-per-job 1 -q --no-render || true
t2=$(now)
single=$(echo "$k * 60 / ($t1 - $t0)" | bc -l)
batch=$(echo "$k * 60 / ($t2 - $t1)" | bc -l)
printf 'images: %d (%s), cores: %d\n' "$k" "$(printf '%s ' "${heads[@]##*/}")" "$cores"
printf 'single job, 1 thread, sequential: %.1f images/min\n' "$single"
printf 'batch -j %d, 1 thread per job:     %.1f images/min\n' "$cores" "$batch"
printf 'ratio batch / (%d x single): %.2f   (target >= 0.90)\n' "$cores" "$(echo "$batch / ($cores * $single)" | bc -l)"

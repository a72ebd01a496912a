#!/usr/bin/env bash
# Render speed: all five views of a 1 mm head (Colin27, 181x217x181) on 2
# threads, measured side by side in one run with two references on the same
# file: `gzip -dc` (decompression alone) and `faceless info` (a full read of
# the volume). Prints the median of RUNS runs of each, the render time the
# command reports (scene preparation + ray casting, no file I/O), the wall
# time of the whole `faceless render` command, and the ratios.
# Usage: benchmarks/bench_render.sh [FACELESS_BINARY] [HEAD.nii.gz] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-${FACELESS:-$root/build/faceless}}
head=${2:-/usr/share/mricron/templates/ch2.nii.gz}
runs=${3:-7}
[ -x "$bin" ] || { echo "bench_render: no faceless binary at $bin (build first)" >&2; exit 2; }
[ -f "$head" ] || { echo "bench_render: $head missing (Debian package mricron-data)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-bench-render.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: >"$work/gzip"; : >"$work/info"; : >"$work/wall"; : >"$work/render"
for ((i = 0; i < runs; i++)); do
  # Interleaved, so that a busy machine slows every column alike.
  t0=$(now); gzip -dc "$head" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$work/gzip"
  t0=$(now); "$bin" info "$head" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$work/info"
  t0=$(now)
  "$bin" render --force --threads 2 --time "$head" "$work/out.png" 2>"$work/err"
  t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$work/wall"
  sed -n 's/.*render \([0-9.]*\) s.*/\1/p' "$work/err" >>"$work/render"
done
g=$(median <"$work/gzip"); f=$(median <"$work/info"); w=$(median <"$work/wall"); r=$(median <"$work/render")
printf 'head: %s (%s runs, median; 2 threads; 5 views of 256x256)\n' "$head" "$runs"
printf '  gzip -dc (reference)           %8.4f s\n' "$g"
printf '  faceless info (full read)      %8.4f s\n' "$f"
printf '  faceless render, render only   %8.4f s   target <= 0.3 s: %s\n' "$r" \
  "$(echo "$r <= 0.3" | bc -l | sed 's/1/met/; s/0/MISSED/')"
printf '  faceless render, whole command %8.4f s   (read + render + PNG write)\n' "$w"
printf '  ratio render / gzip -dc        %8.2f\n' "$(echo "$r / $g" | bc -l)"
printf '  ratio render / info            %8.2f\n' "$(echo "$r / $f" | bc -l)"
printf '  ratio whole command / info     %8.2f\n' "$(echo "$w / $f" | bc -l)"

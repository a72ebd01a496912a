#!/usr/bin/env bash
# faceless serve against its parts (issue 19's target), on loopback:
#   direct:  storescu of the series straight into a storescp
#   deface:  `faceless deface DIR -o OUT` of the same series
#   node:    storescu into `faceless serve` (complete-after C s) forwarding to
#            a storescp: from the first byte sent to the last instance stored
#            at the destination; also given without the C s of idle wait
#            that defines "complete"
# Target: node <= 2 x (direct + deface), on 2 cores.
# Usage: benchmarks/bench_serve.sh [FACELESS_BINARY] [SERIES_DIR] [N] [C]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
in=${2:-$root/../shared/data/dicom/SAG-anon_MPRAGE_child}
n=${3:-3}
complete=${4:-1}
[ -d "$in" ] || { echo "no series at $in (../shared/data absent?)"; exit 77; }
for t in storescu storescp; do command -v $t >/dev/null || { echo "$t missing (apt-get install dcmtk)"; exit 77; }; done
work=$(mktemp -d /tmp/faceless-bench-serve-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
now() { date +%s.%N; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
stores() { local k; k=$(grep -c 'Received Store Request' "$1" 2>/dev/null); echo "${k:-0}"; }
cp -r "$in" "$work/in"
nfiles=$(find "$work/in" -type f -name '*.dcm' | wc -l)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

direct=() deface=() node=()
for i in $(seq "$n"); do
  dp=$(port)
  mkdir -p "$work/d$i"
  storescp -aet DEST -od "$work/d$i" -v "$dp" >"$work/d$i.log" 2>&1 &
  pids+=($!)
  sleep 0.5
  t0=$(now); storescu -aec DEST 127.0.0.1 "$dp" "$work/in"/*.dcm; t1=$(now)
  direct+=("$(echo "$t1 - $t0" | bc -l)")
  t0=$(now); "$bin" deface "$work/in" -o "$work/x$i" 2>/dev/null; t1=$(now)
  deface+=("$(echo "$t1 - $t0" | bc -l)")

  np=$(port) dp2=$(port)
  mkdir -p "$work/e$i"
  storescp -aet DEST -od "$work/e$i" -v "$dp2" >"$work/e$i.log" 2>&1 &
  pids+=($!)
  "$bin" serve --aet NODE --port "$np" --spool "$work/s$i" --forward "DEST@127.0.0.1:$dp2" \
    --complete-after "$complete" -q 2>"$work/n$i.log" &
  pids+=($!)
  until echoscu -aec NODE 127.0.0.1 "$np" 2>/dev/null; do sleep 0.1; done
  t0=$(now)
  storescu -aec NODE 127.0.0.1 "$np" "$work/in"/*.dcm
  while [ "$(stores "$work/e$i.log")" -lt "$nfiles" ]; do sleep 0.05; done
  t1=$(now)
  node+=("$(echo "$t1 - $t0" | bc -l)")
  rm -rf "$work/d$i" "$work/x$i" "$work/e$i" "$work/s$i"
done
md=$(median "${direct[@]}") mf=$(median "${deface[@]}") mn=$(median "${node[@]}")
printf 'series: %s (%d files), %d runs, complete-after %s s\n' "$in" "$nfiles" "$n" "$complete"
printf 'direct storescu -> storescp: %.2f s\n' "$md"
printf 'faceless deface:             %.2f s\n' "$mf"
printf 'through faceless serve:      %.2f s (%.2f s without the idle wait)\n' "$mn" "$(echo "$mn - $complete" | bc -l)"
printf 'ratio node / (direct + deface): %.2f (target <= 2)\n' "$(echo "$mn / ($md + $mf)" | bc -l)"

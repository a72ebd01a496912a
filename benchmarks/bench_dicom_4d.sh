#!/usr/bin/env bash
# A series of many volumes (issue 18): 100 volumes of 64x64x40 in 4000
# classic files, made from pydicom's MR_small (40 positions, then
# tests/tools/make_dicom_volumes.py), timed side by side, interleaved,
# median of N:
#   deface:   `faceless deface DIR -o OUT --transform identity` (scan, sort into
#             volumes, decode, mask every volume, write every file back; the
#             registration of the first volume is left out: it does not grow
#             with the number of volumes, and MR_small is no head)
#   convert:  `faceless convert DIR OUT` (the same without the mask)
#   dcmtk:    `dcmodify` on a copy of all files in one process (DCMTK loads
#             every file completely and saves it again; the copy is not timed)
# Target (issue 18): deface at most 3x dcmtk.
# Usage: benchmarks/bench_dicom_4d.sh [FACELESS_BINARY] [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/faceless}
n=${2:-3}
pyd=/usr/lib/python3/dist-packages/pydicom/data/test_files
[ -f "$pyd/MR_small.dcm" ] || { echo "pydicom's test files are absent (python3-pydicom)"; exit 77; }
for t in dcmodify; do command -v $t >/dev/null || { echo "$t missing (apt-get install dcmtk)"; exit 77; }; done
work=$(mktemp -d /tmp/faceless-bench-dicom4d-XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
mkdir "$work/one"
for ((k = 0; k < 40; k++)); do
  cp "$pyd/MR_small.dcm" "$work/one/im$k.dcm"
  dcmodify -nb -m "(0020,0032)=-96\\-96\\$((-60 + 3 * k))" -m "(0028,0030)=3\\3" -m "(0018,0050)=3" \
    -m "(0008,0018)=1.2.826.0.1.3680043.10.1.$k" -m "(0020,0013)=$((k + 1))" "$work/one/im$k.dcm" >/dev/null
done
/usr/bin/python3 "$root/tests/tools/make_dicom_volumes.py" time 100 "$work/one" "$work/in"
nfiles=$(find "$work/in" -type f | wc -l)
dfc=() conv=() one=()
for i in $(seq "$n"); do
  rm -rf "$work/dfc" "$work/conv" "$work/copy"
  t0=$(now); "$bin" deface "$work/in" -o "$work/dfc" --transform identity; t1=$(now)
  t2=$(now); "$bin" convert "$work/in" "$work/conv"; t3=$(now)
  cp -r "$work/in" "$work/copy"
  t4=$(now); dcmodify -nb -q -i "(0028,0302)=NO" "$work/copy"/*; t5=$(now)
  dfc+=("$(echo "$t1 - $t0" | bc -l)"); conv+=("$(echo "$t3 - $t2" | bc -l)"); one+=("$(echo "$t5 - $t4" | bc -l)")
done
[ "$(find "$work/dfc" -type f | wc -l)" = "$nfiles" ] || { echo "faceless deface wrote the wrong number of files"; exit 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
md=$(median "${dfc[@]}"); mc=$(median "${conv[@]}"); m1=$(median "${one[@]}")
printf '100 volumes of 64x64x40 (%d files), %d runs each, interleaved, %s cores, load %s\n' "$nfiles" "$n" "$(nproc)" \
  "$(cut -d' ' -f1 /proc/loadavg)"
printf 'faceless deface --transform identity: median %.3f s\n' "$md"
printf 'faceless convert:                     median %.3f s\n' "$mc"
printf 'DCMTK dcmodify, one process:          median %.3f s\n' "$m1"
printf 'ratio deface / dcmodify:              %.2f   (target <= 3)\n' "$(echo "$md / $m1" | bc -l)"

#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a set
# time; exits 1 when any target crashed (CI runs it: scripts/test.sh). Seeds:
# Debian's ch2, ../shared/data NIfTI, and the malformed corpus; fuzz_template_dir
# the embedded template set; fuzz_scan also gets NIfTI headers, JSON sidecars (dcm2niix of the shared
# series) and the header audit's fixtures, generated at run time.
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#   FUZZ_BUILD=DIR     build folder (default: build-fuzz in the source tree)
#   BUILD_JOBS=N       parallel compile jobs (default: all cores)
#   FUZZ_FLAGS="..."   extra libFuzzer flags, e.g. "-fork=1 -ignore_crashes=1" (one
#                      process at a time that goes on after a crash; issue 9's runs)
# A crash leaves its input in $FUZZ_BUILD/crashes/; turn each into a regression
# file in tests/ with its fix. Full logs: $FUZZ_BUILD/logs/TARGET/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
build=$(realpath -m "${FUZZ_BUILD:-$root/build-fuzz}")
read -r -a fuzz_flags <<<"${FUZZ_FLAGS:-}"
# UBSan reports are recoverable by default: the fuzzer would print one, go on
# and keep no reproducer. Make them fatal so each leaves its input in crashes/.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFACELESS_FUZZ=ON \
  -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"${BUILD_JOBS:-$(nproc)}" --target faceless_fuzzers make_malformed >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(cd "$build/tests/fuzz" && ls fuzz_* 2>/dev/null))
mkdir -p "$build/crashes"
failed=()
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  mkdir -p "$corpus"
  seeds=$build/seeds/$t
  if [ ! -d "$seeds" ]; then
    mkdir -p "$seeds"
    case $t in
      fuzz_nifti*)
        "$build/tests/make_malformed" "$seeds" >/dev/null
        # small real headers: first 64 KiB of each head (gzip'd and plain)
        for f in /usr/share/mricron/templates/ch2.nii.gz "$root"/../shared/data/nifti/*.nii.gz; do
          [ -f "$f" ] || continue
          gzip -dc "$f" | head -c 65536 >"$seeds/$(basename "$f" .nii.gz).nii" || true
        done ;;
      fuzz_archive)
        # the first byte picks the layer (fuzz_archive.c): a payload of 4
        # changed voxels of an 8x8x8 int16 grid, and a container's clear header
        /usr/bin/python3 - "$seeds" <<'PY'
import struct, sys
d = sys.argv[1]
runs = bytes([10, 4])
p = b"FLPL" + struct.pack("<IIIqqqqqqq", 1, 3, 2, 8, 8, 8, 1, 4, 1, len(runs)) + runs
p += bytes(range(8)) + struct.pack("<Iqq", 0, 0, 0) + struct.pack("<I", 0)
open(d + "/payload", "wb").write(b"\x01" + p)
h = b"faceless-archive" + struct.pack("<I", 1) + bytes(64) + struct.pack("<I", 1) + bytes(16 + 80 + 24)
open(d + "/container", "wb").write(b"\x00" + h + struct.pack("<Q", 16) + bytes(16))
PY
        ;;
      fuzz_dicom* | fuzz_scan*)
        # fuzz_scan's first byte picks the parser (0 DICOM, 1 JSON, 2 NIfTI):
        # seed_as KIND FILE NAME copies FILE with that byte in front.
        seed_as() {
          if [ "$t" = fuzz_scan ]; then { printf "\\00$1"; cat "$2"; } >"$seeds/$3"; else cp "$2" "$seeds/$3"; fi
        }
        # small real DICOM files: pydicom's test files and one file of each shared series
        pyd=/usr/lib/python3/dist-packages/pydicom/data/test_files
        # (no `find | head` pipe: under pipefail, find's SIGPIPE when head
        # has its 40 would end this script, and the seeds after these)
        mapfile -t small < <(find "$pyd" -maxdepth 1 -name '*.dcm' -size -200k 2>/dev/null | sort)
        for f in "${small[@]:0:40}"; do
          seed_as 0 "$f" "$(basename "$f")"
        done
        for d in "$root"/../shared/data/dicom/*/; do
          f=$(find "$d" -type f -name '*.dcm' | sort | head -1) || true
          [ -n "$f" ] && [ "$(stat -c %s "$f")" -lt 4000000 ] && seed_as 0 "$f" "$(basename "$d").dcm"
        done
        # MR_small with each broken sequence of the hostile tests (tests/tools/break_sequence.py)
        for how in item_len_past_end seq_len_past_end seq_len_short item_tag_garbage; do
          [ -f "$pyd/MR_small.dcm" ] || break
          cp "$pyd/MR_small.dcm" "$build/broken.tmp"
          /usr/bin/python3 "$root/tests/tools/break_sequence.py" "$build/broken.tmp" "$how" 2>/dev/null &&
            seed_as 0 "$build/broken.tmp" "broken_$how.dcm"
          rm -f "$build/broken.tmp"
        done
        if [ "$t" = fuzz_scan ]; then
          # NIfTI headers as the scan reads them (header, extender, extensions:
          # the bytes up to vox_offset) of Debian's ch2 and the shared heads.
          for f in /usr/share/mricron/templates/ch2.nii.gz "$root"/../shared/data/nifti/*.nii.gz; do
            [ -f "$f" ] || continue
            gzip -dc "$f" | head -c 65536 >"$build/hdr.tmp" || true
            /usr/bin/python3 - "$build/hdr.tmp" "$seeds/nii_$(basename "$f" .nii.gz)" <<'PY' || true
import struct, sys
b = open(sys.argv[1], "rb").read()
e = "<" if struct.unpack("<i", b[:4])[0] in (348, 540) else ">"
if struct.unpack(e + "i", b[:4])[0] not in (348, 540):
    sys.exit(1)
v2 = struct.unpack(e + "i", b[:4])[0] == 540
off = struct.unpack(e + "q", b[168:176])[0] if v2 else int(struct.unpack(e + "f", b[108:112])[0])
open(sys.argv[2], "wb").write(b"\x02" + b[:max(348, min(off, len(b)))])
PY
          done
          rm -f "$build/hdr.tmp"
          # the header audit's own fixtures: clean and planted NIfTI, JSON and DICOM
          if /usr/bin/python3 "$root/tests/tools/make_scan_fixtures.py" "$build/scan_fixtures" >/dev/null 2>&1; then
            find "$build/scan_fixtures" -type f ! -name '*.tsv' | while read -r f; do
              n=$(basename "$(dirname "$f")")_$(basename "$f")
              case $f in
                *.json) seed_as 1 "$f" "$n" ;;
                *.nii.gz) gzip -dc "$f" >"$build/fx.tmp" && seed_as 2 "$build/fx.tmp" "$n" ;;
                *.nii) seed_as 2 "$f" "$n" ;;
                *.dcm) seed_as 0 "$f" "$n" ;;
              esac
            done
            rm -rf "$build/scan_fixtures" "$build/fx.tmp"
          fi
          # BIDS sidecars as dcm2niix writes them for the shared series (-b o: JSON only)
          if command -v dcm2niix >/dev/null; then
            for d in "$root"/../shared/data/dicom/*/; do
              [ -d "$d" ] || continue
              mkdir -p "$build/sidecars"
              dcm2niix -b o -f "$(basename "$d")_%s" -o "$build/sidecars" "$d" >/dev/null 2>&1 || true
            done
            for f in "$build"/sidecars/*.json; do [ -f "$f" ] && seed_as 1 "$f" "sidecar_$(basename "$f")"; done
            rm -rf "$build/sidecars"
          fi
        fi ;;
      fuzz_template*)
        # the embedded set's files as they are (byte 0 picks the file, byte 1
        # not 0xff: present), and each one left out
        for i in 0 1 2 3; do
          f=$root/templates/$(echo head brain face guard | cut -d' ' -f$((i + 1))).nii.gz
          [ -f "$f" ] || continue
          { printf "\\00$i\\000"; cat "$f"; } >"$seeds/real_$i"
          printf "\\00$i\\377" >"$seeds/absent_$i"
        done ;;
      *) ;;
    esac
  fi
  echo "== $t for ${secs}s"
  # Run in a log folder of its own: with -jobs/-workers libFuzzer writes the
  # fuzzing output to fuzz-N.log in the current folder, not to stdout.
  logs=$build/logs/$t
  rm -rf "$logs" && mkdir -p "$logs"
  rc=0
  (cd "$logs" && "$build/tests/fuzz/$t" -max_total_time="$secs" -rss_limit_mb=4096 -max_len=1048576 \
    -artifact_prefix="$build/crashes/$t-" -print_final_stats=1 ${fuzz_flags[@]+"${fuzz_flags[@]}"} \
    "$corpus" "$seeds" >run.log 2>&1) || rc=$?
  # A crash must not stop the other targets (set -e), nor a log without matches (grep's exit 1).
  cat "$logs/run.log" "$logs"/fuzz-*.log 2>/dev/null | grep -E "stat::|Done|ERROR|SUMMARY|cov:" | tail -12 || true
  [ "$rc" = 0 ] || { echo "!! $t exited $rc (a crash? see $logs and $build/crashes/)"; failed+=("$t"); }
done
# CI (scripts/test.sh) runs every target: a crash fails the run
[ ${#failed[@]} = 0 ] || { echo "fuzz: ${failed[*]} failed" >&2; exit 1; }

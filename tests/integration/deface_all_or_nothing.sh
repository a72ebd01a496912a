#!/usr/bin/env bash
# All or nothing (issue 21): the outputs of a run appear together or not at
# all. A SIGTERM, SIGINT or SIGHUP at any write or rename of deface, convert,
# render or report leaves no file and exits 9; a failing output (injected
# ENOSPC, a full tmpfs) leaves none of the run's outputs, and --overwrite puts
# the old files back; of two runs writing the same names without
# --overwrite exactly one wins (exit 0) and the other exits 5, and the files
# on disk are the winner's. Faults are injected with strace, so every write
# is hit, not a random moment (cli_fault_injection.sh covers those).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
command -v strace >/dev/null || { echo "SKIP: strace is not installed (scripts/bootstrap.sh test)"; exit 77; }
# strace needs ptrace; a container without it cannot run this test
strace -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace not allowed)"; exit 77; }
# LeakSanitizer (scripts/test.sh's sanitizer tier) stops the threads with
# ptrace at exit, which fails under strace: leaks are checked elsewhere.
if ldd "$FACELESS" 2>/dev/null | grep -q libasan; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi
work=$(mktemp -d /tmp/faceless-aon-XXXXXX)
mnt=$work/mnt
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  rm -rf "$work"
}
trap cleanup EXIT
ch2=/usr/share/mricron/templates/ch2.nii.gz
# Colin27 on a 2 mm grid: the same head, an eighth of the work per run (the
# test runs deface about 100 times, under strace, and under ASan in CI)
"$FACELESS_BUILD_DIR/tests/head_variant" "$ch2" "$work/in.nii.gz" --downsample ||
  { echo "head_variant failed"; exit 1; }
in=$work/in.nii.gz
sum_before=$(sha256sum <"$in")
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
empty() { # dir what
  if [ -n "$(ls -A "$1")" ]; then bad "$2: left $(ls -A "$1" | tr '\n' ' ')"; else ok; fi
}
# Runs "$@" under strace with $1 (an inject spec) applied; exit code in $rc.
inject() {
  local spec=$1
  shift
  strace -f -o /dev/null -e trace="${spec%%:*}" -e inject="$spec" "$@" 2>"$work/err"
  rc=$?
}
# The commands that write, each into $o (one per line, eval'd).
o=$work/o
fast="--transform identity" # registration is not what is tested here
commands=(
  "\"$FACELESS\" deface \"$in\" -o \"$o/out.nii.gz\" $fast --mask-out \"$o/mask.hdr\" --report-out \"$o/r.json\" --render-out \"$o/r.png\""
  "\"$FACELESS\" convert \"$in\" \"$o/pair.img\""
  "\"$FACELESS\" render \"$in\" \"$o/v.png\""
)

# 1. A signal at each fsync (every output is flushed once) and at each
# rename of the commit: exit 9, nothing in the folder. The count of fsyncs
# is found by running on until a run is not hit (exit 0).
# Each signal on deface's writes; SIGTERM on the rest (one handler serves all).
for c in "${commands[@]}"; do
  name=$(echo "$c" | awk '{print $2}')
  sigs=TERM
  [ "$name" = deface ] && sigs="TERM INT HUP"
  for sig in $sigs; do
    for call in fsync renameat2; do
      [ $call = renameat2 ] && [ $sig != TERM ] && continue
      hits=0
      for k in 1 2 3 4 5 6 7 8; do
        rm -rf "$o"
        mkdir "$o"
        eval "inject $call:signal=$sig:when=$k $c"
        [ $rc = 0 ] && break
        hits=$((hits + 1))
        [ $rc = 9 ] && ok || bad "$name, SIG$sig at $call $k: exit $rc, want 9 ($(tail -1 "$work/err"))"
        empty "$o" "$name, SIG$sig at $call $k"
      done
      [ $rc = 0 ] && ok || bad "$name: still cancelled after 8 ${call}s"
      [ $hits -ge 1 ] && ok || bad "$name, $call: no call was hit (the test does not test)"
    done
  done
done
# deface above writes 5 files (the mask is a pair): each fsync was hit
rm -rf "$o"; mkdir "$o"
eval "inject fsync:signal=TERM:when=5 ${commands[0]}"
[ $rc = 9 ] && ok || bad "deface: the 5th fsync (the report) was not hit: exit $rc"
empty "$o" "deface, SIGTERM at the report's fsync"

# 2. A write that fails (ENOSPC at the Kth write; deface above makes 5)
# leaves no output of the run, exit 5, and a rerun succeeds.
for k in 1 2 3 4 5; do
  rm -rf "$o"
  mkdir "$o"
  eval "inject write:error=ENOSPC:when=$k ${commands[0]}"
  [ $rc = 5 ] && ok || bad "ENOSPC at write $k: exit $rc, want 5"
  grep -q "^faceless: $o/[^:]*: write failed (No space left on device)$" "$work/err" && ok ||
    bad "ENOSPC at write $k: message: $(cat "$work/err")"
  empty "$o" "ENOSPC at write $k"
  eval "${commands[0]}" 2>"$work/err" && ok || bad "rerun after ENOSPC at write $k: $(cat "$work/err")"
done

# 3. --overwrite with a failure after some outputs were published: the old
# files come back unchanged (RENAME_EXCHANGE, kept until the commit ends).
rm -rf "$o"
mkdir "$o"
eval "${commands[0]}" 2>/dev/null
old=$(cd "$o" && sha256sum -- * | sort)
over="${commands[0]} --overwrite --mode noise --seed 7"
for k in 1 2 3 4 5 6; do
  eval "inject renameat2:error=EIO:when=$k $over"
  [ $rc = 0 ] && break
  [ $rc = 5 ] && ok || bad "--overwrite, EIO at rename $k: exit $rc, want 5"
  [ "$(cd "$o" && sha256sum -- * | sort)" = "$old" ] && ok || bad "--overwrite, EIO at rename $k: old outputs changed"
  [ -z "$(ls -A "$o" | grep faceless-tmp)" ] && ok || bad "--overwrite, EIO at rename $k: temporaries left"
done
[ $k = 6 ] && [ $rc = 0 ] && ok || bad "--overwrite: $((k - 1)) renames were hit, want 5 (last exit $rc)"

# 4. A full disk: --mask-out (and --report-out) on a small tmpfs. Nothing is
# left, not even the image in a roomy folder; a rerun after space is freed
# succeeds. Needs mount rights.
mkdir "$mnt"
if mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
  rm -rf "$o"
  mkdir "$o"
  head -c 40000 /dev/zero >"$mnt/filler"
  "$FACELESS" deface "$in" -o "$o/out.nii.gz" $fast --mask-out "$mnt/mask.nii" --report-out "$mnt/r.json" 2>"$work/err"
  rc=$?
  [ $rc = 5 ] && ok || bad "full tmpfs: exit $rc, want 5"
  grep -q "^faceless: $mnt/mask.nii: write failed (No space left on device)$" "$work/err" && ok ||
    bad "full tmpfs: message: $(cat "$work/err")"
  empty "$o" "full tmpfs (the image folder)"
  [ "$(ls -A "$mnt")" = filler ] && ok || bad "full tmpfs: left $(ls -A "$mnt")"
  rm "$mnt/filler"
  "$FACELESS" deface "$in" -o "$o/out.nii.gz" $fast --mask-out "$mnt/mask.nii.gz" --report-out "$mnt/r.json" \
    2>"$work/err" && ok || bad "full tmpfs, rerun after freeing space: $(cat "$work/err")"
  umount "$mnt"
else
  echo "note: cannot mount a tmpfs here; the full-disk case ran only as injected ENOSPC (section 2)"
fi

# 5. Two writers, same names, no --overwrite: one exit 0, the other 5, 20 of
# 20; the image on disk is the one the winner's report names. Different
# seeds of the noise mode make the two outputs differ.
for t in $(seq 1 20); do
  rm -rf "$o"
  mkdir "$o"
  for s in 1 2; do
    "$FACELESS" deface "$in" -o "$o/out.nii.gz" $fast --mode noise --seed $s --report-out "$o/r.json" \
      2>"$work/err$s" &
    eval "pid$s=$!"
  done
  wait $pid1; rc1=$?
  wait $pid2; rc2=$?
  codes=$(printf '%s\n' $rc1 $rc2 | sort | tr '\n' ' ')
  [ "$codes" = "0 5 " ] && ok || bad "writers, trial $t: exits $rc1 and $rc2, want 0 and 5"
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"][0]["output_sha256"])' "$o/r.json")
  [ "$(sha256sum <"$o/out.nii.gz" | cut -d' ' -f1)" = "$want" ] && ok || bad "writers, trial $t: image is not the winner's"
  [ "$(ls -A "$o" | tr '\n' ' ')" = "out.nii.gz r.json " ] && ok || bad "writers, trial $t: left $(ls -A "$o")"
  loser=$([ $rc1 = 5 ] && echo 1 || echo 2)
  grep -q "^faceless: $o/[a-z.]*: \(output \)\?exists" "$work/err$loser" && ok || bad "writers, trial $t: loser says $(cat "$work/err$loser")"
done

[ "$(sha256sum <"$in")" = "$sum_before" ] && ok || bad "input changed"
echo "deface_all_or_nothing: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

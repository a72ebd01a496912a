#!/usr/bin/env bash
# faceless render --engine vtk (issue 5, optional VTK): the five views drawn
# by VTK offscreen, under xvfb-run. On Colin27 (Debian's mricron-data):
#  - without an X display (DISPLAY unset, or naming no server): one line,
#    exit 4, no output file, no crash;
#  - the views match the built-in engine's (render_silhouette): silhouettes
#    overlap >= 0.97 (intersection over union) and the shading of the face
#    correlates >= 0.9 in every view;
#  - the front view's depth map (read from VTK's z-buffer) shows the same
#    nose relief as the built-in one within 3 mm, median depth difference
#    <= 0.5 mm (render_vtk_relief);
#  - an LPS copy gives the same picture; the before/after montage has the
#    built-in layout and pixels close to it.
# The pictures stay in $FACELESS_BUILD_DIR/vtk_render/ for a person to look at.
# Under ASan (scripts/test.sh's sanitizer tier) the commands that draw keep
# Mesa's software GL driver loaded from the start (LD_PRELOAD, after libasan
# as ASan requires): Mesa unloads it when the X display closes, and LeakSanitizer
# then reports what the unloaded driver's globals held (240 bytes per window,
# in "<unknown module>", which no suppression can name). With the driver
# resident that memory is reachable; our own allocations stay leak-checked.
# Without VTK: the one-line refusal (exit 4), then skip (77); without
# xvfb-run: skip (77).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
tools=$FACELESS_BUILD_DIR/tests
CH2=/usr/share/mricron/templates/ch2.nii.gz
if [ ! -r "$CH2" ]; then
  echo "skipped: Colin27 (Debian's mricron-data) is absent"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-vtk-render.XXXXXX")
trap 'rm -rf "$work"' EXIT
keep=$FACELESS_BUILD_DIR/vtk_render
mkdir -p "$keep"
fail=0

source "$FACELESS_SOURCE_DIR/tests/tools/refusal_lib.sh" # expect_refusal

if [ "${FACELESS_HAVE_VTK:-0}" != 1 ]; then
  expect_refusal 4 "vtk.png: --engine vtk needs VTK: built without VTK" "$FACELESS" render --engine vtk "$CH2" "$work/vtk.png"
  [ -e "$work/vtk.png" ] && { echo "FAIL: vtk.png was written"; fail=1; }
  [ $fail -eq 0 ] || exit 1
  echo "skipped: built without VTK (the one-line refusal of --engine vtk was checked)"
  exit 77
fi

echo "== no X display"
expect_refusal 4 "vtk.png: --engine vtk needs an X display (run under xvfb-run)" \
  env -u DISPLAY "$FACELESS" render --engine vtk "$CH2" "$work/vtk.png"
expect_refusal 4 "vtk.png: --engine vtk needs an X display (cannot open DISPLAY ':987'; run under xvfb-run)" \
  env DISPLAY=:987 "$FACELESS" render --engine vtk "$CH2" "$work/vtk.png"
if [ -e "$work/vtk.png" ] || ls -A "$work" | grep -q '^\.faceless-tmp-'; then
  echo "FAIL: a refused render left a file"
  fail=1
fi

if ! command -v xvfb-run >/dev/null 2>&1; then
  [ $fail -eq 0 ] || exit 1
  echo "skipped: xvfb-run is absent (Debian's xvfb and xauth; scripts/bootstrap.sh test installs them)"
  exit 77
fi
gl_preload=
asan=$(ldd "$FACELESS" 2>/dev/null | awk '/libasan/ { print $3 }')
if [ -n "$asan" ]; then
  for d in "/usr/lib/$(uname -m)-linux-gnu/dri" /usr/lib64/dri /usr/lib/dri; do
    if [ -f "$d/swrast_dri.so" ]; then
      gl_preload="$asan $d/swrast_dri.so"
      break
    fi
  done
  echo "ASan build: drawing with LD_PRELOAD=${gl_preload:-(no swrast_dri.so found)}"
fi

# One X server for the rest. -a picks a free display number; starting the
# search at a random one keeps concurrent runs (other checkouts on the same
# machine) from racing for :99.
xvfb-run -a -n $((100 + RANDOM % 4000)) -s "-screen 0 640x480x24" bash -s -- "$CH2" "$work" "$keep" "$tools" "$gl_preload" <<'EOS' || fail=1
set -u
CH2=$1 work=$2 keep=$3 tools=$4 gl_preload=$5
fail=0
gl() { LD_PRELOAD="$gl_preload" "$@"; } # a command that draws with VTK (see top)
echo "== built-in and VTK views of Colin27 (DISPLAY=$DISPLAY)"
"$FACELESS" render --time --no-labels "$CH2" "$work/builtin.png" 2>"$work/t1" || fail=1
gl "$FACELESS" render --time --no-labels --engine vtk "$CH2" "$work/vtk.png" 2>"$work/t2" || fail=1
echo "built-in: $(cat "$work/t1")"
echo "vtk:      $(cat "$work/t2")"
cp "$work/builtin.png" "$work/vtk.png" "$keep/" 2>/dev/null
"$tools/render_silhouette" "$work/builtin.png" "$work/vtk.png" 5 0.97 0.9 || fail=1
gl "$tools/render_vtk_relief" "$CH2" || fail=1

echo "== LPS copy: same picture"
"$tools/render_restore" "$CH2" "$work/ch2-lps.nii.gz" lps >/dev/null
gl "$FACELESS" render --no-labels --engine vtk "$work/ch2-lps.nii.gz" "$work/vtk-lps.png" || fail=1
"$tools/render_pngdiff" "$work/vtk.png" "$work/vtk-lps.png" 0.5 0.002 || fail=1

echo "== before/after montage (de-faced stand-in: voxels in front of the eyes zeroed)"
"$tools/render_restore" "$CH2" "$work/ch2-zeroface.nii.gz" zeroface >/dev/null
"$FACELESS" render "$CH2" "$work/montage-builtin.png" --after "$work/ch2-zeroface.nii.gz" || fail=1
gl "$FACELESS" render --engine vtk "$CH2" "$work/montage-vtk.png" --after "$work/ch2-zeroface.nii.gz" || fail=1
cp "$work/montage-builtin.png" "$work/montage-vtk.png" "$keep/" 2>/dev/null
"$tools/render_pngdiff" "$work/montage-builtin.png" "$work/montage-vtk.png" 3 0.03 || fail=1
exit $fail
EOS
exit $fail

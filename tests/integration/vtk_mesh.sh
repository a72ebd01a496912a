#!/usr/bin/env bash
# --mesh-out (issue 5, optional VTK): the skin surface as a mesh file an
# operator opens in ParaView or 3D Slicer. On Colin27 (Debian's mricron-data):
#  - .vtp, .ply and .stl read back (mesh_probe: VTK's XML and PLY readers, a
#    plain binary STL parser): 100k-200k triangles, triangles facing outwards
#    (positive enclosed volume);
#  - its bounding box is the head's extent in world mm (head_extent: voxels at
#    the same threshold, no mesh involved) within 2.5 mm;
#  - copies stored in another axis order (LPS, sagittal PIR: same voxels)
#    give the same box within 0.1 mm, an oblique resampled copy within 2 mm;
#  - the mesh of the de-faced result (faceless deface --mesh-out) has no
#    vertex within 10 mm of the original's nose tip, where the original has
#    hundreds; render --after RESULT --mesh-out gives the same mesh;
#  - bad names and existing outputs are refused before any work.
# Without VTK: the one-line refusal (exit 4, nothing written), then skip (77).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
tools=$FACELESS_BUILD_DIR/tests
CH2=/usr/share/mricron/templates/ch2.nii.gz
if [ ! -r "$CH2" ]; then
  echo "skipped: Colin27 (Debian's mricron-data) is absent"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-vtk-mesh.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

source "$FACELESS_SOURCE_DIR/tests/tools/refusal_lib.sh" # expect_refusal

if [ "${FACELESS_HAVE_VTK:-0}" != 1 ]; then
  expect_refusal 4 "m.vtp: --mesh-out needs VTK: built without VTK" "$FACELESS" render "$CH2" "$work/r.png" --mesh-out "$work/m.vtp"
  expect_refusal 4 "m.vtp: --mesh-out needs VTK: built without VTK" "$FACELESS" deface "$CH2" "$work/d.nii.gz" --mesh-out "$work/m.vtp"
  if [ -n "$(ls -A "$work" | grep -v -e stdout -e stderr)" ]; then
    echo "FAIL: something was written: $(ls "$work")"
    fail=1
  fi
  [ $fail -eq 0 ] || exit 1
  echo "skipped: built without VTK (the one-line refusals of --mesh-out were checked)"
  exit 77
fi

source "$FACELESS_SOURCE_DIR/tests/tools/mesh_lib.sh" # probe, field
# within A B TOL: every pair of the six numbers of A and B within TOL.
within() {
  awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
    for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > t) exit 1 } }'
}
bounds() { awk '{ for (i = 1; i <= NF; i++) if ($i == "bounds") { print $(i+1), $(i+2), $(i+3), $(i+4), $(i+5), $(i+6); exit } }'; }

echo "== Colin27: three formats"
extent=$("$tools/head_extent" "$CH2" | bounds)
echo "head extent (voxels at the threshold): $extent"
for fmt in vtp ply stl; do
  "$FACELESS" render --time "$CH2" "$work/ch2-$fmt.png" --mesh-out "$work/ch2.$fmt" 2>"$work/time.txt" ||
    { echo "FAIL: render --mesh-out ch2.$fmt: $(cat "$work/time.txt")"; fail=1; continue; }
  echo "ch2.$fmt: $(stat -c %s "$work/ch2.$fmt") bytes; $(sed 's/.*, mesh/mesh/' "$work/time.txt")"
  probe line "$work/ch2.$fmt"
  echo "  $line"
  tri=$(echo "$line" | field triangles)
  pts=$(echo "$line" | field points)
  vol=$(echo "$line" | field volume)
  if [ "${tri:-0}" -lt 100000 ] || [ "$tri" -gt 200000 ] || [ "${pts:-0}" -lt 40000 ] || [ "$pts" -gt 120000 ]; then
    echo "FAIL: ch2.$fmt: $tri triangles, $pts points (want 100k-200k triangles, 40k-120k points)"
    fail=1
  fi
  if ! awk -v v="${vol:-0}" 'BEGIN { exit !(v > 2.0e6) }'; then
    echo "FAIL: ch2.$fmt: enclosed volume $vol mm^3: triangles face inwards, or the head is not there"
    fail=1
  fi
  if ! within "$(echo "$line" | bounds)" "$extent" 2.5; then
    echo "FAIL: ch2.$fmt: bounds $(echo "$line" | bounds) differ from the head's extent $extent by > 2.5 mm"
    fail=1
  fi
done
probe ref "$work/ch2.vtp"
tip=$(echo "$ref" | awk '{ for (i = 1; i <= NF; i++) if ($i == "tip") { print $(i+1) "," $(i+2) "," $(i+3); exit } }')
echo "original nose tip (most anterior vertex): $tip"

echo "== re-stored copies: same mesh in world space"
for mode in lps sagittal oblique; do
  "$tools/render_restore" "$CH2" "$work/ch2-$mode.nii.gz" "$mode" >/dev/null
  "$FACELESS" render "$work/ch2-$mode.nii.gz" "$work/ch2-$mode.png" --mesh-out "$work/ch2-$mode.vtp" ||
    { echo "FAIL: render --mesh-out of the $mode copy"; fail=1; continue; }
  probe line "$work/ch2-$mode.vtp"
  tol=0.1
  [ "$mode" = oblique ] && tol=2.0 # resampled on a rotated grid: interpolation moves the surface
  orient=$("$FACELESS" info "$work/ch2-$mode.nii.gz" | awk '/orientation/ { print $2 }')
  if within "$(echo "$line" | bounds)" "$(echo "$ref" | bounds)" $tol; then
    echo "ok: $mode ($orient): bounds $(echo "$line" | bounds) (within $tol mm)"
  else
    echo "FAIL: $mode ($orient): bounds $(echo "$line" | bounds) vs $(echo "$ref" | bounds) (tolerance $tol mm)"
    fail=1
  fi
  vol=$(echo "$line" | field volume)
  awk -v v="${vol:-0}" 'BEGIN { exit !(v > 2.0e6) }' || { echo "FAIL: $mode: enclosed volume $vol (inside out?)"; fail=1; }
done

echo "== de-faced result: no nose"
if ! "$FACELESS" deface "$CH2" "$work/ch2_defaced.nii.gz" --mesh-out "$work/defaced.vtp" 2>"$work/deface.err"; then
  echo "FAIL: faceless deface --mesh-out: $(cat "$work/deface.err")"
  fail=1
else
  probe near "$work/ch2.vtp" --near "$tip,10"
  before=$(echo "$near" | field near)
  probe line "$work/defaced.vtp" --near "$tip,10"
  after=$(echo "$line" | field near)
  echo "vertices within 10 mm of the nose tip: original $before, de-faced $after"
  echo "  $line"
  if [ "${before:-0}" -lt 100 ] || [ "${after:-1}" -ne 0 ]; then
    echo "FAIL: want >= 100 vertices at the original's nose tip and none in the de-faced mesh"
    fail=1
  fi
  # The same mesh through faceless render --after (IN's threshold, RESULT's surface).
  "$FACELESS" render "$CH2" "$work/montage.png" --after "$work/ch2_defaced.nii.gz" --mesh-out "$work/after.vtp" ||
    { echo "FAIL: render --after --mesh-out"; fail=1; }
  probe a "$work/after.vtp"
  if [ "$(echo "$a" | bounds)" = "$(echo "$line" | bounds)" ] &&
    [ "$(echo "$a" | field triangles)" = "$(echo "$line" | field triangles)" ]; then
    echo "ok: render --after --mesh-out gives the deface mesh ($(echo "$a" | field triangles) triangles)"
  else
    echo "FAIL: render --after --mesh-out: $a"
    fail=1
  fi
fi

echo "== refusals before any work"
expect_refusal 2 "must end with .vtp, .ply or .stl" "$FACELESS" render "$CH2" "$work/x.png" --mesh-out "$work/m.obj"
expect_refusal 2 "must end with .vtp, .ply or .stl" "$FACELESS" deface "$CH2" "$work/x.nii.gz" --mesh-out "$work/m.obj"
expect_refusal 5 "ch2.vtp: output exists" "$FACELESS" render "$CH2" "$work/x.png" --mesh-out "$work/ch2.vtp"
expect_refusal 5 "named twice" "$FACELESS" render "$CH2" "$work/x.vtp" --mesh-out "$work/x.vtp"
if [ -e "$work/x.png" ] || [ -e "$work/x.nii.gz" ]; then
  echo "FAIL: a refused command wrote its output"
  fail=1
fi
if ls -A "$work" | grep -q '^\.faceless-tmp-'; then
  echo "FAIL: temporary files left: $(ls -A "$work" | grep '^\.faceless-tmp-')"
  fail=1
fi
exit $fail

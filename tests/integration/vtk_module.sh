#!/usr/bin/env bash
# VTK as a run-time module (render_vtk_load.c): faceless links no VTK library
# and loads faceless_vtk.so only for --mesh-out and --engine vtk.
#  - ldd: faceless links no libvtk; faceless --version and faceless deface of
#    Colin27 map none either (LD_DEBUG=files lists every object the dynamic
#    loader maps, dlopen'ed ones included);
#  - FACELESS_VTK_MODULE naming a missing file, or a library that is not the
#    module: --mesh-out and --engine vtk are refused in one line naming it,
#    exit 4, nothing written, before any work; deface without them runs;
#  - an installed faceless (cmake --install) finds PREFIX/lib/faceless/
#    faceless_vtk.so, loads VTK through it and writes the mesh.
# Without VTK: the checks of the first point, then skip (77).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
CH2=/usr/share/mricron/templates/ch2.nii.gz
if [ ! -r "$CH2" ]; then
  echo "skipped: Colin27 (Debian's mricron-data) is absent"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-vtk-module.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0

source "$FACELESS_SOURCE_DIR/tests/tools/mapped_lib.sh" # mapped, maps_none, installed_loads
# no_vtk WHAT NAME CMD...: CMD succeeds and maps no libvtk.
no_vtk() { maps_none VTK 'libvtk\|faceless_vtk' "$@"; }

echo "== commands that do not use VTK do not load it"
n=$(ldd "$FACELESS" | grep -c vtk)
if [ "$n" -ne 0 ]; then
  echo "FAIL: faceless links $n VTK libraries: $(ldd "$FACELESS" | grep vtk | head -3 | tr '\n' ' ')"
  fail=1
else
  echo "ok: ldd faceless: no VTK library"
fi
no_vtk "faceless --version" version "$FACELESS" --version
no_vtk "faceless deface ch2" deface "$FACELESS" deface "$CH2" "$work/d.nii.gz"

if [ "${FACELESS_HAVE_VTK:-0}" != 1 ]; then
  [ $fail -eq 0 ] || exit 1
  echo "skipped: built without VTK (checked that nothing maps VTK)"
  exit 77
fi

source "$FACELESS_SOURCE_DIR/tests/tools/refusal_lib.sh" # expect_refusal

echo "== the module missing, or not the module"
missing=$work/nowhere/faceless_vtk.so
export FACELESS_VTK_MODULE=$missing
expect_refusal 4 "m.vtp: --mesh-out needs VTK: cannot load the VTK module $missing: cannot open shared object file" \
  "$FACELESS" deface "$CH2" "$work/x.nii.gz" --mesh-out "$work/m.vtp"
expect_refusal 4 "m.ply: --mesh-out needs VTK: cannot load the VTK module $missing" \
  "$FACELESS" render "$CH2" "$work/x.png" --mesh-out "$work/m.ply"
expect_refusal 4 "x.png: --engine vtk needs VTK: cannot load the VTK module $missing" \
  "$FACELESS" render --engine vtk "$CH2" "$work/x.png"
libz=$(ldd "$FACELESS" | awk '/libz\.so/ { print $3; exit }')
if [ -n "$libz" ]; then
  export FACELESS_VTK_MODULE=$libz
  expect_refusal 4 "m.vtp: --mesh-out needs VTK: not a faceless VTK module: $libz" \
    "$FACELESS" deface "$CH2" "$work/x.nii.gz" --mesh-out "$work/m.vtp"
fi
if [ -n "$(ls -A "$work" | grep -e '^x\.' -e '^m\.' -e '^\.faceless-tmp-')" ]; then
  echo "FAIL: a refused command wrote: $(ls -A "$work")"
  fail=1
fi
# The module is needed for --mesh-out only: the same deface without it runs.
no_vtk "faceless deface ch2 (FACELESS_VTK_MODULE unusable)" deface2 "$FACELESS" deface "$CH2" "$work/d2.nii.gz"
unset FACELESS_VTK_MODULE

echo "== an installed faceless finds PREFIX/lib/faceless/faceless_vtk.so"
if installed_loads faceless_vtk.so installed render "$CH2" "$work/i.png" --mesh-out "$work/i.ply"; then
  nvtk=$(grep -c 'libvtk' "$work/installed.mapped")
  if [ ! -s "$work/i.ply" ]; then
    echo "FAIL: installed faceless render --mesh-out wrote no mesh"
    fail=1
  elif [ "$nvtk" -lt 5 ]; then
    echo "FAIL: installed faceless --mesh-out maps $nvtk VTK libraries (want them loaded with the module)"
    fail=1
  else
    echo "ok: installed faceless --mesh-out: loaded PREFIX/lib/faceless/faceless_vtk.so and $nvtk VTK libraries; i.ply $(stat -c %s "$work/i.ply") bytes"
  fi
fi
exit $fail

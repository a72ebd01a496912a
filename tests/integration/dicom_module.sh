#!/usr/bin/env bash
# DICOM as a run-time module (src/io/dicom/dicom_load.c): faceless links
# neither DCMTK nor what it pulls in, and loads faceless_dicom.so only when a
# command reads or writes DICOM (issue 4: 5.35 MB of RSS in every process).
#  - readelf: faceless NEEDs no libdcm*, libof*, libopenjp2, libstdc++, ICU
#    or libxml2, directly or through another library (ldd);
#  - faceless --version, deface, info of a NIfTI and info of a folder of
#    NIfTI files map none of them (LD_DEBUG=files lists every object the
#    dynamic loader maps, dlopen'ed ones included); a DICOM read maps them;
#  - FACELESS_DICOM_MODULE naming a missing file, or a library that is not the
#    module: a DICOM input is refused in one line naming it, exit 4, nothing
#    written; the same deface of a NIfTI runs;
#  - an installed faceless (cmake --install) finds PREFIX/lib/faceless/
#    faceless_dicom.so and reads DICOM through it.
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}" "${FACELESS_SOURCE_DIR:?}"
CH2=/usr/share/mricron/templates/ch2.nii.gz
DCM=/usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm
if [ ! -r "$CH2" ] || [ ! -r "$DCM" ]; then
  echo "skipped: Colin27 (Debian's mricron-data) or pydicom's MR_small.dcm (python3-pydicom) is absent"
  exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/faceless-dicom-module.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail=0
source "$FACELESS_SOURCE_DIR/tests/tools/mapped_lib.sh"  # mapped, maps_none, installed_loads
source "$FACELESS_SOURCE_DIR/tests/tools/refusal_lib.sh" # expect_refusal

# What the module brings: DCMTK, its dependencies, OpenJPEG, the module itself.
DCMTK_OBJECTS='libdcm\|libofstd\|liboflog\|libopenjp2\|libstdc++\|libicu\|libxml2\|faceless_dicom'
# In an ASan/UBSan build (scripts/test.sh) the sanitizer runtime brings
# libstdc++ (libubsan.so NEEDs it): only faceless's own NEEDED entries
# (readelf) can show whether faceless asks for it.
if ldd "$FACELESS" | grep -q 'libasan\|libubsan'; then
  DCMTK_OBJECTS='libdcm\|libofstd\|liboflog\|libopenjp2\|libicu\|libxml2\|faceless_dicom'
  echo "(sanitizer build: libstdc++ comes with the sanitizer runtime, checked in NEEDED only)"
fi
NEEDED_BANNED="$DCMTK_OBJECTS\|libstdc++"
no_dcmtk() { maps_none DCMTK "$DCMTK_OBJECTS" "$@"; }

echo "== faceless links no DCMTK"
needed=$(readelf -d "$FACELESS" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ -z "$needed" ]; then
  echo "FAIL: readelf -d $FACELESS lists no NEEDED library"
  fail=1
elif echo "$needed" | grep -q -- "$NEEDED_BANNED"; then
  echo "FAIL: faceless NEEDs $(echo "$needed" | grep -- "$NEEDED_BANNED" | tr '\n' ' ')"
  fail=1
else
  echo "ok: readelf: faceless NEEDs $(echo "$needed" | wc -l) libraries, none of DCMTK"
fi
n=$(ldd "$FACELESS" | grep -c -- "$DCMTK_OBJECTS")
if [ "$n" -ne 0 ]; then
  echo "FAIL: ldd faceless: $n DCMTK libraries: $(ldd "$FACELESS" | grep -- "$DCMTK_OBJECTS" | head -3 | tr '\n' ' ')"
  fail=1
else
  echo "ok: ldd faceless: no DCMTK library"
fi

echo "== NIfTI commands do not load it"
mkdir "$work/niftis"
cp "$CH2" "$work/niftis/a.nii.gz"
cp "$CH2" "$work/niftis/b.nii.gz"
no_dcmtk "faceless --version" version "$FACELESS" --version
no_dcmtk "faceless deface ch2" deface "$FACELESS" deface "$CH2" "$work/d.nii.gz"
no_dcmtk "faceless info ch2" info "$FACELESS" info "$CH2"
# A folder is DICOM to `info`; its NIfTI files are skipped without DCMTK.
files=$(mapped infodir "$FACELESS" info "$work/niftis")
if [ "$(cat "$work/infodir.rc")" != 3 ] || ! grep -q "no DICOM images found (2 other files skipped)" "$work/infodir.err"; then
  echo "FAIL: faceless info FOLDER-OF-NIFTI: exit $(cat "$work/infodir.rc") (want 3): $(cat "$work/infodir.err")"
  fail=1
elif echo "$files" | grep -q -- "$DCMTK_OBJECTS"; then
  echo "FAIL: faceless info FOLDER-OF-NIFTI maps $(echo "$files" | grep -- "$DCMTK_OBJECTS" | head -3 | tr '\n' ' ')"
  fail=1
else
  echo "ok: faceless info FOLDER-OF-NIFTI: exit 3 (no DICOM images), none of DCMTK mapped"
fi

echo "== a DICOM command loads it"
files=$(mapped dicom "$FACELESS" info "$DCM")
if [ "$(cat "$work/dicom.rc")" != 0 ] || ! echo "$files" | grep -q 'faceless_dicom\.so$' ||
  ! echo "$files" | grep -q libdcmdata; then
  echo "FAIL: faceless info MR_small.dcm: exit $(cat "$work/dicom.rc"), mapped: $(echo "$files" | grep -- "$DCMTK_OBJECTS" | tr '\n' ' ') $(cat "$work/dicom.err")"
  fail=1
else
  echo "ok: faceless info MR_small.dcm: $(echo "$files" | grep -c -- "$DCMTK_OBJECTS") DCMTK objects mapped"
fi

echo "== the module missing, or not the module"
missing=$work/nowhere/faceless_dicom.so
export FACELESS_DICOM_MODULE=$missing
expect_refusal 4 "MR_small.dcm: reading DICOM needs the DICOM module: cannot load the DICOM module $missing: cannot open shared object file" \
  "$FACELESS" deface "$DCM" -o "$work/x"
mkdir "$work/series"
cp "$DCM" "$work/series/1.dcm"
expect_refusal 4 "1.dcm: reading DICOM needs the DICOM module: cannot load the DICOM module $missing" \
  "$FACELESS" info "$work/series"
libz=$(ldd "$FACELESS" | awk '/libz\.so/ { print $3; exit }')
if [ -n "$libz" ]; then
  export FACELESS_DICOM_MODULE=$libz
  expect_refusal 4 "MR_small.dcm: reading DICOM needs the DICOM module: not a faceless DICOM module: $libz" \
    "$FACELESS" convert "$DCM" "$work/x"
fi
if [ -e "$work/x" ] || [ -n "$(ls -A "$work" | grep '^\.faceless-tmp-')" ]; then
  echo "FAIL: a refused command wrote: $(ls -A "$work" | grep -e '^x$' -e '^\.faceless-tmp-' | tr '\n' ' ')"
  fail=1
fi
# The module is needed for DICOM only: a NIfTI deface without it runs.
no_dcmtk "faceless deface ch2 (FACELESS_DICOM_MODULE unusable)" deface2 "$FACELESS" deface "$CH2" "$work/d2.nii.gz"
unset FACELESS_DICOM_MODULE

echo "== an installed faceless finds PREFIX/lib/faceless/faceless_dicom.so"
if installed_loads faceless_dicom.so installed info "$DCM"; then
  if ! grep -q "MR_small" "$work/installed.out"; then
    echo "FAIL: installed faceless info MR_small.dcm printed: $(head -3 "$work/installed.out")"
    fail=1
  else
    echo "ok: installed faceless info MR_small.dcm: loaded PREFIX/lib/faceless/faceless_dicom.so"
  fi
fi
exit $fail

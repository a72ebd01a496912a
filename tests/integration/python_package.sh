#!/usr/bin/env bash
# The Python package (issue 17): `cmake --install` into a fresh prefix, then
# tests/python/test_faceless.py under pytest with PYTHONPATH as README says
# (deface() and deface_array() against the CLI's bytes and voxels, errors,
# progress, a nipype workflow). Debian's python3-numpy, -nibabel, -pytest and
# -nipype (scripts/bootstrap.sh test).
set -u
: "${FACELESS_SOURCE_DIR:?}" "${FACELESS_BUILD_DIR:?}"
# The release tier runs this; the ASan+UBSan tier (scripts/test.sh) skips it:
# Python cannot load an ASan-built libfaceless.so without preloading the ASan runtime.
if ldd "${FACELESS:-/nonexistent}" 2>/dev/null | grep -q libasan; then
  echo "skip: ASan build (Python cannot load an ASan-built libfaceless.so without preloading the ASan runtime); the release tier runs it"
  exit 77
fi
py=/usr/bin/python3 # Debian's, with Debian's packages
[ -x "$py" ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
for m in numpy nibabel pytest nipype; do
  "$py" -c "import $m" 2>/dev/null || { echo "SKIP: python3-$m missing (scripts/bootstrap.sh test)"; exit 77; }
done
work=$(mktemp -d /tmp/faceless-python-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$FACELESS_BUILD_DIR" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { echo "FAIL cmake --install: $(tail -5 "$work/install.log")"; exit 1; }
export PYTHONPATH=$prefix/lib/python3/dist-packages FACELESS_CLI=$prefix/bin/faceless
cd "$work" && "$py" -m pytest -q -p no:cacheprovider "$FACELESS_SOURCE_DIR/tests/python"

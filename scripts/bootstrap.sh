#!/usr/bin/env bash
# Installs the Debian 12 packages faceless needs. Usage: scripts/bootstrap.sh [build|demo|test]
#   build: compiler, CMake and the libraries; demo: + the Colin27 head (mricron-data);
#   test: + the tools the test suite uses (with libvtk9-dev, so the tests build and check
#   the optional VTK mesh and render paths under xvfb-run; valgrind for the memcheck test; strace to inject signals and write errors; clang and its libFuzzer runtime for the fuzz targets). A quick no-op when everything is present.
#   demo and test also run `npm ci` in src/report/qc_page: NiiVue, pinned by its
#   package-lock.json, for the QC page's 3D view (optional: without the npm
#   registry the page keeps its PNG renders and the 3D test skips).
set -euo pipefail
set_name=${1:-test}

BUILD_PACKAGES=(build-essential cmake pkg-config libnifti2-dev libfftw3-dev libgsl-dev libdcmtk-dev
  libpng-dev libdeflate-dev nettle-dev zlib1g-dev libopenjp2-7-dev libsodium-dev)
DEMO_PACKAGES=(mricron-data)
TEST_PACKAGES=(python3 python3-pydicom python3-numpy python3-nibabel python3-pytest python3-nipype dcm2niix dicom3tools dcmtk gzip bc time snakemake chromium chromium-driver nodejs libvtk9-dev xvfb xauth valgrind strace clang libclang-rt-14-dev)

case "$set_name" in
  build) wanted=("${BUILD_PACKAGES[@]}") ;;
  demo) wanted=("${BUILD_PACKAGES[@]}" "${DEMO_PACKAGES[@]}") ;;
  test) wanted=("${BUILD_PACKAGES[@]}" "${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|demo|test]" >&2; exit 2 ;;
esac

# NiiVue for the QC page's 3D view (src/report/module.cmake embeds it when
# present). Never fatal: offline, the build goes on without the 3D view.
qc_page_modules() {
  [ "$set_name" = build ] && return 0
  local dir=$root/src/report/qc_page
  [ -f "$dir/node_modules/@niivue/niivue/dist/niivue.umd.js" ] &&
    cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.faceless" && return 0
  if ! command -v npm >/dev/null 2>&1; then
    # Debian's nodejs has no npm of its own (other builds of nodejs do)
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 || true
  fi
  if command -v npm >/dev/null 2>&1 &&
    (cd "$dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1); then
    cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.faceless"
    echo "faceless: NiiVue installed for the QC page's 3D view (src/report/qc_page/node_modules)" >&2
  else
    echo "faceless: note: could not install NiiVue from npm (offline?); the QC page will have no 3D view" >&2
  fi
}
root=$(cd "$(dirname "$0")/.." && pwd)
SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo); fi

missing=()
for p in "${wanted[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  qc_page_modules
  exit 0
fi

echo "faceless: installing Debian packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
else
  echo "faceless: these packages are missing and installing them needs root: ${missing[*]}" >&2
  echo "faceless: run 'sudo $0 $set_name' once, or install them with apt-get" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "faceless: packages installed" >&2
qc_page_modules

#!/usr/bin/env bash
# Installs the Debian 12 packages faceless needs. Usage: scripts/bootstrap.sh [build|demo|test]
#   build: compiler, CMake and the libraries; demo: + the Colin27 head (mricron-data);
#   test: + the tools the test suite uses (with libvtk9-dev, so the tests build and check
#   the optional VTK mesh and render paths under xvfb-run; valgrind for the memcheck test; strace to inject signals and write errors; clang and its libFuzzer runtime for the fuzz targets). A quick no-op when everything is present.
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

missing=()
for p in "${wanted[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

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

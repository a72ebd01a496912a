#!/usr/bin/env bash
# The installable library (issue 17): `cmake --install` into a fresh prefix;
# libfaceless.so has a SONAME and exports faceless_* alone, as does the
# static libfaceless.a; examples/deface.c built through pkg-config (shared
# and --static) and through the CMake package de-faces Colin27 with
# faceless_deface_file() into the same bytes as `faceless deface`.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}" "${FACELESS_BUILD_DIR:?}"
# The release tier runs this; the ASan+UBSan tier (scripts/test.sh) skips it:
# the installed library is linked into programs built without the sanitizer, which cannot load an ASan library.
if ldd "${FACELESS:-/nonexistent}" 2>/dev/null | grep -q libasan; then
  echo "skip: ASan build (the installed library is linked into programs built without the sanitizer, which cannot load an ASan library); the release tier runs it"
  exit 77
fi
ch2=/usr/share/mricron/templates/ch2.nii.gz
[ -f "$ch2" ] || { echo "SKIP: $ch2 missing (Debian's mricron-data)"; exit 77; }
command -v pkg-config >/dev/null || { echo "SKIP: no pkg-config"; exit 77; }
work=$(mktemp -d /tmp/faceless-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
cc=${CC:-cc}
prefix=$work/prefix

cmake --install "$FACELESS_BUILD_DIR" --prefix "$prefix" >"$work/install.log" 2>&1 || bad "cmake --install: $(tail -5 "$work/install.log")"
for f in include/faceless.h lib/libfaceless.a lib/libfaceless.so lib/pkgconfig/faceless.pc \
  lib/cmake/faceless/facelessConfig.cmake lib/cmake/faceless/facelessConfigVersion.cmake \
  lib/faceless/faceless_dicom.so share/doc/faceless/LICENSE share/doc/faceless/LICENSE-colin27.txt bin/faceless; do
  [ -e "$prefix/$f" ] && ok || bad "not installed: $f"
done
grep -q 'BSD-3-clause' "$prefix/share/doc/faceless/LICENSE" && grep -q 'BSD 2-Clause' "$prefix/share/doc/faceless/LICENSE" &&
  ok || bad "LICENSE lacks the BSD-2-Clause text or the Colin27 notice"

# SONAME and exports
soname=$(readelf -d "$prefix/lib/libfaceless.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libfaceless.so.0 ] && ok || bad "SONAME '$soname'"
[ -e "$prefix/lib/$soname" ] && ok || bad "no $soname in lib/"
nm -D --defined-only "$prefix/lib/libfaceless.so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u >"$work/exports"
other=$(grep -v '^faceless_' "$work/exports" | grep -v '^FACELESS_' | tr '\n' ' ')
[ -z "$other" ] && ok || bad "libfaceless.so exports names without faceless_: $other"
grep -qx faceless_deface_file "$work/exports" && grep -qx faceless_deface_volume "$work/exports" && ok ||
  bad "faceless_deface_file/_volume not exported"
# every function of faceless.h is exported
for f in $(grep -o 'faceless_[a-z0-9_]*(' "$prefix/include/faceless.h" | tr -d '(' | sort -u); do
  grep -qx "$f" "$work/exports" || bad "declared in faceless.h, not exported: $f"
done
other=$(nm -g --defined-only "$prefix/lib/libfaceless.a" | awk 'NF == 3 {print $3}' | grep -v '^faceless_' | sort -u | head -5 | tr '\n' ' ')
[ -z "$other" ] && ok || bad "libfaceless.a has global names without faceless_: $other"

# The CLI's output, the reference
"$FACELESS" deface "$ch2" -o "$work/cli_noise.nii.gz" --mode noise --seed 3 --mask-out "$work/cli_mask.nii.gz" 2>"$work/cli.log" ||
  bad "faceless deface: $(cat "$work/cli.log")"
"$FACELESS" deface "$ch2" -o "$work/cli_zero.nii.gz" 2>>"$work/cli.log" || bad "faceless deface: $(cat "$work/cli.log")"
same() { # what built
  local bin=$1 what=$2
  rm -f "$work/lib_noise.nii.gz" "$work/lib_mask.nii.gz" "$work/lib_zero.nii.gz"
  "$bin" "$ch2" "$work/lib_noise.nii.gz" mode noise seed 3 mask-out "$work/lib_mask.nii.gz" 2>"$work/$what.log" ||
    { bad "$what: exit $?: $(tail -2 "$work/$what.log")"; return; }
  grep -q 'register' "$work/$what.log" && ok || bad "$what: no progress reported"
  "$bin" "$ch2" "$work/lib_zero.nii.gz" 2>>"$work/$what.log" || bad "$what (zero): exit $?"
  cmp -s "$work/cli_noise.nii.gz" "$work/lib_noise.nii.gz" && cmp -s "$work/cli_mask.nii.gz" "$work/lib_mask.nii.gz" &&
    cmp -s "$work/cli_zero.nii.gz" "$work/lib_zero.nii.gz" && ok || bad "$what: output differs from faceless deface"
}

# pkg-config, shared
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror "$FACELESS_SOURCE_DIR/examples/deface.c" $(pkg-config --cflags --libs faceless) \
  -Wl,-rpath,"$prefix/lib" -o "$work/deface_pc" 2>"$work/cc.log" && ok || bad "cc via pkg-config: $(cat "$work/cc.log")"
readelf -d "$work/deface_pc" 2>/dev/null | grep -q 'NEEDED.*libfaceless.so.0' && ok || bad "deface_pc does not use libfaceless.so.0"
[ -x "$work/deface_pc" ] && same "$work/deface_pc" pkgconfig_shared
# a bad option: the library's one-line message, the usage status
"$work/deface_pc" "$ch2" "$work/x.nii.gz" brain-margin 101 2>"$work/bad.log"
rc=$?
[ $rc = 2 ] && grep -q 'brain-margin 101: a number of mm, 0 to 100' "$work/bad.log" && [ ! -e "$work/x.nii.gz" ] && ok ||
  bad "brain-margin 101: exit $rc: $(cat "$work/bad.log")"

# pkg-config, static
# shellcheck disable=SC2046
$cc -std=c11 "$FACELESS_SOURCE_DIR/examples/deface.c" $(pkg-config --cflags faceless) -o "$work/deface_static" \
  "$prefix/lib/libfaceless.a" $(pkg-config --libs-only-other --libs-only-l --static faceless | sed 's/-lfaceless//') \
  2>"$work/cc_static.log" && ok || bad "static link via pkg-config --static: $(cat "$work/cc_static.log")"
readelf -d "$work/deface_static" 2>/dev/null | grep -q 'libfaceless' && bad "deface_static needs libfaceless.so" || ok
[ -x "$work/deface_static" ] && same "$work/deface_static" pkgconfig_static

# CMake package
cmake -S "$FACELESS_SOURCE_DIR/examples" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  >"$work/cmake.log" 2>&1 && cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 && ok ||
  bad "find_package(faceless): $(tail -20 "$work/cmake.log")"
[ -x "$work/cmake/deface" ] && same "$work/cmake/deface" cmake_shared
[ -x "$work/cmake/deface_static" ] && same "$work/cmake/deface_static" cmake_static

echo "lib_install: $pass passed, $fail failed"
[ "$fail" = 0 ]

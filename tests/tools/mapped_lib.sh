# Sourced by the integration tests that check which shared objects a command
# loads (the run-time modules: vtk_module.sh, dicom_module.sh). Needs $work
# (a scratch folder) and $fail (set to 1 on a failure) in the caller.
#
# mapped NAME CMD...: runs CMD with the loader's file log in $work/NAME.*;
# prints the objects it mapped, one a line (LD_DEBUG=files lists every object
# the dynamic loader maps, dlopen'ed ones included). CMD's own exit code is
# kept in $work/NAME.rc, its output in $work/NAME.out and $work/NAME.err.
mapped() {
  local name=$1
  shift
  rm -f "$work/$name".ld.*
  LD_DEBUG=files LD_DEBUG_OUTPUT="$work/$name.ld" "$@" >"$work/$name.out" 2>"$work/$name.err"
  echo $? >"$work/$name.rc"
  cat "$work/$name".ld.* 2>/dev/null | sed -n 's/.*file=\([^ ]*\) .*/\1/p' | sort -u
}

# maps_none LABEL PATTERN WHAT NAME CMD...: CMD succeeds and maps no object
# whose path matches the grep PATTERN (LABEL names those objects: "VTK").
maps_none() {
  local label=$1 pattern=$2 what=$3 name=$4
  shift 4
  local files n
  files=$(mapped "$name" "$@")
  n=$(echo "$files" | grep -c -- "$pattern")
  if [ "$(cat "$work/$name.rc")" != 0 ]; then
    echo "FAIL: $what: exit $(cat "$work/$name.rc"): $(cat "$work/$name.err")"
    fail=1
  elif [ -z "$files" ]; then
    echo "FAIL: $what: LD_DEBUG=files logged nothing"
    fail=1
  elif [ "$n" -ne 0 ]; then
    echo "FAIL: $what maps $n $label objects: $(echo "$files" | grep -- "$pattern" | head -3 | tr '\n' ' ')"
    fail=1
  else
    echo "ok: $what: $(echo "$files" | wc -l) objects mapped, none of $label"
  fi
}

# installed_loads MODULE NAME ARGS...: installs faceless into $work/prefix
# (cmake --install $FACELESS_BUILD_DIR) and runs $work/prefix/bin/faceless
# ARGS... as `mapped NAME` does, the objects it mapped kept in
# $work/NAME.mapped. Returns 0 when it exited 0 having loaded
# PREFIX/lib/faceless/MODULE; else 1 after a FAIL line, or 2 after a note
# when cmake is absent. What the command wrote is the caller's to check.
installed_loads() {
  local module=$1 name=$2
  shift 2
  if ! command -v cmake >/dev/null 2>&1; then
    echo "(cmake is absent: install layout not checked)"
    return 2
  fi
  if ! cmake --install "$FACELESS_BUILD_DIR" --prefix "$work/prefix" >"$work/install.log" 2>&1; then
    echo "FAIL: cmake --install: $(tail -3 "$work/install.log")"
    fail=1
    return 1
  fi
  mapped "$name" "$work/prefix/bin/faceless" "$@" >"$work/$name.mapped"
  local loaded
  loaded=$(grep "/$module\$" "$work/$name.mapped")
  if [ "$(cat "$work/$name.rc")" != 0 ]; then
    echo "FAIL: installed faceless $1: exit $(cat "$work/$name.rc"): $(cat "$work/$name.err")"
  elif [ "$(readlink -f "$loaded")" != "$(readlink -f "$work/prefix/lib/faceless/$module")" ]; then
    echo "FAIL: installed faceless $1 loaded '$loaded', not $work/prefix/lib/faceless/$module"
  else
    return 0
  fi
  fail=1
  return 1
}

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

# Sourced by the VTK mesh tests. Needs $tools (the build's tests folder, with
# mesh_probe) and $fail in the caller.
#
# probe VAR FILE [--near X,Y,Z,R]: sets VAR to mesh_probe's line; fails the
# test if it does not parse. It sets VAR rather than printing the line: as
# line=$(probe ...) it would run in a subshell, where fail=1 is lost.
probe() {
  local probe_var=$1 probe_line
  shift
  if ! probe_line=$("$tools/mesh_probe" "$@"); then
    echo "FAIL: $1 does not read back: $probe_line"
    fail=1
  fi
  printf -v "$probe_var" '%s' "$probe_line"
}
# field KEY [N]: the N-th word after KEY in a mesh_probe line on stdin.
field() { awk -v k="$1" -v n="${2:-1}" '{ for (i = 1; i <= NF; i++) if ($i == k) { print $(i + n); exit } }'; }

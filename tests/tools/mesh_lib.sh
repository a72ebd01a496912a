# Sourced by the VTK mesh tests. Needs $tools (the build's tests folder, with
# mesh_probe) and $fail in the caller.
#
# probe FILE [--near X,Y,Z,R]: mesh_probe's line; fails the test if it does not parse.
probe() {
  local line
  if ! line=$("$tools/mesh_probe" "$@"); then
    echo "FAIL: $1 does not read back: $line" >&2
    fail=1
  fi
  echo "$line"
}
# field KEY [N]: the N-th word after KEY in a mesh_probe line on stdin.
field() { awk -v k="$1" -v n="${2:-1}" '{ for (i = 1; i <= NF; i++) if ($i == k) { print $(i + n); exit } }'; }

# Sourced by the integration tests that check refusals. Needs $work (a
# scratch folder) and $fail (set to 1 on a failure) in the caller.
#
# expect_refusal CODE PATTERN CMD...: CMD exits CODE with exactly one line on
# stderr matching PATTERN and nothing on stdout (a refusal as README promises:
# one line, a documented exit code).
expect_refusal() {
  local code=$1 pattern=$2
  shift 2
  "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  if [ $rc -ne "$code" ] || [ "$(wc -l <"$work/stderr")" -ne 1 ] || ! grep -q -- "$pattern" "$work/stderr" ||
    [ -s "$work/stdout" ]; then
    echo "FAIL: ${*##*/}: exit $rc (want $code), stderr: $(cat "$work/stderr")"
    fail=1
  else
    echo "ok: exit $rc: $(cat "$work/stderr")"
  fi
}

#!/usr/bin/env bash
# The command line a pipeline relies on: help, version, exit codes, refusals.
set -u
: "${FACELESS:?}"
work=$(mktemp -d /tmp/faceless-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
ch2=/usr/share/mricron/templates/ch2.nii.gz
pass=0 fail=0
expect() { # description want_code command...
  local what=$1 want=$2; shift 2
  "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  if [ "$got" = "$want" ]; then pass=$((pass + 1)); else
    echo "FAIL $what: exit $got, want $want; stderr: $(cat "$work/stderr")"; fail=$((fail + 1)); fi
}
expect "--help" 0 "$FACELESS" --help
grep -q "usage: faceless" "$work/stdout" || { echo "FAIL --help text"; fail=$((fail + 1)); }
expect "--version" 0 "$FACELESS" --version
grep -qE "^faceless [0-9]+\.[0-9]+\.[0-9]+$" "$work/stdout" || { echo "FAIL --version text"; fail=$((fail + 1)); }
expect "no arguments" 2 "$FACELESS"
expect "unknown command" 2 "$FACELESS" frobnicate
expect "info without file" 2 "$FACELESS" info
expect "info ch2" 0 "$FACELESS" info "$ch2"
grep -q "orientation: RAS" "$work/stdout" || { echo "FAIL info orientation"; fail=$((fail + 1)); }
grep -q "dims:        181 x 217 x 181 x 1" "$work/stdout" || { echo "FAIL info dims"; fail=$((fail + 1)); }
expect "convert ch2" 0 "$FACELESS" convert "$ch2" "$work/a.nii.gz"
[ -s "$work/stdout" ] && { echo "FAIL convert must be silent on success"; fail=$((fail + 1)); }
expect "existing output refused" 5 "$FACELESS" convert "$ch2" "$work/a.nii.gz"
expect "existing output with --force" 0 "$FACELESS" convert --force "$ch2" "$work/a.nii.gz"
expect "input as output refused even with --force" 5 "$FACELESS" convert --force "$work/a.nii.gz" "$work/a.nii.gz"
cmp -s <(gzip -dc "$ch2") <(gzip -dc "$work/a.nii.gz") || { echo "FAIL input changed by refused write"; fail=$((fail + 1)); }
expect "unknown output type" 2 "$FACELESS" convert "$ch2" "$work/a.png"
[ -e "$work/a.png" ] && { echo "FAIL output left for unknown type"; fail=$((fail + 1)); }
mkdir "$work/ro" && chmod 555 "$work/ro"
if [ "$(id -u)" != 0 ]; then
  expect "read-only output folder" 5 "$FACELESS" convert "$ch2" "$work/ro/x.nii.gz"
fi
expect "output folder missing" 5 "$FACELESS" convert "$ch2" "$work/nope/x.nii.gz"
ls -A "$work" | grep -q "faceless-tmp" && { echo "FAIL temporary left behind"; fail=$((fail + 1)); }
echo "cli_basics: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

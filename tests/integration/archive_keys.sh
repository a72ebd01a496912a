#!/bin/bash
# faceless keygen and the refusals of the face archive that need no image
# (issue 20): the key pair's files and modes, never replacing a key without
# --overwrite, a private key others can read refused by restore (exit 11)
# as ssh does, a private key given as a recipient refused without echoing
# it, the archive options' usage errors, a file that is no archive. No
# message may contain a private key.
set -u
: "${FACELESS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
expect() { # code what... ; runs the rest, stderr to $tmp/err
    local want=$1 what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    [ "$rc" = "$want" ] || bad "$what: exit $rc, expected $want: $(cat "$tmp/err")"
    # a usage error may print the usage; every other refusal is one line
    [ "$want" = 2 ] || [ "$(wc -l <"$tmp/err")" -le 1 ] || bad "$what: more than one line on stderr: $(cat "$tmp/err")"
}
secret() { cut -d' ' -f2 "$1"; }
no_secret() { # file key: the key's base64 must not be in file
    if grep -qF -- "$(secret "$2")" "$1"; then bad "$1 holds the private key of $2"; fi
}

cd "$tmp" || exit 1
echo "== keygen"
(umask 000 && "$FACELESS" keygen alice >"$tmp/fpr" 2>"$tmp/err") || bad "keygen alice: $(cat "$tmp/err")"
[ "$(stat -c %a alice.key)" = 600 ] || bad "alice.key mode $(stat -c %a alice.key), not 600 (umask 000)"
grep -Eq '^faceless-x25519-public-v1 [A-Za-z0-9+/]{43}=$' alice.pub || bad "alice.pub: $(cat alice.pub)"
grep -Eq '^faceless-x25519-secret-v1 [A-Za-z0-9+/]{43}=$' alice.key || bad "alice.key is not one key line"
grep -Eq '^alice\.pub [0-9a-f]{32}$' "$tmp/fpr" || bad "keygen prints: $(cat "$tmp/fpr")"
no_secret "$tmp/fpr" alice.key
[ "$(secret alice.pub)" != "$(secret alice.key)" ] || bad "public and private key are equal"
ls -a | grep -q faceless-tmp && bad "temporary left: $(ls -a)"
cp alice.key alice.key.was
cp alice.pub alice.pub.was
expect 5 "keygen over an existing pair" "$FACELESS" keygen alice
grep -q "alice.key: exists" "$tmp/err" || bad "refusal does not name alice.key: $(cat "$tmp/err")"
cmp -s alice.key alice.key.was && cmp -s alice.pub alice.pub.was || bad "keygen without --overwrite changed a key"
"$FACELESS" keygen --overwrite alice >/dev/null 2>&1 || bad "keygen --overwrite failed"
cmp -s alice.key alice.key.was && bad "--overwrite kept the old private key"
[ "$(stat -c %a alice.key)" = 600 ] || bad "alice.key mode after --overwrite $(stat -c %a alice.key)"
expect 5 "keygen into a missing folder" "$FACELESS" keygen nowhere/k
[ -e nowhere ] && bad "keygen made nowhere/"
"$FACELESS" keygen bob >/dev/null 2>&1 || bad "keygen bob"
[ "$(secret alice.key)" != "$(secret bob.key)" ] || bad "two key pairs are equal"
expect 2 "keygen without PREFIX" "$FACELESS" keygen

echo "== a private key others can read is refused (as ssh does)"
: >empty.nii
for mode in 644 640 604 660; do
    cp -p bob.key loose.key
    chmod "$mode" loose.key
    expect 11 "restore with a key of mode $mode" "$FACELESS" restore empty.nii empty.nii --key loose.key -o out.nii
    grep -q "loose.key: private key is accessible by others" "$tmp/err" || bad "mode $mode: $(cat "$tmp/err")"
    no_secret "$tmp/err" loose.key
    [ -e out.nii ] && bad "mode $mode: out.nii written"
done

echo "== not an archive"
printf 'not an archive at all, just text\n' >junk.archive
expect 11 "restore of a file that is no archive" "$FACELESS" restore empty.nii junk.archive --key alice.key -o out.nii
grep -q "junk.archive: not a faceless face archive" "$tmp/err" || bad "junk: $(cat "$tmp/err")"
[ -e out.nii ] && bad "junk: out.nii written"
expect 2 "restore without --key" "$FACELESS" restore empty.nii junk.archive -o out.nii

echo "== deface: the archive options"
expect 2 "--archive-out without --recipient" "$FACELESS" deface missing.nii -o o.nii --archive-out a.archive
grep -q "needs at least one --recipient" "$tmp/err" || bad "$(cat "$tmp/err")"
expect 2 "--recipient without --archive-out" "$FACELESS" deface missing.nii -o o.nii --recipient alice.pub
expect 3 "a private key as recipient" "$FACELESS" deface missing.nii -o o.nii --archive-out a.archive \
    --recipient bob.key
grep -q "bob.key: this is a PRIVATE key" "$tmp/err" || bad "private key as recipient: $(cat "$tmp/err")"
no_secret "$tmp/err" bob.key
expect 3 "a missing recipient key" "$FACELESS" deface missing.nii -o o.nii --archive-out a.archive \
    --recipient carol.pub
expect 2 "the same recipient twice" "$FACELESS" deface missing.nii -o o.nii --archive-out a.archive \
    --recipient alice.pub --recipient "$tmp/alice.pub"
mkdir -p bin
expect 2 "batch --archive without --recipient" "$FACELESS" batch bin bout --archive
expect 2 "batch --recipient without --archive" "$FACELESS" batch bin bout --recipient alice.pub
ls a.archive o.nii bout 2>/dev/null && bad "a refused run wrote something"
[ $fail = 0 ] && echo "archive_keys: ok"
exit $fail

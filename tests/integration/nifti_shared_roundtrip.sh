#!/usr/bin/env bash
# Every NIfTI in ../shared/data (and Debian's ch2) survives read -> write in
# every form (.nii.gz, .nii, .hdr/.img and back) with identical bytes.
set -u
: "${FACELESS:?}"
work=$(mktemp -d /tmp/faceless-rt-XXXXXX)
trap 'rm -rf "$work"' EXIT
files=(/usr/share/mricron/templates/ch2.nii.gz)
if [ -d "${FACELESS_DATA:-/nonexistent}/nifti" ]; then
  files+=("$FACELESS_DATA"/nifti/*.nii.gz "$FACELESS_DATA"/nifti/brain_labels/*.nii.gz)
else
  echo "note: ../shared/data is absent; checking only Debian's ch2"
fi
pass=0 fail=0
for f in "${files[@]}"; do
  b=$(basename "$f" .nii.gz)
  ok=1
  "$FACELESS" convert "$f" "$work/$b.nii.gz" && "$FACELESS" convert "$work/$b.nii.gz" "$work/$b.nii" &&
    "$FACELESS" convert "$work/$b.nii" "$work/$b.hdr" && "$FACELESS" convert "$work/$b.hdr" "$work/$b.back.nii" || ok=0
  [ $ok = 1 ] && cmp -s <(gzip -dc "$f") <(gzip -dc "$work/$b.nii.gz") || ok=0
  [ $ok = 1 ] && cmp -s <(gzip -dc "$f") "$work/$b.nii" || ok=0
  [ $ok = 1 ] && cmp -s "$work/$b.nii" "$work/$b.back.nii" || ok=0
  if [ $ok = 1 ]; then pass=$((pass + 1)); else echo "FAIL $f"; fail=$((fail + 1)); fi
  rm -f "$work/$b".*
done
echo "nifti_shared_roundtrip: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

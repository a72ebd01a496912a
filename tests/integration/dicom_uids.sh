#!/usr/bin/env bash
# New DICOM UIDs follow the output (issue 18): the child MPRAGE de-faced
# three ways (--mode zero, --mode noise, --brain-margin 10) gets three
# disjoint sets of SOP Instance and Series Instance UIDs; de-faced the first
# way again (another thread count) it gets the same UIDs, so a re-send is
# recognised; no UID of the input (its own SOP Instance UIDs, its Series
# Instance UID) is left anywhere in the output files.
# Skips (77) while the deface command or ../shared/data is absent.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
"$FACELESS" deface --help >/dev/null 2>&1 || { echo "skip: this build has no deface command"; exit 77; }
in="${FACELESS_DATA:-/nonexistent}/dicom/SAG-anon_MPRAGE_child"
[ -d "$in" ] || { echo "skip: $in is absent (../shared/data)"; exit 77; }
need_tools dcmdump
work=$(mktemp -d /tmp/faceless-dicom-uids-XXXXXX)
trap 'rm -rf "$work"' EXIT

uids() { # folder -> its SeriesInstanceUIDs and SOPInstanceUIDs (top level), sorted, unique
  dcmdump -q -Un -M "$1"/* 2>/dev/null | grep -E '^\((0020,000e|0008,0018)\)' |
    sed -E 's/^[^[]*\[([^]]*)\].*/\1/' | sort -u
}

deface() { # name [options]
  local name=$1
  shift
  if "$FACELESS" deface "$in" -o "$work/$name" "$@" >"$work/$name.log" 2>&1; then
    ok
    uids "$work/$name" >"$work/$name.uids"
  else
    bad "$name: deface failed: $(tail -2 "$work/$name.log")"
    : >"$work/$name.uids"
  fi
}
deface zero --mode zero --threads 2
deface again --mode zero --threads 1
deface noise --mode noise --threads 2
deface margin --mode zero --brain-margin 10 --threads 2

nfiles=$(find "$in" -name '*.dcm' | wc -l)
# One series UID plus one SOP Instance UID per file.
[ "$(wc -l <"$work/zero.uids")" -eq $((nfiles + 1)) ] && ok ||
  bad "zero: $(wc -l <"$work/zero.uids") distinct UIDs, expected $((nfiles + 1))"
cmp -s "$work/zero.uids" "$work/again.uids" && ok || bad "the same output twice got different UIDs"
for pair in zero:noise zero:margin noise:margin; do
  a=${pair%:*} b=${pair#*:}
  shared=$(comm -12 "$work/$a.uids" "$work/$b.uids" | wc -l)
  [ "$shared" -eq 0 ] && ok || bad "$a and $b: different outputs share $shared UIDs"
done
# The three outputs really differ (else equal UIDs would be right).
for pair in zero:noise zero:margin; do
  a=${pair%:*} b=${pair#*:}
  diff -rq "$work/$a" "$work/$b" >/dev/null && bad "$a and $b: outputs identical" || ok
done

uids "$in" >"$work/in.uids"
[ -s "$work/in.uids" ] && ok || bad "no UIDs read from the input"
left=$(grep -a -l -F -f "$work/in.uids" "$work"/zero/* "$work"/noise/* 2>/dev/null | head -3)
[ -z "$left" ] && ok || bad "input UIDs left in the output: $left"
finish

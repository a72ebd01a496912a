#!/bin/bash
# Weak matches (issue 16, item 2; src/register/register.c, the comment on
# TRUST_MAX_COST_MI; README, "When faceless refuses"):
#  - the Siemens XA30 enhanced T1w (2 mm, strong coil shading, low grey/white
#    contrast: MI cost 0.89 after its shading is divided out) is a whole head
#    and is de-faced: exit 0, verdict "defaced", nothing changed outside the
#    written mask, nose, eyes and ears (voxels read off its slices) scrambled,
#    the nose no longer standing out of the face, and the brain at the frontal
#    pole and over the orbits outside the mask;
#  - its perturbed copies (register_eval) end a median under 1.5 mm from its
#    fit: the fit it is de-faced with is reproducible;
#  - the partial-coverage T2w (a 120 mm axial slab, the face cut below the
#    nose) stays refused: exit 6, one line naming the file, the weak match,
#    the sharper T1w and --apply-to; nothing written; the report says
#    refused_untrusted; --force still writes it;
#  - the reason it is refused: its perturbed copies end a median of more than
#    2 mm from its own fit. Should that ever stop being true, this fails: the
#    refusal is then to be measured again, not kept by habit.
set -u
: "${FACELESS:?FACELESS must name the faceless binary}"
: "${FACELESS_BUILD_DIR:?}"
DATA=${FACELESS_DATA:-}
XA30=$DATA/dicom/XA30_enhanced_T1w_tfl
T2W=$DATA/nifti/niivue_register_T2w.nii.gz
EVAL=$FACELESS_BUILD_DIR/tests/register_eval
[ -x "$EVAL" ] || EVAL=$FACELESS_BUILD_DIR/register_eval
CHECK=$FACELESS_BUILD_DIR/tests/deface_check
[ -x "$CHECK" ] || CHECK=$FACELESS_BUILD_DIR/deface_check
if [ -z "$DATA" ] || [ ! -d "$XA30" ] || [ ! -r "$T2W" ]; then
    echo "register_weak_match: ../shared/data (XA30 series, T2w) absent; skipped"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# The median copy error from register_eval's summary line
# "NAME: 8 copies, error median X mm, ...".
copies_median() {
    "$EVAL" --copies 8 "$1" 2>/dev/null | grep -E "^${1##*/}: [0-9]+ copies" |
        sed -n 's/.*error median \([0-9.]*\) mm.*/\1/p'
}

# --- the XA30 T1w: de-faced
"$FACELESS" deface "$XA30" -o "$tmp/xa30.nii.gz" --mask-out "$tmp/xa30_mask.nii.gz" \
    --report-out "$tmp/xa30.json" >"$tmp/xa30.out" 2>"$tmp/xa30.err"
rc=$?
if [ $rc != 0 ] || [ ! -s "$tmp/xa30.nii.gz" ] || [ ! -s "$tmp/xa30_mask.nii.gz" ]; then
    echo "FAIL xa30: want it de-faced (exit 0, image and mask written); got $rc: $(cat "$tmp/xa30.err")"
    fail=1
else
    echo "ok xa30 de-faced"
    grep -q '"verdict": "defaced"' "$tmp/xa30.json" || { echo "FAIL xa30: report verdict"; fail=1; }
    # The input as NIfTI for deface_check, which indexes its voxels; the
    # landmarks are storage indices I,J,K of that grid (128 x 128 x 96, PIR),
    # read off its slices: nose tip (most anterior tissue), the eyelids over
    # the eyeballs, the most lateral point of each pinna.
    "$FACELESS" convert "$XA30" "$tmp/xa30_in.nii.gz" >/dev/null 2>&1 || { echo "FAIL xa30: convert"; fail=1; }
    echo "== xa30"
    "$CHECK" "$tmp/xa30_in.nii.gz" "$tmp/xa30.nii.gz" --mask "$tmp/xa30_mask.nii.gz" \
        --landmark nose:13,74,47:3 --landmark eye_r:32,59,63:3 --landmark eye_l:30,59,31:3 \
        --landmark ear_l:76,76,5:2 --landmark ear_r:83,80,83:2 --protrusion 13,74,47:5 || fail=1
    # Brain that must stay outside the mask, read off its slices the same way:
    # grey matter at the frontal pole on the midline (35,44,47) and of the
    # frontal lobe over each orbit (40,46,34 and 41,46,60), behind the skull,
    # each with its 6 neighbours.
    /usr/bin/python3 - "$tmp/xa30_mask.nii.gz" <<'PY' || fail=1
import gzip, struct, sys
b = gzip.open(sys.argv[1]).read()
nx, ny, nz = struct.unpack("<3h", b[42:48])
off = int(struct.unpack("<f", b[108:112])[0])
if struct.unpack("<h", b[70:72])[0] != 2 or (nx, ny, nz) != (128, 128, 96):
    sys.exit("FAIL xa30: the mask is not uint8 on the input's grid")
bad = []
for name, (i, j, k) in (("frontal pole", (35, 44, 47)), ("frontal r", (41, 46, 60)),
                        ("frontal l", (40, 46, 34))):
    for di, dj, dk in ((0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
        if b[off + ((k + dk) * ny + j + dj) * nx + i + di]:
            bad.append("%s (%d,%d,%d)" % (name, i + di, j + dj, k + dk))
if bad:
    sys.exit("FAIL xa30: brain in the mask: " + ", ".join(bad))
print("ok xa30 brain at the frontal pole and over the orbits outside the mask")
PY
fi
median=$(copies_median "$XA30")
if [ -z "$median" ]; then
    echo "FAIL xa30: register_eval printed no summary"
    fail=1
elif awk -v m="$median" 'BEGIN { exit !(m < 1.5) }'; then
    echo "ok xa30 copies reproducible: median $median mm from its fit"
else
    echo "FAIL xa30: its perturbed copies end a median $median mm from its fit (1.5 mm allowed)"
    fail=1
fi

# --- the partial-coverage T2w: refused, and why
name=t2w
"$FACELESS" deface "$T2W" -o "$tmp/$name.nii.gz" --report-out "$tmp/$name.json" >"$tmp/$name.out" 2>"$tmp/$name.err"
rc=$?
if [ $rc != 6 ] || [ -e "$tmp/$name.nii.gz" ] || [ -s "$tmp/$name.out" ] || [ "$(wc -l <"$tmp/$name.err")" != 1 ] ||
    ! grep -q "${T2W##*/}: registration not trusted (the image matches the template too weakly.*sharpest T1w.*--apply-to" \
        "$tmp/$name.err"; then
    echo "FAIL $name: want exit 6, one line naming the file, the weak match, the sharpest T1w and --apply-to," \
        "no output; got $rc: $(cat "$tmp/$name.err")"
    fail=1
else
    echo "ok $name refused: $(cat "$tmp/$name.err")"
fi
grep -q '"verdict": "refused_untrusted"' "$tmp/$name.json" || { echo "FAIL $name: report verdict"; fail=1; }

if "$FACELESS" deface "$T2W" -o "$tmp/t2w_forced.nii.gz" --force --render-out "$tmp/t2w.png" \
    --report-out "$tmp/t2w_forced.json" 2>/dev/null && [ -s "$tmp/t2w.png" ] &&
    grep -q '"verdict": "defaced_untrusted_forced"' "$tmp/t2w_forced.json"; then
    echo "ok t2w --force writes, with its render"
else
    echo "FAIL t2w: --force did not write the image, the render and the forced verdict"
    fail=1
fi

# 8 copies: about 15 s.
median=$(copies_median "$T2W")
if [ -z "$median" ]; then
    echo "FAIL t2w: register_eval printed no summary"
    fail=1
elif awk -v m="$median" 'BEGIN { exit !(m > 2.0) }'; then
    echo "ok t2w copies not reproducible: median $median mm from its fit"
else
    echo "FAIL t2w: its perturbed copies now end a median $median mm from its fit (under 2 mm): measure its" \
        "refusal again (TRUST_MAX_COST_MI in src/register/register.c; README, When faceless refuses)"
    fail=1
fi
exit $fail

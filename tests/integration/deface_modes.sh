#!/bin/bash
# faceless deface options on Colin27 (issue 4). The template is Colin27, so
# --transform identity is exact and these checks do not depend on the
# registration (deface_heads.sh and deface_perturbed.sh cover that):
#  - noise mode: the refill's histogram matches the facial tissue (KS), the
#    nose no longer stands out of the face, landmarks are inside the mask,
#    nothing outside the mask changes; same seed -> same bytes for 1 and 2
#    threads, another seed -> other values;
#  - 4D: the same mask on every frame;
#  - --apply-to: same grid (mask applied as is) and a 2 mm grid of the same
#    head (masks pulled back onto that grid), each written as NAME_defaced;
#  - fail closed: an untrusted registration writes nothing (exit 6, report
#    verdict refused_untrusted) unless --force; existing outputs are refused
#    (exit 5) unless --force.
set -u
: "${FACELESS:?}"
: "${FACELESS_BUILD_DIR:?}"
T=$FACELESS_BUILD_DIR/tests
[ -x "$T/deface_check" ] || T=$FACELESS_BUILD_DIR
CH2=/usr/share/mricron/templates/ch2.nii.gz
[ -r "$CH2" ] || { echo "deface_modes: mricron-data (ch2) absent; skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
marks=(--landmark nose:90,205,12:4 --landmark eye_r:123,200,36:3 --landmark eye_l:57,200,36:3
       --landmark ear_l:6,84,22:2 --landmark ear_r:176,84,22:2)
run() { # expected-exit-code args...
    local want=$1; shift
    "$FACELESS" deface "$@" >"$tmp/log" 2>&1
    local rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL faceless deface $*: exit $rc, expected $want: $(cat "$tmp/log")"
        fail=1
        return 1
    fi
    return 0
}

echo "== noise mode"
run 0 "$CH2" -o "$tmp/n1.nii.gz" --transform identity --mode noise --seed 7 --threads 1 \
    --mask-out "$tmp/m.nii.gz" --report-out "$tmp/n1.json"
"$T/deface_check" "$CH2" "$tmp/n1.nii.gz" --mode noise --mask "$tmp/m.nii.gz" "${marks[@]}" \
    --ks 0.05 --protrusion 90,205,12:3 || fail=1
run 0 "$CH2" -o "$tmp/n2.nii.gz" --transform identity --mode noise --seed 7 --threads 2
cmp -s "$tmp/n1.nii.gz" "$tmp/n2.nii.gz" || { echo "FAIL noise: 1 and 2 threads differ"; fail=1; }
run 0 "$CH2" -o "$tmp/n3.nii.gz" --transform identity --mode noise --seed 8
cmp -s "$tmp/n1.nii.gz" "$tmp/n3.nii.gz" && { echo "FAIL noise: seeds 7 and 8 gave the same output"; fail=1; }
grep -q '"mode": "noise"' "$tmp/n1.json" || { echo "FAIL noise: report mode"; fail=1; }

echo "== zero mode, threads"
run 0 "$CH2" -o "$tmp/z1.nii.gz" --transform identity --threads 1
run 0 "$CH2" -o "$tmp/z2.nii.gz" --transform identity --threads 2
cmp -s "$tmp/z1.nii.gz" "$tmp/z2.nii.gz" || { echo "FAIL zero: 1 and 2 threads differ"; fail=1; }
"$T/deface_check" "$CH2" "$tmp/z1.nii.gz" --mask "$tmp/m.nii.gz" "${marks[@]}" || fail=1

echo "== 4D"
"$T/head_variant" "$CH2" "$tmp/ch2_4d.nii.gz" --frames 3 || fail=1
run 0 "$tmp/ch2_4d.nii.gz" -o "$tmp/4d_out.nii.gz" --transform identity --mask-out "$tmp/m4.nii.gz"
"$T/deface_check" "$tmp/ch2_4d.nii.gz" "$tmp/4d_out.nii.gz" --mask "$tmp/m4.nii.gz" "${marks[@]}" || fail=1
# the 4D mask equals the 3D one voxel for voxel (headers may differ): the check below
"$T/deface_check" "$CH2" "$tmp/z1.nii.gz" --mask "$tmp/m4.nii.gz" || fail=1

echo "== --apply-to"
"$T/head_variant" "$CH2" "$tmp/same.nii.gz" || fail=1
"$T/head_variant" "$CH2" "$tmp/half.nii.gz" --downsample || fail=1
mkdir -p "$tmp/out"
run 0 "$CH2" -o "$tmp/out/ref.nii.gz" --transform identity --mask-out "$tmp/out/ref_mask.nii.gz" \
    --apply-to "$tmp/same.nii.gz" "$tmp/half.nii.gz" --report-out "$tmp/out/apply.json"
for f in same_defaced.nii.gz half_defaced.nii.gz; do
    [ -r "$tmp/out/$f" ] || { echo "FAIL apply-to: $tmp/out/$f not written"; fail=1; }
done
"$T/deface_check" "$tmp/same.nii.gz" "$tmp/out/same_defaced.nii.gz" --mask "$tmp/out/ref_mask.nii.gz" \
    "${marks[@]}" || fail=1
"$T/deface_check" "$tmp/half.nii.gz" "$tmp/out/half_defaced.nii.gz" --landmark nose:45,102,6:4 \
    --landmark eye_r:61,100,18:3 --landmark eye_l:28,100,18:3 || fail=1
grep -q '"same_grid_as_reference": false' "$tmp/out/apply.json" || { echo "FAIL apply-to: report"; fail=1; }

echo "== fail closed"
run 6 "$CH2" -o "$tmp/untrusted.nii.gz" --min-trust 1 --report-out "$tmp/untrusted.json"
[ -e "$tmp/untrusted.nii.gz" ] && { echo "FAIL untrusted output was written"; fail=1; }
grep -q '"verdict": "refused_untrusted"' "$tmp/untrusted.json" || { echo "FAIL untrusted verdict"; fail=1; }
run 0 "$CH2" -o "$tmp/untrusted.nii.gz" --min-trust 1 --force --report-out "$tmp/forced.json"
grep -q '"verdict": "defaced_untrusted_forced"' "$tmp/forced.json" || { echo "FAIL forced verdict"; fail=1; }
run 5 "$CH2" -o "$tmp/z1.nii.gz" --transform identity
run 2 "$CH2" --mode blur
run 2 "$CH2" --brain-margin -1
run 3 "$tmp/does_not_exist.nii.gz" -o "$tmp/x.nii.gz"
[ $fail = 0 ] && echo "deface_modes: all checks passed"
exit $fail

#!/bin/bash
# faceless deface on perturbed copies (issue 4): the same voxels under moved
# world matrices (rotations up to 15 degrees, translations up to 30 mm, scale
# 0.93-1.07, made by tests/tools/head_variant), so registration has to find
# another transform while the voxel-space truths stay valid: zero labelled
# brain voxels changed (IXI DLMUSE labels, ch2bet) and the landmarks of
# deface_heads.sh scrambled. (The registration suite of issue 3 resamples its
# copies in memory; these copies exercise the whole CLI path, files included.)
set -u
: "${FACELESS:?}"
: "${FACELESS_BUILD_DIR:?}"
T=$FACELESS_BUILD_DIR/tests
[ -x "$T/deface_check" ] || T=$FACELESS_BUILD_DIR
DATA=${FACELESS_DATA:-}
CH2=/usr/share/mricron/templates/ch2.nii.gz
if [ -z "$DATA" ] || [ ! -d "$DATA/nifti/brain_labels" ] || [ ! -r "$CH2" ]; then
    echo "deface_perturbed: ../shared/data/nifti or mricron-data absent; skipped"
    exit 77
fi
N=$DATA/nifti
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
heads=(
"ch2|$CH2|/usr/share/mricron/templates/ch2bet.nii.gz|nose:90,205,12:4 eye_r:123,200,36:3 eye_l:57,200,36:3"
"ixi012|$N/IXI012-HH-1211-T1_ds.nii.gz|$N/brain_labels/IXI012-HH-1211-T1_ds_DLMUSE.nii.gz|nose:6,64,45:3 eye_r:22,72,64:3 eye_l:22,72,27:3"
"ixi013|$N/IXI013-HH-1212-T1_ds.nii.gz|$N/brain_labels/IXI013-HH-1212-T1_ds_DLMUSE.nii.gz|nose:4,52,45:2 lips:8,31,45:2"
"ixi014|$N/IXI014-HH-1236-T1_ds.nii.gz|$N/brain_labels/IXI014-HH-1236-T1_ds_DLMUSE.nii.gz|nose:5,39,45:2 lips:15,26,45:2"
)
moves=(
"--rotate 12,-8,5 --translate 20,-15,10 --scale 1.05"
"--rotate -10,6,-15 --translate -25,30,-12 --scale 0.94"
)
for h in "${heads[@]}"; do
    IFS='|' read -r name in brain marks <<<"$h"
    m=0
    for mv in "${moves[@]}"; do
        m=$((m + 1))
        copy=$tmp/${name}_p$m.nii.gz
        # shellcheck disable=SC2086
        "$T/head_variant" "$in" "$copy" $mv || { fail=1; continue; }
        if ! "$FACELESS" deface "$copy" -o "$tmp/${name}_p${m}_d.nii.gz" \
            --mask-out "$tmp/${name}_p${m}_m.nii.gz" >"$tmp/log" 2>&1; then
            echo "FAIL $name copy $m ($mv): $(cat "$tmp/log")"
            fail=1
            continue
        fi
        args=(--mask "$tmp/${name}_p${m}_m.nii.gz" --brain "$brain")
        for l in $marks; do args+=(--landmark "$l"); done
        echo "== $name copy $m ($mv)"
        "$T/deface_check" "$copy" "$tmp/${name}_p${m}_d.nii.gz" "${args[@]}" || fail=1
    done
done
exit $fail

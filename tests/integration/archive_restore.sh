#!/bin/bash
# The face archive end to end on real heads (issue 20): Colin27 and
# chris_t1 de-faced with an archive for two recipients, then
#  - the de-faced output is byte-identical to a run without the archive, at
#    1 and 2 threads (the archive only adds a file);
#  - each recipient's restore gives the original header and every voxel bit
#    for bit (.nii and .nii.gz outputs), also from --scrub-nifti-text
#    (descrip, aux_file and an extension come back);
#  - the archive holds no 16 consecutive bytes of the original face
#    voxels (and the same search does find them in the original file);
#  - refused with exit 11, one line naming the file, nothing written:
#    another key, a flipped byte anywhere (clear header, sealed key,
#    ciphertext), a cut archive, another image's archive, a de-faced
#    output changed since; a key others can read;
#  - batch --archive: each image's archive (the T2w's through --apply-to)
#    in the QC folder, none in OUT_ROOT, restores; a rerun skips, and redoes
#    an image whose archive is gone;
#  - the report names the archive and both keys by fingerprint, and no key
#    appears in a report, a log or a message;
#  - the child MPRAGE DICOM series: output identical with and without an
#    archive; restore gives every file back byte for byte, and dcmdump
#    (pixel data included) the same elements, with the original SOP
#    Instance, MediaStorage and Series UIDs the de-face had replaced;
#    another key or another output's archive refused; the same series
#    de-faced into a NIfTI file restores to what `faceless convert` makes.
set -u
: "${FACELESS:?}"
: "${FACELESS_BUILD_DIR:?}"
: "${FACELESS_SOURCE_DIR:?}"
T=$FACELESS_BUILD_DIR/tests
[ -x "$T/archive_check" ] || T=$FACELESS_BUILD_DIR
DATA=${FACELESS_DATA:-$FACELESS_SOURCE_DIR/../shared/data}
CH2=/usr/share/mricron/templates/ch2.nii.gz
CHRIS=$DATA/nifti/chris_t1.nii.gz
DICOM=$DATA/dicom/SAG-anon_MPRAGE_child
[ -r "$CH2" ] || { echo "archive_restore: mricron-data (ch2) absent; skipped"; exit 77; }
[ -r "$CHRIS" ] || { echo "archive_restore: $CHRIS absent (../shared/data); skipped"; exit 77; }
command -v python3 >/dev/null || { echo "archive_restore: python3 absent; skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
cd "$tmp" || exit 1
for k in alice bob carol; do "$FACELESS" keygen $k >$k.fpr || exit 1; done
fpr() { cut -d' ' -f2 "$1.fpr"; }
keys_absent() { # files...: no private key's base64 in any
    for k in alice bob carol; do
        grep -qF -- "$(cut -d' ' -f2 $k.key)" "$@" && bad "$k's private key in one of: $*"
    done
}
refused() { # what out args...: exit 11, one line naming the archive or key, out not written
    local what=$1 out=$2; shift 2
    "$FACELESS" restore "$@" -o "$out" >"$tmp/o" 2>"$tmp/e"
    local rc=$?
    [ $rc = 11 ] || bad "$what: exit $rc, expected 11: $(cat "$tmp/e")"
    [ "$(wc -l <"$tmp/e")" = 1 ] || bad "$what: not one line: $(cat "$tmp/e")"
    ls -a | grep -q faceless-tmp && bad "$what: temporary left"
    [ -e "$out" ] && bad "$what: $out written"
    keys_absent "$tmp/e"
    echo "  refused ($what): $(cat "$tmp/e")"
}
same_nifti() { # a b: the same content (header and voxels), gzip or not
    cmp -s <(gzip -dcf "$1") <(gzip -dcf "$2")
}

for name in ch2 chris; do
    in=$CH2
    [ $name = chris ] && in=$CHRIS
    echo "== $name"
    "$FACELESS" deface "$in" -o $name.d.nii.gz --archive-out $name.archive --recipient alice.pub \
        --recipient bob.pub --report-out $name.json --threads 2 -v 2>$name.log || bad "$name: deface: $(cat $name.log)"
    "$FACELESS" deface "$in" -o $name.plain1.nii.gz --threads 1 || bad "$name: deface without archive"
    cmp -s $name.d.nii.gz $name.plain1.nii.gz || bad "$name: output with an archive (2 threads) differs from without (1)"
    grep -q "\"path\": \"$name.archive\"" $name.json || bad "$name: report does not name the archive"
    grep -q "\"recipients\": \\[\"$(fpr alice)\", \"$(fpr bob)\"\\]" $name.json ||
        bad "$name: report does not list both fingerprints: $(grep -A3 '"archive": {' $name.json)"
    keys_absent $name.json $name.log
    "$FACELESS" restore $name.d.nii.gz $name.archive --key alice.key -o $name.alice.nii || bad "$name: restore (alice)"
    cmp -s <(gzip -dc "$in") $name.alice.nii || bad "$name: alice's restore differs from the original"
    "$FACELESS" restore $name.d.nii.gz $name.archive --key bob.key -o $name.bob.nii.gz || bad "$name: restore (bob)"
    same_nifti "$in" $name.bob.nii.gz || bad "$name: bob's restore differs from the original"
    same_nifti "$in" $name.d.nii.gz && bad "$name: the de-faced output equals the original (nothing de-faced)"
    gzip -dc "$in" >$name.orig.nii
    "$T/archive_check" no-runs $name.archive "$in" $name.d.nii.gz $name.orig.nii || bad "$name: face bytes in the archive"
    "$FACELESS" restore $name.d.nii.gz $name.archive --key bob.key -o $name.bob.nii.gz >/dev/null 2>&1
    [ $? = 5 ] || bad "$name: restore over an existing output not refused with exit 5"
done

echo "== refusals"
refused "another key" x.nii ch2.d.nii.gz ch2.archive --key carol.key
grep -q "ch2.archive: not sealed for this key (fingerprint $(fpr carol))" "$tmp/e" || bad "wrong key message"
refused "another image's archive" x.nii ch2.d.nii.gz chris.archive --key alice.key
grep -q "chris.archive: not the archive of ch2.d.nii.gz" "$tmp/e" || bad "other image message"
gzip -dc ch2.d.nii.gz | gzip -1 >ch2.changed.nii.gz # the same voxels, other bytes
refused "a changed output" x.nii ch2.changed.nii.gz ch2.archive --key alice.key
size=$(stat -c %s ch2.archive)
# offsets: clear header (version, output SHA-256, mask SHA-256), bob's
# fingerprint and sealed key, the nonce, the ciphertext, its tag
for off in 17 40 60 90 120 180 220 300 $((size / 2)) $((size - 1)); do
    cp ch2.archive flip.archive
    b=$(od -An -tu1 -j $off -N1 flip.archive | tr -d ' ')
    printf "$(printf '\\%03o' $(((b ^ 1) & 255)))" | dd of=flip.archive bs=1 seek=$off conv=notrunc 2>/dev/null
    cmp -s flip.archive ch2.archive && bad "byte $off not flipped"
    refused "byte $off flipped" x.nii ch2.d.nii.gz flip.archive --key alice.key
done
head -c $((size - 100)) ch2.archive >cut.archive
refused "a cut archive" x.nii ch2.d.nii.gz cut.archive --key alice.key
cp -p alice.key loose.key
chmod 644 loose.key
refused "a key others can read" x.nii ch2.d.nii.gz ch2.archive --key loose.key

echo "== --scrub-nifti-text: the original header comes back"
python3 "$FACELESS_SOURCE_DIR/tests/tools/plant_nifti_text.py" "$CH2" planted.nii "Doe^Jane 1961-04-12" jdoe@hospital.org \
    "PatientName=Doe^Jane" || bad "plant_nifti_text"
"$FACELESS" deface planted.nii -o planted.d.nii --scrub-nifti-text --archive-out planted.archive \
    --recipient alice.pub || bad "deface --scrub-nifti-text"
grep -aq "Doe^Jane" planted.d.nii && bad "the scrubbed output still holds the planted text"
"$FACELESS" restore planted.d.nii planted.archive --key alice.key -o planted.back.nii || bad "restore of scrubbed"
cmp -s planted.nii planted.back.nii || bad "restore of a scrubbed output differs from the original"
grep -aq "Doe^Jane" planted.archive && bad "the archive holds the header text in clear"

echo "== batch --archive: one archive per image, in the QC folder"
mkdir -p bids/sub-01/anat
echo '{"Name": "archive test", "BIDSVersion": "1.8.0"}' >bids/dataset_description.json
cp "$CH2" bids/sub-01/anat/sub-01_T1w.nii.gz
cp "$CH2" bids/sub-01/anat/sub-01_T2w.nii.gz # de-faced with the T1w's mask (--apply-to)
"$FACELESS" batch bids bout --archive --recipient alice.pub --no-render -q 2>batch.log || bad "batch: $(cat batch.log)"
for img in T1w T2w; do
    a=bout_qc/sub-01/anat/sub-01_$img.nii.gz.archive
    [ -f "$a" ] || { bad "batch: no $a"; continue; }
    "$FACELESS" restore bout/sub-01/anat/sub-01_$img.nii.gz "$a" --key alice.key -o batch_$img.nii ||
        bad "batch: restore $img"
    cmp -s <(gzip -dc "$CH2") batch_$img.nii || bad "batch: $img restore differs from the original"
done
find bout -name '*.archive' | grep -q . && bad "batch: an archive in OUT_ROOT"
keys_absent bout_qc/sub-01/anat/sub-01_T1w.nii.gz.report.json bout_qc/sub-01/anat/sub-01_T1w.nii.gz.log
"$FACELESS" batch bids bout --archive --recipient alice.pub --no-render 2>batch.log || bad "batch rerun"
grep -q "skipped (already done)" batch.log || bad "batch rerun did not skip: $(cat batch.log)"
rm bout_qc/sub-01/anat/sub-01_T2w.nii.gz.archive
"$FACELESS" batch bids bout --archive --recipient alice.pub --no-render 2>batch.log || bad "batch rerun 2"
[ -f bout_qc/sub-01/anat/sub-01_T2w.nii.gz.archive ] || bad "batch: a missing archive was not redone"
"$FACELESS" batch bids bout --archive --recipient alice.pub --recipient bob.pub --no-render 2>batch.log ||
    bad "batch with another recipient list"
grep -q "skipped (already done)" batch.log && bad "batch: an image archived for other keys was skipped"
"$FACELESS" restore bout/sub-01/anat/sub-01_T1w.nii.gz bout_qc/sub-01/anat/sub-01_T1w.nii.gz.archive \
    --key bob.key -o batch_bob.nii || bad "batch: bob cannot restore after the recipients changed"

if [ -d "$DICOM" ] && command -v dcmdump >/dev/null; then
    echo "== DICOM series (the child MPRAGE)"
    "$FACELESS" deface "$DICOM" -o dcm_out --archive-out dcm.archive --recipient alice.pub --recipient bob.pub \
        --report-out dcm.json 2>dcm.log || bad "DICOM deface with an archive: $(cat dcm.log)"
    keys_absent dcm.json dcm.log
    "$FACELESS" deface "$DICOM" -o dcm_plain 2>/dev/null || bad "DICOM deface without archive"
    for f in $(cd "$DICOM" && find . -name '*.dcm' | sort); do
        cmp -s "dcm_out/$f" "dcm_plain/$f" || { bad "DICOM $f: output differs with the archive"; break; }
    done
    find "$DICOM" -name '*.dcm' | sort | xargs cat >dcm_orig.bin
    "$T/archive_check" no-runs dcm.archive "$DICOM" dcm_out dcm_orig.bin || bad "DICOM: face bytes in the archive"
    "$FACELESS" restore dcm_out dcm.archive --key bob.key -o dcm_back || bad "DICOM restore"
    files=0 differ=0
    for f in $(cd "$DICOM" && find . -name '*.dcm' | sort); do
        files=$((files + 1))
        cmp -s "$DICOM/$f" "dcm_back/$f" || differ=$((differ + 1))
    done
    [ $files -gt 100 ] || bad "DICOM: only $files files"
    [ $differ = 0 ] || bad "DICOM: $differ of $files restored files differ from the input"
    # element by element, pixel data included (+L: long values in full), on
    # three files: the UIDs are back, and the de-faced ones were not those
    for f in $(cd "$DICOM" && find . -name '*.dcm' | sort | sed -n '1p;96p;192p'); do
        dcmdump +L "$DICOM/$f" >orig.dump 2>&1
        dcmdump +L "dcm_back/$f" >back.dump 2>&1
        diff -q orig.dump back.dump >/dev/null || bad "DICOM $f: dcmdump differs: $(diff orig.dump back.dump | head -5)"
        for tag in 0002,0003 0008,0018 0020,000e; do
            o=$(grep "^($tag)" orig.dump) d=$(dcmdump +P $tag "dcm_out/$f" 2>/dev/null)
            [ -n "$o" ] || bad "DICOM $f: no ($tag) in the input"
            [ "$o" != "$d" ] || bad "DICOM $f: ($tag) was not changed by the de-face"
        done
        grep -q "^(7fe0,0010)" back.dump || bad "DICOM $f: no pixel data in the restored file"
    done
    cmp -s <(dcmdump +L +P 7fe0,0010 "$DICOM/$(cd "$DICOM" && find . -name '*.dcm' | sort | sed -n 96p)") \
        <(dcmdump +L +P 7fe0,0010 "dcm_out/$(cd "$DICOM" && find . -name '*.dcm' | sort | sed -n 96p)") &&
        bad "DICOM: the de-face did not change the pixel data of the middle file"
    # a DICOM series de-faced into a NIfTI file: the archive restores the
    # volume faceless read, as `faceless convert` writes it
    "$FACELESS" deface "$DICOM" -o dcm.d.nii --archive-out dcm_nii.archive --recipient alice.pub 2>/dev/null ||
        bad "DICOM to NIfTI with an archive"
    "$FACELESS" convert "$DICOM" dcm.orig.nii 2>/dev/null || bad "convert DICOM to NIfTI"
    "$FACELESS" restore dcm.d.nii dcm_nii.archive --key alice.key -o dcm.back.nii || bad "restore of DICOM as NIfTI"
    cmp -s dcm.orig.nii dcm.back.nii || bad "DICOM as NIfTI: the restore differs from the converted original"
    mkdir -p refused_dir
    refused "DICOM, another key" refused_dir/x dcm_out dcm.archive --key carol.key
    refused "DICOM, a NIfTI's archive" refused_dir/x dcm_out ch2.archive --key alice.key
    refused "NIfTI, a DICOM series' archive" x.nii ch2.d.nii.gz dcm.archive --key alice.key
    [ -e refused_dir/x ] && bad "a refused DICOM restore wrote refused_dir/x"
fi
[ $fail = 0 ] && echo "archive_restore: ok"
exit $fail

#!/usr/bin/env bash
# The Snakemake workflow (workflows/Snakefile) runs the shards and the final
# summary, and its output equals a plain `faceless batch` of the same tree.
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
FACELESS=$(readlink -f "$FACELESS")
if ! command -v snakemake >/dev/null; then
  echo "FAIL: snakemake is not installed (scripts/bootstrap.sh test installs it)"
  exit 1
fi
work=$(mktemp -d /tmp/faceless-smk-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
mkdir -p "$work/in/site-a/s1" "$work/in/site-b/s2" "$work/in/site-b/s3"
cp /usr/share/mricron/templates/ch2.nii.gz "$work/in/site-a/s1/head.nii.gz"
gzip -dc /usr/share/mricron/templates/ch2.nii.gz >"$work/in/site-b/s2/head.nii"
cp /usr/share/mricron/templates/ch2.nii.gz "$work/in/site-b/s3/head.nii.gz"
echo "notes" >"$work/in/site-b/s3/README.txt"

"$FACELESS" batch "$work/in" "$work/plain" -q --no-render || bad "plain batch"
(cd "$work" && snakemake -s "$FACELESS_SOURCE_DIR/workflows/Snakefile" --cores 2 --quiet \
  --config in_root="$work/in" out_root="$work/smk" shards=3 faceless="$FACELESS" threads=1 extra="--no-render" \
  >"$work/smk.log" 2>&1) && ok || { bad "snakemake failed"; cat "$work/smk.log"; }
[ -f "$work/smk/faceless_summary.tsv" ] && ok || bad "no summary"
n=$(ls "$work/smk_qc/snakemake/" 2>/dev/null | wc -l)
[ "$n" = 3 ] && ok || bad "want 3 shard markers, got $n"
diff <(cd "$work/plain" && find . -type f ! -name 'faceless_summary*' -print0 | sort -z | xargs -0 sha256sum) \
     <(cd "$work/smk" && find . -type f ! -name 'faceless_summary*' -print0 | sort -z | xargs -0 sha256sum) \
     && ok || bad "snakemake output differs from a plain batch"
[ -z "$(find "$work/smk" -name '*.png' -o -name '*.html' -o -name '*.log' -o -name '*.report.json')" ] && ok ||
  bad "QC material inside the shared tree: $(find "$work/smk" -name '*.html' -o -name '*.log' | head -3)"
echo "batch_snakemake: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

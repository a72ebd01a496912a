#!/usr/bin/env bash
# The QC page is built from real source files (src/report/qc_page/*.html,
# .css, .js; issue 22): every script passes `node --check`, package.json and
# its lock file agree on the pinned NiiVue, and a page that `faceless report`
# writes holds the committed page.js and page.css byte for byte (compiled in
# at build time: a stale build or a hand-edited C copy would show here).
set -u
: "${FACELESS:?}" "${FACELESS_SOURCE_DIR:?}"
command -v node >/dev/null 2>&1 || { echo "skipped: node is not installed (scripts/bootstrap.sh test)"; exit 77; }
CH2=/usr/share/mricron/templates/ch2.nii.gz
[ -f "$CH2" ] || { echo "skipped: $CH2 absent (Debian mricron-data)"; exit 77; }
src=$FACELESS_SOURCE_DIR/src/report/qc_page
work=$(mktemp -d /tmp/faceless-qcsrc-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

n=0
for js in "$src"/*.js; do
  node --check "$js" 2>"$work/err" && ok || bad "node --check $js: $(cat "$work/err")"
  n=$((n + 1))
done
[ "$n" -ge 2 ] && ok || bad "expected page.js and view3d.js in $src, found $n scripts"
node -e '
const p = require(process.argv[1]), l = require(process.argv[2]);
const want = p.dependencies["@niivue/niivue"], got = l.packages["node_modules/@niivue/niivue"];
if (!/^\d+\.\d+\.\d+$/.test(want)) throw new Error("NiiVue not pinned to one version: " + want);
if (!got || got.version !== want) throw new Error("lock file has NiiVue " + (got && got.version) + ", package.json " + want);
if (got.license !== "BSD-2-Clause") throw new Error("NiiVue licence " + got.license);
' "$src/package.json" "$src/package-lock.json" 2>"$work/err" && ok || bad "package.json / lock: $(cat "$work/err")"

# A page from a real deface output
mkdir -p "$work/out"
"$FACELESS" deface "$CH2" -o "$work/out/h.nii.gz" --transform identity --report-out "$work/out/h.report.json" \
  --render-out "$work/out/h.render.png" 2>"$work/err" || bad "deface: $(cat "$work/err")"
"$FACELESS" report -o "$work/qc.html" "$work/out" >/dev/null 2>"$work/err" || bad "report: $(cat "$work/err")"
for f in page.js page.css; do
  python3 -c 'import sys; sys.exit(0 if open(sys.argv[1], "rb").read() in open(sys.argv[2], "rb").read() else 1)' \
    "$src/$f" "$work/qc.html" && ok || bad "the page does not hold $f as committed (stale build?)"
done
grep -q '{{' "$work/qc.html" && bad "a template slot was left unfilled: $(grep -o '{{[a-z0-9]*}}' "$work/qc.html" | head -3)" || ok
# the page's scripts, as the page holds them, still parse
python3 - "$work/qc.html" "$work" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
for i, s in enumerate(re.findall(r"<script>\n(.*?)\n</script>", html, re.S)):
    open(f"{sys.argv[2]}/inline{i}.js", "w", encoding="utf-8").write(s)
PY
for js in "$work"/inline*.js; do
  node --check "$js" 2>"$work/err" && ok || bad "inline script $(basename "$js") does not parse: $(head -3 "$work/err")"
done

# a report whose output cannot be read for the 3D view: the page is still
# written, that entry says why (in a build with NiiVue; without, no 3D at all)
mkdir -p "$work/bad"
echo "not an image" >"$work/bad/out.nii.gz"
printf '{"verdict": "defaced", "images": [{"input": "x", "output": "%s"}]}' "$work/bad/out.nii.gz" >"$work/bad/r.json"
"$FACELESS" report -o "$work/bad.html" "$work/bad" >/dev/null 2>"$work/err" && ok || bad "report with an unreadable output: $(cat "$work/err")"
if grep -q 'class="view3d-data"' "$work/qc.html"; then
  grep -q "No 3D view: .*bad/out.nii.gz" "$work/bad.html" && ok || bad "the entry does not say why it has no 3D view"
else
  grep -q "No 3D view" "$work/bad.html" && bad "a build without NiiVue mentions the 3D view" || ok
fi

echo "qc_page_sources: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

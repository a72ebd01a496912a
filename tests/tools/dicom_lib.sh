# Shared pieces of tests/integration/dicom_*.sh (sourced, not a test itself).
set -u
: "${FACELESS:?}" "${FACELESS_BUILD_DIR:?}"
DT="$FACELESS_BUILD_DIR/tests/dicom_tool"
PYD=/usr/lib/python3/dist-packages/pydicom/data/test_files
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
check() { # check "what" command...: passes when the command succeeds
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then ok; else bad "$what"; fi
}
finish() {
  echo "$(basename "$0" .sh): $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
need_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "skip: $t not installed (scripts/bootstrap.sh installs it)"; exit 77; }
  done
}
# One attribute's value as dcmdump prints it (UIDs as numbers), e.g.
# dcm_get f 0020,000e -> 1.2.3; meta header attributes with dcm_get_meta.
dcm_value() {
  local line
  line=$(head -1)
  if [[ $line == *"["* ]]; then line=${line#*[}; echo "${line%%]*}"; else echo "$line" | awk '{print $3}'; fi
}
# Top-level only: nested copies (e.g. SeriesInstanceUID of referenced series
# in Enhanced MR) are indented by dcmdump.
dcm_get() { dcmdump -q -Un "$1" 2>/dev/null | grep "^($2)" | dcm_value; }
dcm_get_meta() { dcm_get "$@"; }
# The top-level values of one attribute over many files, one per line.
dcm_get_all() { local tag=$1; shift; dcmdump -q -Un "$@" 2>/dev/null | grep "^($tag)" | while read -r l; do echo "$l" | dcm_value; done; }
ts_of() { dcm_get_meta "$1" 0002,0010; }

# dciodvfy errors of a file, one per line, sorted. No error is filtered out:
# a DERIVED Enhanced MR output must not keep the MR Pulse Sequence
# attributes that dciodvfy allows only in ORIGINAL images (issue 18).
dciodvfy_errors() {
  dciodvfy "$1" 2>&1 | grep -E '^Error|Error -' | sort -u
}

# New dciodvfy errors in out that in does not have; prints them, fails if any.
dciodvfy_no_new_errors() {
  local new
  new=$(comm -13 <(dciodvfy_errors "$1") <(dciodvfy_errors "$2"))
  [ -z "$new" ] || { echo "$2: new dciodvfy errors:"; echo "$new"; return 1; }
}

# Attributes faceless must set on every output file (issue 6).
check_deid_attrs() { # out_file [ImageType value 1 of the input, for Enhanced MR: ORIGINAL]
  local f=$1
  [ "$(dcm_get "$f" 0028,0302)" = NO ] || { echo "$f: RecognizableVisualFeatures not NO"; return 1; }
  dcm_get "$f" 0012,0063 | grep -q '^faceless' || { echo "$f: no De-identification Method"; return 1; }
  dcmdump -q "$f" | grep -A6 '(0012,0064)' | grep -q '113102' || { echo "$f: no code 113102"; return 1; }
  # ImageType value 1 DERIVED, except Enhanced MR, which keeps its own
  # (dicom_dcmtk.cpp, may_mark_derived: issue 18).
  if [ "$(dcm_get "$f" 0008,0016)" = 1.2.840.10008.5.1.4.1.1.4.1 ]; then
    [ "$(dcm_get "$f" 0008,0008 | cut -d'\' -f1)" = "${2:-ORIGINAL}" ] ||
      { echo "$f: Enhanced MR ImageType value 1 changed"; return 1; }
  else
    dcm_get "$f" 0008,0008 | grep -q '^DERIVED' || { echo "$f: ImageType not DERIVED"; return 1; }
  fi
  [ "$(dcm_get "$f" 0008,0018)" = "$(dcm_get_meta "$f" 0002,0003)" ] ||
    { echo "$f: MediaStorageSOPInstanceUID != SOPInstanceUID"; return 1; }
  dcm_get "$f" 0008,0018 | grep -Eq '^2\.25\.[0-9]+$' || { echo "$f: SOPInstanceUID not under 2.25"; return 1; }
}

# pyd_workdir NAME: skips (77) without pydicom's test files (MR_small is what
# mk_face_series builds on), else makes $work (removed on exit) and cds there.
pyd_workdir() {
  [ -f "$PYD/MR_small.dcm" ] || { echo "skip: pydicom's test files are absent (python3-pydicom)"; exit 77; }
  work=$(mktemp -d "/tmp/faceless-$1-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cd "$work" || exit 1
}

# mk_face_series DIR: 8 axial slices of 64 x 64 at 3 mm made from pydicom's
# MR_small, across the lower face in template space (z -30..-9 mm), written in
# a shuffled name order (name i holds slice (3*i) mod 8). No head to register,
# but with `deface --transform identity` the face mask lands on it, so the
# whole DICOM path runs in a second. Needs dcmodify.
mk_face_series() {
  local dir=$1 i k
  mkdir -p "$dir"
  for ((i = 0; i < 8; i++)); do
    k=$(((3 * i) % 8))
    cp "$PYD/MR_small.dcm" "$dir/im$i.dcm"
    dcmodify -nb -m "(0020,0032)=-96\\-96\\$((-30 + 3 * k))" -m "(0028,0030)=3\\3" -m "(0018,0050)=3" \
      -m "(0008,0018)=1.2.826.0.1.3680043.10.1.$k" -m "(0020,0013)=$((k + 1))" "$dir/im$i.dcm" >/dev/null || return 1
  done
}

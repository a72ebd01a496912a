#!/usr/bin/env bash
# faceless serve (issue 19) on the shared real series, with the default
# routing (MR and CT de-faced, with the full registration and its trust
# checks): the child MPRAGE (192 classic files) and the XA30 Enhanced MR
# (one multi-frame file) sent in one association; the node is killed
# (kill -9) while it de-faces the MPRAGE and started again. storescp ends
# with exactly the files `faceless deface` writes for each series (the same
# output SOP Instance UIDs, which are a digest of the output pixels; each
# stored once), the de-identification attributes set and no new dciodvfy
# error. Skips (77) without ../shared/data.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
mp="${FACELESS_DATA:-/nonexistent}/dicom/SAG-anon_MPRAGE_child"
xa="${FACELESS_DATA:-/nonexistent}/dicom/XA30_enhanced_T1w_tfl"
[ -d "$mp" ] && [ -d "$xa" ] || { echo "skip: the shared DICOM series are absent (../shared/data)"; exit 77; }
need_tools dciodvfy
work=$(mktemp -d /tmp/faceless-serve-shared-XXXXXX)
trap 'stop_procs; rm -rf "$work"' EXIT
cd "$work" || exit 1

dport=$(free_port)
nport=$(free_port)
start_dest DEST "$dport" dest
args=(--aet NODE --port "$nport" --spool spool --forward "DEST@127.0.0.1:$dport" --complete-after 2)
start_node node.log "${args[@]}"
wait_echo NODE "$nport" || { bad "node did not start: $(tail -3 node.log)"; finish; exit; }
t0=$(date +%s.%N)
storescu -aec NODE 127.0.0.1 "$nport" "$mp"/*.dcm "$xa"/*.dcm >send.log 2>&1 && ok || bad "storescu failed: $(tail -3 send.log)"
mp_uid=$(dcm_get "$(ls "$mp"/*.dcm | head -1)" 0020,000e)
# De-facing the MPRAGE: kill -9, start again.
end=$((SECONDS + 30))
until grep -q "series $mp_uid .*complete" node.log || [ $SECONDS -ge $end ]; do sleep 0.05; done
sleep 1
kill -9 "$node_pid"
wait "$node_pid" 2>/dev/null
grep -q "series $mp_uid .*defaced" node.log && bad "the MPRAGE was done before the kill: the test did not kill mid-way" || ok
start_node node.log "${args[@]}"
wait_for 120 has_stores dest 193 && ok || bad "$(dest_stores dest) of 193 instances arrived: $(tail -4 node.log)"
t1=$(date +%s.%N)
echo "first byte to last instance stored (with a kill -9 and restart): $(echo "$t1 - $t0" | bc) s"
sleep 1
[ "$(dest_stores dest)" -eq 193 ] && ok || bad "the destination answered $(dest_stores dest) C-STOREs, expected 193"

"$FACELESS" deface "$mp" -o cli_mp >cli.log 2>&1 || bad "faceless deface of the MPRAGE failed: $(tail -2 cli.log)"
"$FACELESS" deface "$xa" -o cli_xa >>cli.log 2>&1 || bad "faceless deface of the XA30 failed: $(tail -2 cli.log)"
cat <(dest_uids cli_mp) <(dest_uids cli_xa) | sort >cli.uids
dest_uids dest >dest.uids
[ "$(wc -l <dest.uids)" -eq 193 ] && ok || bad "$(wc -l <dest.uids) distinct instances at the destination"
cmp -s cli.uids dest.uids && ok || bad "the node's outputs differ from faceless deface's ($(comm -3 cli.uids dest.uids | wc -l) UIDs)"
f=$(grep -l -a "$(head -1 <(dest_uids cli_mp))" dest/* | head -1)
check_deid_attrs "$f" >/dev/null && ok || bad "$(check_deid_attrs "$f")"
dciodvfy_no_new_errors "$(ls "$mp"/*.dcm | head -1)" "$f" >/dev/null && ok || bad "new dciodvfy errors in $f"
fx=$(grep -l -a "$(dest_uids cli_xa)" dest/* | head -1)
check_deid_attrs "$fx" >/dev/null && ok || bad "XA30: $(check_deid_attrs "$fx")"
kill -TERM "$node_pid"
wait "$node_pid"
finish

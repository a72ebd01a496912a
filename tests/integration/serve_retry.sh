#!/usr/bin/env bash
# faceless serve (issue 19): destinations down, then up. Two destinations:
# DEST1 listens from the start, DEST2 only after the node has failed to
# reach it a few times (retry-min 0.5 s, doubling to retry-max 2 s). DEST1
# gets the de-faced series at once, DEST2 once it is up, each exactly once;
# status.json shows DEST2 down meanwhile; the spool keeps the result until
# both have it.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-retry
trap 'stop_procs; rm -rf "$work"' EXIT

mk_series face 1.2.826.0.1.3680043.10.9.11 FACE_T1 || { echo "cannot make the test series"; exit 1; }
p1=$(free_port)
p2=$(free_port)
start_dest DEST1 "$p1" dest1
nport=$(free_port)
start_node node.log --aet NODE --port "$nport" --spool spool --forward "DEST1@127.0.0.1:$p1" \
  --forward "DEST2@127.0.0.1:$p2" --complete-after 1 --retry-min 0.5 --retry-max 2 \
  --route "deface Modality=MR --transform=identity"
wait_echo NODE "$nport" && ok || bad "node did not start: $(tail -3 node.log)"
storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >send.log 2>&1 && ok || bad "storescu failed: $(tail -3 send.log)"

wait_for 20 has_stores dest1 8 && ok || bad "DEST1 did not get the series: $(tail -5 node.log)"
tried_thrice() { [ "$(grep -c "not forwarded: DEST2@127.0.0.1:$p2: cannot associate" node.log)" -ge 3 ]; }
wait_for 20 tried_thrice && ok || bad "fewer than 3 tries at DEST2: $(tail -3 node.log)"
wait_for 5 grep -q '"state": "down"' spool/status.json && ok || bad "status.json does not show DEST2 down"
[ -f spool/series/1.2.826.0.1.3680043.10.9.11/delivered ] && bad "marked delivered while DEST2 lacks it" || ok
[ -d spool/series/1.2.826.0.1.3680043.10.9.11/out ] && ok || bad "the result left the spool before DEST2 had it"

start_dest DEST2 "$p2" dest2
wait_for 20 has_stores dest2 8 && ok || bad "DEST2 did not get the series after it came up: $(tail -5 node.log)"
wait_for 5 test -f spool/series/1.2.826.0.1.3680043.10.9.11/delivered && ok || bad "never marked delivered"
grep -q "DEST2@127.0.0.1:$p2: reachable again" node.log && ok || bad "no 'reachable again' line"
sleep 1
[ "$(dest_stores dest1)" -eq 8 ] && ok || bad "DEST1 answered $(dest_stores dest1) C-STOREs, expected 8"
[ "$(dest_stores dest2)" -eq 8 ] && ok || bad "DEST2 answered $(dest_stores dest2) C-STOREs, expected 8"
cmp -s <(dest_uids dest1) <(dest_uids dest2) && ok || bad "the two destinations got different instances"
[ "$(dest_uids dest2 | wc -l)" -eq 8 ] && ok || bad "DEST2 holds $(dest_uids dest2 | wc -l) distinct instances"
finish

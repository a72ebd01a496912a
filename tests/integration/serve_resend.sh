#!/usr/bin/env bash
# faceless serve (issue 19): a series re-sent after it has left the spool
# (keep-delivered 0: removed once delivered) is received and de-faced
# again, and its output, the same UIDs (a digest of input and output), is
# found in the destination's journal: nothing is forwarded twice. The
# journal and status.json agree on the count.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-resend
trap 'stop_procs; rm -rf "$work"' EXIT

mk_series face 1.2.826.0.1.3680043.10.9.51 FACE_T1 || { echo "cannot make the test series"; exit 1; }
dport=$(free_port)
nport=$(free_port)
start_dest DEST "$dport" dest
start_node node.log --aet NODE --port "$nport" --spool spool --forward "DEST@127.0.0.1:$dport" --complete-after 1 \
  --keep-delivered 0 --route "deface Modality=MR --transform=identity"
wait_echo NODE "$nport" && ok || bad "node did not start: $(tail -3 node.log)"
storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >send.log 2>&1 && ok || bad "storescu failed"
wait_for 20 has_stores dest 8 && ok || bad "the series did not arrive: $(tail -3 node.log)"
gone() { [ -z "$(ls spool/series)" ]; }
wait_for 10 gone && ok || bad "the delivered series stayed in the spool: $(ls spool/series)"

storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >send2.log 2>&1 && ok || bad "the re-send failed"
done_twice() { [ "$(grep -c 'defaced by route' node.log)" -eq 2 ] && grep -q 'forwarded to DEST.*: 0 sent' node.log; }
wait_for 20 done_twice && ok || bad "the re-sent series was not de-faced and found delivered: $(tail -3 node.log)"
sleep 1
[ "$(dest_stores dest)" -eq 8 ] && ok || bad "the destination answered $(dest_stores dest) C-STOREs, expected 8"
[ "$(wc -l <spool/sent/DEST_127.0.0.1_"$dport".log)" -eq 8 ] && ok || bad "the journal does not hold 8 UIDs"
wait_for 5 grep -q '"acknowledged": 8, "sent": 8, "skipped": 8' spool/status.json && ok ||
  bad "status.json: $(grep DEST spool/status.json)"
finish

#!/usr/bin/env bash
# faceless serve (issue 19): an instance that cannot be written is answered
# with a failure status, never success. The node runs under a file-size
# limit (ulimit -f 4: 2 KiB, the series' meta fits, no 10 KiB instance
# does), as a full disk would refuse the write: storescu gets
# "Refused: OutOfResources" (0xA700) for every instance, the spool holds no
# instance, the log says why; the node keeps serving. Restarted without the
# limit, the same series is stored and forwarded.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-write-error
trap 'stop_procs; rm -rf "$work"' EXIT

mk_series face 1.2.826.0.1.3680043.10.9.41 FACE_T1 || { echo "cannot make the test series"; exit 1; }
dport=$(free_port)
nport=$(free_port)
start_dest DEST "$dport" dest
args=(--aet NODE --port "$nport" --spool spool --forward "DEST@127.0.0.1:$dport" --complete-after 1
  --route "deface Modality=MR --transform=identity")
(ulimit -f 4 && exec "$FACELESS" serve "${args[@]}") >>node.log 2>&1 &
node_pid=$!
procs+=("$node_pid")
wait_echo NODE "$nport" && ok || bad "node did not start: $(tail -3 node.log)"
# --no-halt: every instance is offered (storescu exits 0 with it; the
# answers are what counts).
storescu -v --no-halt -aec NODE 127.0.0.1 "$nport" face/*.dcm >send.log 2>&1
[ "$(grep -c 'Store Response (Refused: OutOfResources)' send.log)" -eq 8 ] && ok ||
  bad "not 8 out-of-resources answers: $(grep 'Store Response' send.log | sort | uniq -c)"
[ "$(ls spool/series/*/in 2>/dev/null | grep -c dcm)" -eq 0 ] && ok || bad "an instance is in the spool"
grep -q 'cannot write: File too large (answered 0xA700' node.log && ok || bad "no log line: $(tail -3 node.log)"
kill -0 "$node_pid" && wait_echo NODE "$nport" 5 && ok || bad "the node stopped serving"
kill -TERM "$node_pid"
wait "$node_pid"

start_node node.log "${args[@]}"
wait_echo NODE "$nport" && ok || bad "node did not restart"
storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >send2.log 2>&1 && ok || bad "storescu failed without the limit"
wait_for 20 has_stores dest 8 && ok || bad "the series did not arrive: $(tail -3 node.log)"
finish

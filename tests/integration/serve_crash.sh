#!/usr/bin/env bash
# faceless serve (issue 19): kill -9 at four moments, then a restart on the
# same spool; every time the destination ends with the 8 de-faced instances
# exactly once (8 distinct SOP Instance UIDs, each stored once; the journal
# can re-send at most the one instance whose acknowledgement came in the
# instant of the kill, which a PACS takes as the same instance, so the
# count of C-STOREs may be 9 only in the forwarding case and is printed):
#   receiving:  mid-association (after 2 instances are on disk); the sender
#               then sends the series again, as a modality retries;
#   waiting:    all received, before the series is complete;
#   processing: at the "complete" line (the de-face running);
#   forwarding: at the destination's first C-STORE.
# A generated series (mk_face_series) de-faced with --transform=identity.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-crash
trap 'stop_procs; rm -rf "$work"' EXIT

mk_series face 1.2.826.0.1.3680043.10.9.21 FACE_T1 || { echo "cannot make the test series"; exit 1; }

# kill_when TEST...: kill -9 the node as soon as TEST succeeds (polled
# every 10 ms), or after 20 s.
kill_when() {
  local end=$((SECONDS + 20))
  while [ $SECONDS -lt $end ] && ! "$@"; do sleep 0.01; done
  kill -9 "$node_pid" 2>/dev/null
  wait "$node_pid" 2>/dev/null
}
in_count() { ls "$1"/series/*/in 2>/dev/null | grep -c '\.dcm$'; }
at_least_in() { [ "$(in_count "$1")" -ge "$2" ]; }

case_run() { # name: one kill -9 scenario
  local name=$1 dport nport dest=$1_dest spool=$1_spool log=$1.log
  dport=$(free_port)
  nport=$(free_port)
  start_dest DEST "$dport" "$dest"
  local args=(--aet NODE --port "$nport" --spool "$spool" --forward "DEST@127.0.0.1:$dport" --complete-after 1.5
    --retry-min 0.5 --route "deface Modality=MR --transform=identity")
  start_node "$log" "${args[@]}"
  wait_echo NODE "$nport" || { bad "$name: node did not start: $(tail -3 "$log")"; return; }
  case $name in
  receiving)
    storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >"$name.send.log" 2>&1 &
    local sender=$!
    kill_when at_least_in "$spool" 2
    wait "$sender" 2>/dev/null
    ;;
  waiting)
    storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >"$name.send.log" 2>&1 || bad "$name: storescu failed"
    kill -9 "$node_pid"
    wait "$node_pid" 2>/dev/null
    ;;
  processing)
    storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >"$name.send.log" 2>&1 || bad "$name: storescu failed"
    kill_when grep -q 'complete, worker' "$log"
    ;;
  forwarding)
    storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >"$name.send.log" 2>&1 || bad "$name: storescu failed"
    kill_when has_stores "$dest" 1
    ;;
  esac
  echo "$name: killed with $(in_count "$spool") instances spooled, $(dest_stores "$dest") at the destination"
  start_node "$log" "${args[@]}"
  wait_echo NODE "$nport" || { bad "$name: node did not restart: $(tail -3 "$log")"; return; }
  # The modality's retry of an association that broke.
  [ "$name" = receiving ] && storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >>"$name.send.log" 2>&1
  wait_for 30 has_stores "$dest" 8 || bad "$name: only $(dest_stores "$dest") instances arrived: $(tail -3 "$log")"
  sleep 2 # anything more that would arrive
  local n u
  n=$(dest_stores "$dest")
  u=$(dest_uids "$dest" | wc -l)
  echo "$name: $n C-STOREs, $u distinct instances at the destination"
  [ "$u" -eq 8 ] && ok || bad "$name: $u distinct instances at the destination, expected 8"
  if [ "$name" = forwarding ]; then
    [ "$n" -le 9 ] && ok || bad "$name: $n C-STOREs, expected 8 (9 if an acknowledgement crossed the kill)"
  else
    [ "$n" -eq 8 ] && ok || bad "$name: $n C-STOREs, expected 8"
  fi
  grep -q 'series resumed' "$log" && ok || bad "$name: no start line"
  kill -TERM "$node_pid"
  wait "$node_pid" 2>/dev/null
  kill -9 "$dest_pid" 2>/dev/null
}

for c in receiving waiting processing forwarding; do case_run "$c"; done
finish

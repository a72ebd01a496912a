#!/usr/bin/env bash
# faceless serve (issue 19): ten series sent at once from ten associations
# (max-associations 10) all arrive at the destination, de-faced, each
# instance once (80 C-STOREs, 80 distinct UIDs), the ten series processed
# by the worker pool; then the example config (examples/serve.conf) starts
# a node, with the flags replacing its spool, port and allow list.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-concurrent
trap 'stop_procs; rm -rf "$work"' EXIT

mk_series s0 1.2.826.0.1.3680043.10.9.30 FACE || { echo "cannot make the test series"; exit 1; }
for i in $(seq 1 9); do
  mkdir "s$i"
  for f in s0/*.dcm; do
    b=$(basename "$f" .dcm)
    cp "$f" "s$i/$b.dcm"
    dcmodify -nb -m "(0020,000e)=1.2.826.0.1.3680043.10.9.3$i" -m "(0008,0018)=1.2.826.0.1.3680043.10.9.3$i.${b#im}" \
      "s$i/$b.dcm" >/dev/null
  done
done
dport=$(free_port)
nport=$(free_port)
start_dest DEST "$dport" dest
start_node node.log --aet NODE --port "$nport" --spool spool --forward "DEST@127.0.0.1:$dport" --complete-after 1 \
  --max-associations 10 --route "deface Modality=MR --transform=identity"
wait_echo NODE "$nport" && ok || bad "node did not start: $(tail -3 node.log)"
senders=()
for i in $(seq 0 9); do
  storescu -aec NODE 127.0.0.1 "$nport" "s$i"/*.dcm >"send$i.log" 2>&1 &
  senders+=($!)
done
for p in "${senders[@]}"; do wait "$p" && ok || bad "a sender failed: $(cat send*.log | grep -v '^I:' | head -3)"; done
at_once=$(grep -c 'assoc .* 8 stored' node.log)
[ "$at_once" -eq 10 ] && ok || bad "$at_once of 10 associations stored their 8 instances"
wait_for 40 has_stores dest 80 && ok || bad "$(dest_stores dest) of 80 instances arrived: $(tail -3 node.log)"
sleep 1.5
[ "$(dest_stores dest)" -eq 80 ] && ok || bad "the destination answered $(dest_stores dest) C-STOREs, expected 80"
[ "$(dest_uids dest | wc -l)" -eq 80 ] && ok || bad "$(dest_uids dest | wc -l) distinct instances, expected 80"
[ "$(grep -c 'defaced by route' node.log)" -eq 10 ] && ok || bad "not 10 series de-faced"
kill -TERM "$node_pid"
wait "$node_pid" && ok || bad "SIGTERM: exit not 0"

# The example configuration, with what a test must change given as flags.
eport=$(free_port)
start_node example.log --config "$FACELESS_SOURCE_DIR/examples/serve.conf" --spool "$work/espool" --port "$eport" \
  --allow ECHOSCU
wait_echo FACELESS "$eport" && ok || bad "the example config did not start a node: $(tail -3 example.log)"
echoscu -aet MRI_SCANNER -aec FACELESS 127.0.0.1 "$eport" >/dev/null 2>&1 &&
  bad "--allow did not replace the example's allow list" || ok
kill -TERM "$node_pid"
wait "$node_pid" && ok || bad "example node: SIGTERM exit not 0"
finish

#!/usr/bin/env bash
# faceless serve (issue 19) on loopback, with DCMTK's tools and generated
# series only (mk_face_series, from pydicom's MR_small):
# - C-ECHO answers; a calling AE title not in `allow` is rejected at
#   association, a wrong called AE title too;
# - a series routed to de-face (--transform=identity, so it needs no head)
#   reaches a storescp destination de-faced: as many files, new 2.25 UIDs,
#   the de-identification attributes, no input UID left, the same bytes as
#   `faceless deface` of the same files;
# - re-sent, it is answered with success and nothing more is forwarded;
# - a series the registration refuses (the same phantom without the
#   identity transform) lands in SPOOL/quarantine/ with its reason, and
#   nothing of it is forwarded; status.json counts it; `faceless quarantine`
#   lists and shows it, and `release --force` sends it de-faced (forced);
# - a dataset without pixel data is refused with a failure status, and
#   garbage bytes on the port and an unsupported SOP class (its context
#   rejected) leave the node running;
# - a config file's settings apply, a flag overrides one; SIGTERM stops the
#   node with exit 0.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-basics
trap 'stop_procs; rm -rf "$work"' EXIT

# Without its network module, one line and exit 4 (as a build without dcmnet).
FACELESS_DICOMNET_MODULE=/nonexistent/faceless_dicomnet.so "$FACELESS" serve --aet N --port 1 --spool s \
  --forward D@127.0.0.1:1 2>nomod.log
rc=$?
[ $rc -eq 4 ] && [ "$(wc -l <nomod.log)" -eq 1 ] && grep -q 'DICOM network module' nomod.log && ok ||
  bad "no network module: exit $rc, $(cat nomod.log)"

mk_series face 1.2.826.0.1.3680043.10.9.1 FACE_T1 || { echo "cannot make the test series"; exit 1; }
mk_series phantom 1.2.826.0.1.3680043.10.9.2 PHANTOM || exit 1

dport=$(free_port)
start_dest DEST "$dport" dest
nport=$(free_port)
cat >node.conf <<EOF
# the example's shape, with test values
aet = WRONG
port = $nport
spool = $work/spool
allow = STORESCU ECHOSCU
forward = DEST@127.0.0.1:$dport
complete-after = 1
retry-min = 0.5
route = deface SeriesDescription=FACE* --transform=identity
route = deface Modality=MR
EOF
start_node node.log --config node.conf --aet NODE
wait_echo NODE "$nport" && ok || bad "no C-ECHO answer: $(tail -3 node.log)"

# Association checks: calling AE not allowed, called AE not ours.
storescu -aet INTRUDER -aec NODE 127.0.0.1 "$nport" face/im0.dcm >intruder.log 2>&1 &&
  bad "an unknown calling AE title was accepted" || ok
grep -qi 'reject' intruder.log && ok || bad "no association rejection seen: $(cat intruder.log)"
grep -q 'INTRUDER.*refused: calling AE title not allowed' node.log && ok || bad "refusal not logged"
echoscu -aec WRONG 127.0.0.1 "$nport" >/dev/null 2>&1 && bad "the config's aet was not overridden by --aet" || ok

storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm phantom/*.dcm >send.log 2>&1 && ok || bad "storescu failed: $(tail -3 send.log)"
wait_for 30 has_stores dest 8 && ok || bad "the de-faced series did not arrive: $(tail -5 node.log)"
wait_for 20 test -d spool/quarantine/1.2.826.0.1.3680043.10.9.2 && ok || bad "the phantom was not quarantined"
sleep 1.5 # anything more that would arrive

[ "$(dest_stores dest)" -eq 8 ] && ok || bad "destination answered $(dest_stores dest) C-STOREs, expected 8"
dest_uids dest >dest.uids
[ "$(wc -l <dest.uids)" -eq 8 ] && ok || bad "$(wc -l <dest.uids) distinct SOP Instance UIDs at the destination"
grep -qv '^2\.25\.' dest.uids && bad "a UID not under 2.25: $(grep -v '^2\.25\.' dest.uids | head -1)" || ok
for f in dest/*; do check_deid_attrs "$f" >/dev/null && ok || bad "$(check_deid_attrs "$f")"; done
grep -l -a -F '1.2.826.0.1.3680043.10.9' dest/* >/dev/null && bad "an input UID reached the destination" || ok
# The node writes what `faceless deface` writes: the same output UIDs (they
# are a digest of the output, io/dicom/dicom_uid.c).
"$FACELESS" deface face -o cli_out --transform identity >cli.log 2>&1 || bad "faceless deface failed: $(cat cli.log)"
dest_uids cli_out >cli.uids
cmp -s cli.uids dest.uids && ok || bad "the node's output differs from faceless deface's"

q=spool/quarantine/1.2.826.0.1.3680043.10.9.2
grep -q 'refused' "$q/reason.txt" && ok || bad "no refusal in the reason: $(cat "$q/reason.txt" 2>/dev/null)"
[ "$(ls "$q/in" | wc -l)" -eq 8 ] && ok || bad "the quarantined series lacks its instances"
grep -q '"quarantine": 1' spool/status.json || sleep 2.5
grep -q '"quarantine": 1' spool/status.json && ok || bad "status.json: $(cat spool/status.json)"

# faceless quarantine: list and show it; release --force sends it (8
# more instances, de-faced with --force); a name that is not there is
# refused (exit 3).
"$FACELESS" quarantine list spool >qlist.txt && grep -q '^1.2.826.0.1.3680043.10.9.2	.*	8	MR	PHANTOM	.*refused' qlist.txt &&
  ok || bad "quarantine list: $(cat qlist.txt)"
"$FACELESS" quarantine show spool 1.2.826.0.1.3680043.10.9.2 | grep -q '^instances: 8$' && ok || bad "quarantine show"
"$FACELESS" quarantine release spool 1.2.826.0.1.3680043.10.9.2 --force && ok || bad "quarantine release failed"
wait_for 30 has_stores dest 16 && ok || bad "the released phantom did not arrive: $(tail -3 node.log)"
grep -q 'defaced_untrusted_forced by route .released with --force' node.log && ok || bad "not de-faced with --force"
[ "$(ls spool/quarantine | wc -l)" -eq 0 ] && ok || bad "the released series is still in quarantine"
"$FACELESS" quarantine drop spool 1.2.826.0.1.3680043.10.9.99 2>/dev/null
[ $? -eq 3 ] && ok || bad "dropping a missing entry: not exit 3"

# A re-send: success for each, nothing forwarded again.
storescu -aec NODE 127.0.0.1 "$nport" face/*.dcm >resend.log 2>&1 && ok || bad "re-send refused: $(tail -3 resend.log)"
sleep 3
[ "$(dest_stores dest)" -eq 16 ] && ok || bad "after a re-send the destination answered $(dest_stores dest) C-STOREs"

# No pixel data: a failure status, not success.
cp face/im0.dcm nopix.dcm
dcmodify -nb -e "(7fe0,0010)" -m "(0008,0018)=1.2.826.0.1.3680043.10.9.3.1" nopix.dcm >/dev/null
storescu -v -aec NODE 127.0.0.1 "$nport" nopix.dcm >nopix.log 2>&1
grep -q 'Store Response (Error: DataSetDoesNotMatchSOPClass)' nopix.log && ok || bad "no failure status for a dataset without pixels: $(cat nopix.log)"
# Garbage on the port, then a PDU that declares 4 GB.
head -c 4096 /dev/urandom >/dev/tcp/127.0.0.1/"$nport" 2>/dev/null
printf '\x01\x00\xff\xff\xff\xff\x00\x01' >/dev/tcp/127.0.0.1/"$nport" 2>/dev/null
sleep 0.5
kill -0 "$node_pid" 2>/dev/null && wait_echo NODE "$nport" 5 && ok || bad "the node did not survive hostile bytes"

# An unsupported storage class (RT Dose): its presentation context is
# rejected (storescu then aborts the association), the node goes on.
storescu -aec NODE 127.0.0.1 "$nport" "$PYD/rtdose.dcm" >rt.log 2>&1 && bad "RT Dose was accepted" || ok
grep -q 'No presentation context for: (RD)' rt.log && ok || bad "RT Dose: $(cat rt.log)"
grep -q '0 stored, 0 failed, 0 echo, .*aborted by the peer' node.log && ok || bad "abort not logged: $(tail -2 node.log)"
wait_echo NODE "$nport" 5 && ok || bad "the node did not survive an unsupported SOP class"

kill -TERM "$node_pid"
wait "$node_pid"
rc=$?
[ $rc -eq 0 ] && ok || bad "SIGTERM: exit $rc, expected 0"
grep -q 'stopped$' node.log && ok || bad "no 'stopped' line: $(tail -2 node.log)"
finish

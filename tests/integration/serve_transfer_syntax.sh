#!/usr/bin/env bash
# faceless serve (issue 19) accepts the transfer syntaxes faceless reads,
# compressed ones included, and spools each instance in the syntax it came
# in, element for element: pydicom's MR_small in RLE, JPEG-LS lossless,
# JPEG 2000 lossless, big endian, implicit VR and explicit VR, each sent by
# storescu proposing that syntax (-xr, -xt, -xv, -xb, -xi, -xe). The dump of
# each spooled file (without the meta header) equals the sent file's.
source "$FACELESS_SOURCE_DIR/tests/tools/dicom_lib.sh"
source "$FACELESS_SOURCE_DIR/tests/tools/serve_lib.sh"
"$FACELESS" serve --help >/dev/null 2>&1 || { echo "skip: this build has no serve command"; exit 77; }
pyd_workdir serve-ts
trap 'stop_procs; rm -rf "$work"' EXIT

nport=$(free_port)
# complete-after 3600: nothing is processed; only the spool is looked at.
start_node node.log --aet NODE --port "$nport" --spool spool --forward "DEST@127.0.0.1:9" --complete-after 3600
wait_echo NODE "$nport" && ok || bad "node did not start: $(tail -3 node.log)"
series=1.2.826.0.1.3680043.10.9.61
i=0
for pair in RLE:-xr jpeg_ls_lossless:-xt jp2klossless:-xv bigendian:-xb implicit:-xi :-xe; do
  name=${pair%%:*} flag=${pair#*:}
  src="$PYD/MR_small${name:+_$name}.dcm"
  [ -f "$src" ] || { bad "$src missing"; continue; }
  cp "$src" "in$i.dcm"
  dcmodify -nb -m "(0020,000e)=$series" -m "(0008,0018)=$series.$i" "in$i.dcm" >/dev/null
  ts_in=$(ts_of "in$i.dcm")
  storescu "$flag" -aec NODE 127.0.0.1 "$nport" "in$i.dcm" >"send$i.log" 2>&1 && ok || bad "$name: storescu $flag failed: $(grep '^E' "send$i.log" | head -2)"
  out="spool/series/$series/in/$series.$i.dcm"
  if [ -f "$out" ]; then
    [ "$(ts_of "$out")" = "$ts_in" ] && ok || bad "$name: spooled as $(ts_of "$out"), sent as $ts_in"
    cmp -s <(dcmdump -q +L "in$i.dcm" | grep -v '^(0002,') <(dcmdump -q +L "$out" | grep -v '^(0002,') && ok ||
      bad "$name: the spooled dataset differs from the sent one"
  else
    bad "$name: not spooled"
  fi
  i=$((i + 1))
done
kill -TERM "$node_pid"
wait "$node_pid" && ok || bad "SIGTERM: exit not 0"
finish

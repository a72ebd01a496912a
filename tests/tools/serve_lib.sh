# Shared pieces of tests/integration/serve_*.sh (sourced after dicom_lib.sh):
# free loopback ports, a storescp destination that logs every C-STORE it
# answers, a `faceless serve` node, and waits with deadlines. Every process
# started here is stopped on exit by its own PID.
need_tools storescu storescp echoscu dcmdump dcmodify
procs=()

free_port() { # a TCP port nobody listens on now
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop_procs() {
  local p
  for p in "${procs[@]}"; do kill -9 "$p" 2>/dev/null; done
  for p in "${procs[@]}"; do wait "$p" 2>/dev/null; done
  procs=()
}

# start_dest AET PORT DIR: a storescp that writes what it receives into DIR
# (one file per SOP Instance UID, so a second copy overwrites the first) and
# logs each request in DIR.log; $dest_pid.
start_dest() {
  mkdir -p "$3"
  storescp -aet "$1" +xa -od "$3" -v "$2" >>"$3.log" 2>&1 &
  dest_pid=$!
  procs+=("$dest_pid")
  wait_echo "$1" "$2" || bad "storescp on $2 did not start"
}

# C-STORE requests a destination answered (duplicates counted).
dest_stores() {
  local n
  n=$(grep -c 'Received Store Request' "$1.log" 2>/dev/null)
  echo "${n:-0}"
}
# Distinct SOP Instance UIDs in a destination folder.
dest_uids() { dcmdump -q -Un "$1"/* 2>/dev/null | grep '^(0008,0018)' | sed -E 's/^[^[]*\[([^]]*)\].*/\1/' | sort -u; }

# start_node LOG ARGS...: `faceless serve ARGS` in the background; $node_pid.
start_node() {
  local log=$1
  shift
  "$FACELESS" serve "$@" >>"$log" 2>&1 &
  node_pid=$!
  procs+=("$node_pid")
}

# wait_echo AET PORT [SECONDS]: until a C-ECHO to AET@PORT succeeds.
wait_echo() {
  local end=$((SECONDS + ${3:-15}))
  while [ $SECONDS -lt $end ]; do
    echoscu -to 2 -aec "$1" 127.0.0.1 "$2" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds; 1 on timeout.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  while [ $SECONDS -lt $end ]; do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

# has_stores DIR N: the destination answered at least N C-STOREs.
has_stores() { [ "$(dest_stores "$1")" -ge "$2" ]; }

# mk_series DIR SERIES_UID DESCRIPTION: mk_face_series (dicom_lib.sh) with
# its own Series and SOP Instance UIDs and SeriesDescription, so routing
# can tell series apart.
mk_series() {
  local dir=$1 uid=$2 desc=$3 f i=0
  mk_face_series "$dir" || return 1
  for f in "$dir"/*.dcm; do
    dcmodify -nb -m "(0020,000e)=$uid" -i "(0008,103e)=$desc" -m "(0008,0018)=$uid.$i" "$f" >/dev/null || return 1
    i=$((i + 1))
  done
}

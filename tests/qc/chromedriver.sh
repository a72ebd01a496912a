# Sourced by the QC page tests: start_chromedriver WORKDIR starts Debian's
# chromedriver on a free loopback port (a few random ports tried) and sets
# $port and $driver_pid; stop_chromedriver ends it. Returns 1 when it cannot.
start_chromedriver() {
  local work=$1 attempt
  driver_pid=
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    chromedriver --port="$port" --allowed-ips=127.0.0.1 >"$work/chromedriver.log" 2>&1 &
    driver_pid=$!
    for _ in $(seq 1 50); do
      if node -e "fetch('http://127.0.0.1:$port/status').then(r=>r.json()).then(j=>process.exit(j.value.ready?0:1)).catch(()=>process.exit(1))" 2>/dev/null; then
        return 0
      fi
      kill -0 "$driver_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$driver_pid" 2>/dev/null || true
    wait "$driver_pid" 2>/dev/null || true
    driver_pid=
  done
  return 1
}
stop_chromedriver() {
  if [ -n "${driver_pid:-}" ]; then kill "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true; fi
  driver_pid=
}

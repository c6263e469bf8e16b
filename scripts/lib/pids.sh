# Sourced by the service scripts: processes are tracked by pid files, never found by name; ports are
# checked free before a service starts.

# live_pid PIDFILE PATTERN: print the pid in PIDFILE if that process is alive and its command line
# contains PATTERN (a recycled pid of some other program does not count); fail otherwise.
live_pid() {
  local pidfile="$1" pattern="$2" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
    echo "$pid"
    return 0
  fi
  return 1
}

# stop_pid NAME PID PIDFILE SECONDS: SIGTERM, wait up to SECONDS for the process to exit (its own clean
# shutdown: the broker closes its logs, the API flushes its producers), SIGKILL after that.
stop_pid() {
  local name="$1" pid="$2" pidfile="$3" seconds="$4"
  kill -TERM "$pid"
  for _ in $(seq 1 $((seconds * 4))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "$name stopped (pid $pid)"; return 0; }
    sleep 0.25
  done
  echo "$name (pid $pid) did not stop in ${seconds}s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# port_in_use HOST PORT: succeed if something accepts connections there (checked before a service starts,
# so that another program on its port is never mistaken for it).
port_in_use() {
  (exec 3<> "/dev/tcp/$1/$2") 2>/dev/null
}

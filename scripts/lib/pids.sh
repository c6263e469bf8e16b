# Sourced by the service scripts: processes are tracked by pid files, never found by name.

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

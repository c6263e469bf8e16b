#!/usr/bin/env bash
# The game API under gunicorn (config/gunicorn.conf.py), as a background process tracked by its pid.
#
#   scripts/game_api.sh up       start it on GAME_API_HOST:GAME_API_PORT (127.0.0.1:5000) and wait until
#                                /healthz answers; idempotent
#   scripts/game_api.sh down     stop the process this script started (SIGTERM: workers flush their
#                                producers) and wait for it to exit
#   scripts/game_api.sh status   say whether it runs
#
# State (pid, logs, shared metrics) lives in GAME_API_STATE_DIR (.run/game_api). Kafka settings come
# from the environment like everywhere else (KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host="${GAME_API_HOST:-127.0.0.1}"
port="${GAME_API_PORT:-5000}"
state="${GAME_API_STATE_DIR:-$root/.run/game_api}"
pidfile="$state/gunicorn.pid"

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"
running_pid() { live_pid "$pidfile" gunicorn; }

wait_healthy() {
  # Up to a minute: on a loaded machine gunicorn's imports alone have taken over 20 s.
  for _ in $(seq 1 300); do
    if "$root/.venv/bin/python" -c "import sys, urllib.request; urllib.request.urlopen('http://$host:$port/healthz', timeout=1)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$1" 2>/dev/null || return 1  # the process we launched (its pid file may not be written yet)
    sleep 0.2
  done
  return 1
}

start() {
  if pid="$(running_pid)"; then echo "game API already running (pid $pid) on $host:$port"; return 0; fi
  mkdir -p "$state/logs"
  export GAME_API_HOST="$host" GAME_API_PORT="$port" GAME_API_METRICS_DIR="${GAME_API_METRICS_DIR:-$state/metrics}" \
    GAME_API_CONTROL_SOCKET="${GAME_API_CONTROL_SOCKET:-$state/gunicorn.ctl}"
  cd "$root"  # gunicorn imports services.game_api from the repository root
  nohup "$root/.venv/bin/gunicorn" -c "$root/config/gunicorn.conf.py" \
    --pid "$pidfile" --error-logfile "$state/logs/gunicorn.log" services.game_api.wsgi:app \
    > "$state/logs/gunicorn.out" 2>&1 < /dev/null &
  local launched=$!
  if ! wait_healthy "$launched"; then
    echo "game API did not become healthy; last lines of its log:" >&2
    tail -n 30 "$state/logs/gunicorn.log" "$state/logs/gunicorn.out" >&2 2>/dev/null || true
    kill "$launched" 2>/dev/null || true  # leave no half-started instance behind
    exit 1
  fi
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  echo "game API running (pid $(cat "$pidfile")) on http://$host:$port; logs in $state/logs"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then echo "game API is not running"; rm -f "$pidfile"; return 0; fi
  stop_pid "game API" "$pid" "$pidfile" 30
}

status() {
  if pid="$(running_pid)"; then echo "game-api: running (pid $pid) on $host:$port"; else echo "game-api: stopped"; fi
}

case "${1:-}" in
  up) start ;;
  down) stop ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

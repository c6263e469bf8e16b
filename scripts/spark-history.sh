#!/usr/bin/env bash
# Spark's own history server over the event logs every Spark job of the project writes (SPARK_EVENTS_DIR,
# .run/spark-events; game_events.spark_submit.spark_conf turns the logs on). A background process tracked
# by its pid, on loopback like everything else.
#
#   scripts/spark-history.sh up       start it on 127.0.0.1:$SPARK_HISTORY_PORT (18080) and wait until it answers
#   scripts/spark-history.sh down     stop the process this script started
#   scripts/spark-history.sh status   say whether it runs
#
# State (pid, log): SPARK_HISTORY_STATE_DIR (.run/spark-history).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=127.0.0.1
port="${SPARK_HISTORY_PORT:-18080}"
events="${SPARK_EVENTS_DIR:-$root/.run/spark-events}"
state="${SPARK_HISTORY_STATE_DIR:-$root/.run/spark-history}"
spark_venv="${GAME_EVENTS_SPARK_VENV:-$root/.venv-spark}"
pidfile="$state/history-server.pid"

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"
running_pid() { live_pid "$pidfile" HistoryServer; }

up() {
  local pid url="http://$host:$port"
  if pid="$(running_pid)"; then echo "Spark history server already running (pid $pid): $url"; return 0; fi
  [ -x "$spark_venv/bin/spark-class" ] || { echo "No Spark in $spark_venv: run 'make setup' first" >&2; exit 1; }
  mkdir -p "$state" "$events"
  # The logs of applications that ended more than a week ago are deleted (the server's own cleaner).
  SPARK_HISTORY_OPTS="-Dspark.history.fs.logDirectory=file://$events -Dspark.history.ui.port=$port \
-Dspark.history.fs.update.interval=5s -Dspark.history.fs.cleaner.enabled=true -Dspark.history.fs.cleaner.maxAge=7d" \
  SPARK_HOME="$("$spark_venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" \
  SPARK_LOCAL_IP="$host" SPARK_PUBLIC_DNS="$host" SPARK_DAEMON_MEMORY="${SPARK_HISTORY_MEMORY:-512m}" \
    setsid nohup "$spark_venv/bin/spark-class" org.apache.spark.deploy.history.HistoryServer \
    > "$state/history-server.out" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 240); do
    if curl -fsS "$url/api/v1/version" > /dev/null 2>&1; then
      echo "Spark history server (pid $(cat "$pidfile")): $url  (event logs: $events)"
      return 0
    fi
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.5
  done
  echo "The Spark history server did not answer at $url; last lines of its log:" >&2
  tail -n 30 "$state/history-server.out" >&2
  exit 1
}

down() {
  local pid
  if ! pid="$(running_pid)"; then echo "Spark history server is not running"; rm -f "$pidfile"; return 0; fi
  stop_pid "Spark history server" "$pid" "$pidfile" 30
}

status() {
  if pid="$(running_pid)"; then echo "spark history server: running (pid $pid) on http://$host:$port"
  else echo "spark history server: stopped (make spark-history starts it)"; fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# The local Airflow 3: api-server (UI and REST API on 127.0.0.1:8080), scheduler and dag-processor
# (and a triggerer when AIRFLOW_TRIGGERER=true) as background processes, each tracked by its pid file
# in .run/airflow/pids, and its metadata database (PostgreSQL by scripts/postgres.sh unless
# AIRFLOW_DB=sqlite). Sizing (task slots, parsing processes, Spark driver memory): airflow-env.sh.
#
#   scripts/airflow.sh up       start the database, migrate it, start what is not running, wait until the
#                               API answers
#   scripts/airflow.sh down     stop the processes this script started (the database last) and wait for them
#   scripts/airflow.sh status   one line per component
#   scripts/airflow.sh password print the admin password Airflow generated
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/airflow-env.sh
. "$root/scripts/airflow-env.sh"
airflow="$root/.venv/bin/airflow"
pids="$AIRFLOW_HOME/pids"
logs="$AIRFLOW_HOME/logs"
components=(api-server scheduler dag-processor triggerer)

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"
running_pid() { live_pid "$pids/$1.pid" airflow; }

start() {
  local component="$1"; shift
  if pid="$(running_pid "$component")"; then echo "airflow $component already running (pid $pid)"; return 0; fi
  # setsid: each component leads its own process group, so `down` stops its workers with it.
  setsid nohup "$airflow" "$component" "$@" > "$logs/$component.out" 2>&1 < /dev/null &
  echo $! > "$pids/$component.pid"
  echo "started airflow $component (pid $!)"
}

password() {
  "$root/.venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' \
    "$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
}

up() {
  mkdir -p "$pids" "$logs"
  if [ "$AIRFLOW_DB" = postgres ]; then "$root/scripts/postgres.sh" up; fi
  "$airflow" db migrate > "$logs/db-migrate.out" 2>&1 || { tail -n 30 "$logs/db-migrate.out" >&2; exit 1; }
  start api-server --host "$AIRFLOW__API__HOST" --port "$AIRFLOW__API__PORT" --workers "$AIRFLOW__API__WORKERS"
  # Tasks report to the API server's execution API: a scheduler started before it answers can launch a
  # task that fails with "connection refused" (seen under load), so the other components wait for it.
  wait_for_api
  # No log-serving process: the api-server reads the task logs from the same disk (~140 MB saved; the
  # UI notes that served logs are unavailable while a task runs, and shows the local file).
  start scheduler --skip-serve-logs
  start dag-processor
  if [ "$AIRFLOW_TRIGGERER" = true ]; then start triggerer --skip-serve-logs; fi
  echo "Airflow UI: $AIRFLOW__API__BASE_URL   user: admin   password: $(password)"
}

wait_for_api() {
  local url="$AIRFLOW__API__BASE_URL"
  for _ in $(seq 1 180); do
    curl -fsS "$url/api/v2/monitor/health" > /dev/null 2>&1 && return 0
    sleep 1
  done
  echo "Airflow's API server did not answer at $url within 180s; see $logs/api-server.out" >&2
  exit 1
}

down() {
  local pid component
  for component in "${components[@]}"; do
    if pid="$(running_pid "$component")"; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 -- "-$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null || true
      echo "stopped airflow $component (pid $pid)"
    fi
    rm -f "$pids/$component.pid"
  done
  # With no Airflow process left, nothing holds a session open.
  if [ "$AIRFLOW_DB" = postgres ]; then "$root/scripts/postgres.sh" down; fi
}

status() {
  local pid component
  for component in "${components[@]}"; do
    if pid="$(running_pid "$component")"; then echo "airflow $component: running (pid $pid)"
    elif [ "$component" = triggerer ] && [ "$AIRFLOW_TRIGGERER" != true ]; then
      echo "airflow triggerer: not used (AIRFLOW_TRIGGERER=true starts it)"
    else echo "airflow $component: stopped"; fi
  done
  if [ "$AIRFLOW_DB" = postgres ]; then "$root/scripts/postgres.sh" status; else echo "airflow database: SQLite ($AIRFLOW_HOME/airflow.db)"; fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;; password) password ;;
  *) echo "usage: $0 up|down|status|password" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Airflow's metadata database: a PostgreSQL cluster of the project's own, from Debian's packages, on
# loopback only, started and stopped by pid like the broker. scripts/airflow.sh calls it when
# AIRFLOW_DB=postgres (the default, see scripts/airflow-env.sh).
#
#   scripts/postgres.sh up        create the cluster on first use (initdb, role and database `airflow`),
#                                 start it, wait until it accepts connections; idempotent
#   scripts/postgres.sh down      stop the server this script started (fast shutdown) and wait for it
#   scripts/postgres.sh status    say whether it runs
#   scripts/postgres.sh destroy   stop it and delete the cluster (data, passwords): the next `up` starts afresh
#   scripts/postgres.sh psql      a psql session as `airflow` on the `airflow` database
#   scripts/postgres.sh install   install PostgreSQL from Debian's packages unless it is there (make setup)
#
# Settings: POSTGRES_STATE_DIR (.run/postgres: data, log, pid, password files), POSTGRES_PORT (5433; never
# Debian's 5432), POSTGRES_BIN_DIR (found from pg_config or /usr/lib/postgresql/*/bin).
# Passwords: generated at initdb into $POSTGRES_STATE_DIR (mode 600), one for the `postgres` superuser and
# one for `airflow`, which reaches Airflow through the libpq password file $POSTGRES_STATE_DIR/pgpass
# (PGPASSFILE), never through the connection URL or the environment.
#
# PostgreSQL refuses to run as root. Run as root, the server runs as Debian's `postgres` user; when that
# user cannot reach the state directory (a checkout under a mode-700 home or temp folder), the data lives
# in /var/tmp/game-events-postgres-<hash of the state path> and $POSTGRES_STATE_DIR/data links to it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${POSTGRES_STATE_DIR:-$root/.run/postgres}"
host=127.0.0.1
port="${POSTGRES_PORT:-5433}"
pidfile="$state/postgres.pid"
python="$root/.venv/bin/python"

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"
running_pid() { live_pid "$pidfile" postgres; }

bin_dir() {
  local dir
  for dir in "${POSTGRES_BIN_DIR:-}" "$(pg_config --bindir 2>/dev/null || true)" \
             "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")" \
             $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  return 1
}

install_packages() {
  if dir="$(bin_dir)"; then echo "PostgreSQL: $("$dir/postgres" --version) in $dir"; return 0; fi
  [ "$(id -u)" = 0 ] || { echo "PostgreSQL is missing; install it as root: apt-get install -y postgresql" >&2; exit 1; }
  apt-get update -qq
  # Debian's package also creates and starts a cluster of its own on 5432; ours is separate and never uses it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql > /dev/null
  dir="$(bin_dir)" || { echo "PostgreSQL installed but initdb not found" >&2; exit 1; }
  echo "PostgreSQL: $("$dir/postgres" --version) in $dir"
}

# as_owner CMD...: run a server program as the data's owner (ourselves, or `postgres` when we are root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data directory, made reachable by its owner (see the header for root).
prepare_data_dir() {
  mkdir -p "$state"
  chmod 700 "$state" 2>/dev/null || true
  [ "$(id -u)" = 0 ] || { mkdir -p "$state/data"; return 0; }
  id postgres > /dev/null 2>&1 || { echo "Running as root needs Debian's 'postgres' user (apt-get install postgresql)" >&2; exit 1; }
  chmod 711 "$state"  # the server user passes through; the password files stay mode 600
  if [ -L "$state/data" ] || runuser -u postgres -- test -x "$state"; then
    [ -e "$state/data" ] || install -d -m 700 -o postgres -g postgres "$state/data"
  else
    local away="/var/tmp/game-events-postgres-$(printf '%s' "$state" | sha1sum | cut -c1-12)"
    install -d -m 700 -o postgres -g postgres "$away"
    ln -sfn "$away" "$state/data"
    echo "The postgres user cannot reach $state; the data lives in $away"
  fi
}

secret() { "$python" -c 'import secrets; print(secrets.token_urlsafe(32))'; }

# The data directory's real path: the server's user may not be able to follow $state/data.
data_dir() { readlink -f "$state/data"; }

init_cluster() {
  local bin="$1" data pwfile
  data="$(data_dir)"
  (umask 077 && secret > "$state/superuser.password" && secret > "$state/airflow.password")
  # initdb reads the superuser's password from a file its user can read (beside the data directory,
  # which must start empty); the copy lives only during initdb.
  pwfile="$data.initdb-password"
  install -m 600 "$state/superuser.password" "$pwfile"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pwfile"
  as_owner "$bin/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 > "$state/initdb.out" 2>&1 || { rm -f "$pwfile"; cat "$state/initdb.out" >&2; exit 1; }
  rm -f "$pwfile"
  # Loopback only, no Unix socket (nothing here uses one), sized for Airflow on a small machine.
  cat >> "$data/postgresql.conf" <<CONF

# --- game-events (scripts/postgres.sh) ---
listen_addresses = '$host'
port = $port
unix_socket_directories = ''
max_connections = 60
shared_buffers = 32MB
log_min_messages = warning
log_line_prefix = '%m [%p] %u@%d '
CONF
  (umask 077 && printf '%s:%s:airflow:airflow:%s\n' "$host" "$port" "$(cat "$state/airflow.password")" > "$state/pgpass")
  echo "Initialised PostgreSQL in $data"
}

# admin_sql BIN_DIR: run the SQL on stdin as the superuser on the postgres database (stdin, not argv:
# a password in it never shows in the process list).
admin_sql() {
  PGPASSWORD="$(cat "$state/superuser.password")" "$1/psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" \
    -U postgres -d postgres -tA -f -
}

create_airflow_database() {
  local bin="$1"
  if [ -z "$(admin_sql "$bin" <<< "SELECT 1 FROM pg_roles WHERE rolname = 'airflow'")" ]; then
    admin_sql "$bin" <<< "CREATE ROLE airflow LOGIN PASSWORD '$(cat "$state/airflow.password")'"
  fi
  if [ -z "$(admin_sql "$bin" <<< "SELECT 1 FROM pg_database WHERE datname = 'airflow'")" ]; then
    admin_sql "$bin" <<< "CREATE DATABASE airflow OWNER airflow"
    echo "Created database airflow (owner airflow)"
  fi
}

up() {
  local bin pid
  bin="$(bin_dir)" || { echo "PostgreSQL not found: run 'make setup' (or set AIRFLOW_DB=sqlite)" >&2; exit 1; }
  if pid="$(running_pid)"; then echo "PostgreSQL already running (pid $pid) on $host:$port"; return 0; fi
  # Another server on our port would take the connections meant for the cluster we start.
  if port_in_use "$host" "$port"; then
    echo "Port $host:$port is taken by a process this script did not start; set POSTGRES_PORT or stop it" >&2
    exit 1
  fi
  prepare_data_dir
  [ -f "$state/data/PG_VERSION" ] || init_cluster "$bin"
  # The port is fixed at initdb; a cluster made on another port is moved to the asked one.
  sed -i "s/^port = .*/port = $port/" "$state/data/postgresql.conf"
  sed -i "s/^$host:[0-9]*:/$host:$port:/" "$state/pgpass"
  as_owner "$bin/pg_ctl" -D "$(data_dir)" -l "$(data_dir)/server.log" -w -t 120 start > "$state/pg_ctl.out" 2>&1 \
    || { cat "$state/pg_ctl.out" >&2; tail -n 30 "$state/data/server.log" >&2 2>/dev/null; exit 1; }
  head -n 1 "$state/data/postmaster.pid" > "$pidfile"
  create_airflow_database "$bin"
  echo "Started PostgreSQL (pid $(cat "$pidfile")) on $host:$port; log in $state/data/server.log"
}

down() {
  local bin pid
  if ! pid="$(running_pid)"; then echo "PostgreSQL is not running (no live pid in $pidfile)"; rm -f "$pidfile"; return 0; fi
  bin="$(bin_dir)"
  # Fast shutdown: open sessions are ended and the server checkpoints; the pid is the postmaster's.
  as_owner "$bin/pg_ctl" -D "$(data_dir)" -m fast -w -t 60 stop > /dev/null 2>&1 || kill -INT "$pid" 2>/dev/null || true
  for _ in $(seq 1 240); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then echo "PostgreSQL (pid $pid) did not stop in 60s; killing it" >&2; kill -KILL "$pid"; fi
  rm -f "$pidfile"
  echo "PostgreSQL stopped (pid $pid)"
}

destroy() {
  down
  [ -e "$state/data" ] && rm -rf "$(data_dir)"
  rm -rf "$state"
  echo "Deleted the PostgreSQL cluster in $state"
}

status() {
  if pid="$(running_pid)"; then echo "postgres: running (pid $pid) on $host:$port"; else echo "postgres: stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  destroy) destroy ;;
  psql) bin="$(bin_dir)"; PGPASSFILE="$state/pgpass" exec "$bin/psql" -h "$host" -p "$port" -U airflow -d airflow ;;
  install) install_packages ;;
  *) echo "usage: $0 up|down|status|destroy|psql|install" >&2; exit 2 ;;
esac

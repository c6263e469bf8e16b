#!/usr/bin/env bash
# A local Apache Kafka broker in KRaft mode (no ZooKeeper, no Docker), from the jars `make setup`
# fetched from Maven Central into .deps/kafka/libs.
#
#   scripts/kafka.sh up       start it (formats storage on first start), wait until it answers; idempotent
#   scripts/kafka.sh down     stop the process this script started (by its pid) and wait for it to exit
#   scripts/kafka.sh status   say whether it runs
#
# Settings: KAFKA_HOST (127.0.0.1), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_STATE_DIR (.run/kafka: config, data, logs, pid), KAFKA_HEAP_OPTS (-Xms256m -Xmx1g).
# One node of a multi-node cluster (scripts/cluster.sh): KAFKA_CONFIG_TEMPLATE (config/kafka/server.properties),
# KAFKA_NODE_ID (1), KAFKA_QUORUM_VOTERS (id@host:port,...), KAFKA_CLUSTER_ID (the same for every node; random
# for a single node), KAFKA_WAIT=0 (do not wait for readiness: one node of three cannot answer alone).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host="${KAFKA_HOST:-127.0.0.1}"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
state="${KAFKA_STATE_DIR:-$root/.run/kafka}"
libs="${GAME_EVENTS_DEPS_DIR:-$root/.deps}/kafka/libs"
pidfile="$state/kafka.pid"
python="$root/.venv/bin/python"
template="${KAFKA_CONFIG_TEMPLATE:-$root/config/kafka/server.properties}"
node_id="${KAFKA_NODE_ID:-1}"
quorum_voters="${KAFKA_QUORUM_VOTERS:-$node_id@$host:$controller_port}"

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"
running_pid() { live_pid "$pidfile" kafka.Kafka; }

wait_ready() {
  KAFKA_BOOTSTRAP_SERVERS="$host:$port" "$python" -m game_events.cli broker wait --timeout "${1:-90}"
}

up() {
  if pid="$(running_pid)"; then
    echo "Kafka already running (pid $pid) on $host:$port"
    [ "${KAFKA_WAIT:-1}" = 0 ] || wait_ready 90
    return 0
  fi
  ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 || { echo "No Kafka jars in $libs: run 'make setup' first" >&2; exit 1; }
  # Another process on our port would answer the readiness check in place of the broker we start.
  if port_in_use "$host" "$port"; then
    echo "Port $host:$port is taken by a process this script did not start; set KAFKA_PORT or stop it" >&2
    exit 1
  fi
  mkdir -p "$state/data" "$state/logs"
  sed -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
      -e "s|@DATA_DIR@|$state/data|g" -e "s|@NODE_ID@|$node_id|g" -e "s|@QUORUM_VOTERS@|$quorum_voters|g" \
      "$template" > "$state/server.properties"
  local java_opts=(-Dlog4j2.configurationFile="$root/config/kafka/log4j2.properties" -Dkafka.logs.dir="$state/logs")
  if [ ! -f "$state/data/meta.properties" ]; then
    local cluster_id="${KAFKA_CLUSTER_ID:-}"
    [ -n "$cluster_id" ] || cluster_id="$(java -cp "$libs/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid)"
    java -cp "$libs/*" "${java_opts[@]}" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$state/server.properties" > "$state/logs/format.out" 2>&1 \
      || { cat "$state/logs/format.out" >&2; exit 1; }
    echo "Formatted KRaft storage in $state/data (cluster $cluster_id)"
  fi
  # shellcheck disable=SC2086
  nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$state/server.properties" \
    > "$state/logs/kafka.out" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  echo "Started Kafka (pid $!) on $host:$port; logs in $state/logs"
  [ "${KAFKA_WAIT:-1}" = 0 ] && return 0
  if ! wait_ready 90; then
    echo "Kafka did not become ready; last lines of its log:" >&2
    tail -n 30 "$state/logs/kafka.out" "$state/logs/server.log" >&2 2>/dev/null || true
    exit 1
  fi
}

down() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "Kafka is not running (no live pid in $pidfile)"
    rm -f "$pidfile"
    return 0
  fi
  stop_pid Kafka "$pid" "$pidfile" 60
}

status() {
  if pid="$(running_pid)"; then echo "kafka: running (pid $pid) on $host:$port"; else echo "kafka: stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

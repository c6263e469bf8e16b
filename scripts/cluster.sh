#!/usr/bin/env bash
# A real multi-process cluster of the engines the project already uses, on one machine, loopback only:
# a Spark standalone master with two workers (from .venv-spark's pyspark) and a Kafka cluster of three
# KRaft nodes (each broker + controller, own ports and data folder; scripts/kafka.sh per node), with the
# topic `events` at replication factor 3 and min.insync.replicas=2.
#
#   scripts/cluster.sh up       start whatever is not running, wait for 3 brokers and 2 workers; idempotent
#   scripts/cluster.sh down     stop what this script started (by pid / process group), wait for exit
#   scripts/cluster.sh status   one line per process
#   scripts/cluster.sh env      the environment that points the project at this cluster (eval it)
#
# Settings: CLUSTER_STATE_DIR (.run/cluster), CLUSTER_KAFKA_PORTS ("19092 19094 19096"; each controller
# on port+1), SPARK_MASTER_PORT (7077), SPARK_MASTER_WEBUI_PORT (17080), CLUSTER_WORKER_PORTS
# ("17078 17079"; web UIs on 17081, 17082), CLUSTER_WORKER_CORES (1), CLUSTER_WORKER_MEMORY (1g).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=127.0.0.1
state="${CLUSTER_STATE_DIR:-$root/.run/cluster}"
read -r -a kafka_ports <<< "${CLUSTER_KAFKA_PORTS:-19092 19094 19096}"
read -r -a worker_ports <<< "${CLUSTER_WORKER_PORTS:-17078 17079}"
master_port="${SPARK_MASTER_PORT:-7077}"
master_ui_port="${SPARK_MASTER_WEBUI_PORT:-17080}"
master_url="spark://$host:$master_port"
spark_venv="${GAME_EVENTS_SPARK_VENV:-$root/.venv-spark}"
executor_venv="$state/executor-venv"
python="$root/.venv/bin/python"

# shellcheck source=scripts/lib/pids.sh
. "$root/scripts/lib/pids.sh"

bootstrap_servers() { local IFS=,; local list=("${kafka_ports[@]/#/$host:}"); echo "${list[*]}"; }

# --- Kafka: three nodes through scripts/kafka.sh, one state folder each --------------------------------
kafka_node() {  # kafka_node N ACTION: run scripts/kafka.sh for node N (1-based)
  local n="$1" action="$2" voters="" i
  for i in "${!kafka_ports[@]}"; do voters+="${voters:+,}$((i + 1))@$host:$((kafka_ports[i] + 1))"; done
  KAFKA_HOST="$host" KAFKA_PORT="${kafka_ports[n - 1]}" KAFKA_CONTROLLER_PORT="$((kafka_ports[n - 1] + 1))" \
  KAFKA_STATE_DIR="$state/kafka-$n" KAFKA_NODE_ID="$n" KAFKA_QUORUM_VOTERS="$voters" \
  KAFKA_CLUSTER_ID="$(cluster_id)" KAFKA_CONFIG_TEMPLATE="$root/config/cluster/server.properties" \
  KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}" KAFKA_WAIT=0 "$root/scripts/kafka.sh" "$action"
}

cluster_id() {  # one id for all three nodes, generated once (StorageTool formats each node with it)
  if [ ! -s "$state/kafka-cluster-id" ]; then
    mkdir -p "$state"
    "$python" -c 'import base64, uuid; print(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))' \
      > "$state/kafka-cluster-id"
  fi
  cat "$state/kafka-cluster-id"
}

kafka_up() {
  local n
  for n in 1 2 3; do kafka_node "$n" up; done
  # Brokers register once a controller majority exists; wait until all three are in the metadata.
  KAFKA_BOOTSTRAP_SERVERS="$(bootstrap_servers)" "$python" - <<'PY'
import sys, time
from game_events.kafka import wait_for_broker
deadline = time.monotonic() + 120
while (brokers := wait_for_broker(timeout_s=120)) < 3 and time.monotonic() < deadline:
    time.sleep(1)
print(f"Kafka cluster: {brokers} brokers")
sys.exit(0 if brokers == 3 else 1)
PY
  KAFKA_BOOTSTRAP_SERVERS="$(bootstrap_servers)" KAFKA_TOPIC_REPLICATION=3 KAFKA_TOPIC_MIN_INSYNC_REPLICAS=2 \
    "$python" -m game_events.cli topic ensure
}

# --- Spark standalone: spark-class from the Spark environment, each daemon its own process group -------
spark_home() { "$spark_venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'; }

spark_daemon() {  # spark_daemon NAME PATTERN CLASS ARGS...: start unless its pid is alive
  local name="$1" pattern="$2"; shift 2
  local pidfile="$state/spark/$name.pid" pid
  if pid="$(live_pid "$pidfile" "$pattern")"; then echo "spark $name already running (pid $pid)"; return 0; fi
  mkdir -p "$state/spark/logs"
  # Workers delete the folders (shipped jars, archive, logs) of applications that ended a day ago.
  SPARK_WORKER_OPTS="-Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.appDataTtl=86400" \
  SPARK_HOME="$(spark_home)" SPARK_LOCAL_IP="$host" SPARK_DAEMON_MEMORY=256m SPARK_NO_DAEMONIZE=1 \
    setsid nohup "$spark_venv/bin/spark-class" "$@" > "$state/spark/logs/$name.out" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  echo "started spark $name (pid $!)"
}

# The executors' Python: a venv whose only site entry is .venv-spark's site-packages, added by a .pth
# line. Site folders named by a .pth line get no .pth processing of their own, so the editable install
# of game_events (.venv-spark's __editable__ .pth -> src/) is not seen: like a worker machine with the
# Spark environment's packages and no checkout, executors import the project only from the shipped archive.
executor_python() {
  if [ ! -x "$executor_venv/bin/python" ]; then
    "$spark_venv/bin/python" -m venv --without-pip "$executor_venv"
    local site; site="$("$spark_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    local own_site; own_site="$("$executor_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$site" > "$own_site/spark_environment.pth"
  fi
}

spark_up() {
  executor_python
  spark_daemon master deploy.master.Master org.apache.spark.deploy.master.Master \
    --host "$host" --port "$master_port" --webui-port "$master_ui_port"
  local i
  for i in "${!worker_ports[@]}"; do
    mkdir -p "$state/spark/work-$((i + 1))"
    spark_daemon "worker-$((i + 1))" deploy.worker.Worker org.apache.spark.deploy.worker.Worker \
      --host "$host" --port "${worker_ports[i]}" --webui-port "$((master_ui_port + i + 1))" \
      --cores "${CLUSTER_WORKER_CORES:-1}" --memory "${CLUSTER_WORKER_MEMORY:-1g}" \
      --work-dir "$state/spark/work-$((i + 1))" "$master_url"
  done
  wait_workers "${#worker_ports[@]}"
}

wait_workers() {  # the master's JSON status lists every worker ALIVE
  local expected="$1" alive=0
  for _ in $(seq 1 120); do
    alive="$(curl -fsS "http://$host:$master_ui_port/json/" 2>/dev/null | "$python" -c \
      'import json, sys; print(sum(w["state"] == "ALIVE" for w in json.load(sys.stdin)["workers"]))' 2>/dev/null || echo 0)"
    if [ "$alive" -ge "$expected" ]; then echo "Spark master $master_url: $alive workers alive"; return 0; fi
    sleep 1
  done
  echo "Spark master $master_url has $alive of $expected workers alive after 120s; see $state/spark/logs" >&2
  return 1
}

spark_down() {
  local name pid
  for name in worker-2 worker-1 master; do
    if pid="$(live_pid "$state/spark/$name.pid" deploy.)"; then
      # The daemon leads its process group: executors it launched stop with it.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      echo "spark $name stopped (pid $pid)"
    fi
    rm -f "$state/spark/$name.pid"
  done
}

status() {
  local n name pid
  for n in 1 2 3; do echo "kafka-$n: $(kafka_node "$n" status | sed 's/^kafka: //')"; done
  for name in master worker-1 worker-2; do
    if pid="$(live_pid "$state/spark/$name.pid" deploy.)"; then echo "spark $name: running (pid $pid)"
    else echo "spark $name: stopped"; fi
  done
}

print_env() {
  cat <<EOF
export KAFKA_BOOTSTRAP_SERVERS=$(bootstrap_servers)
export KAFKA_TOPIC_REPLICATION=3 KAFKA_TOPIC_MIN_INSYNC_REPLICAS=2
export SPARK_MASTER=$master_url
export SPARK_EXECUTOR_MEMORY=${CLUSTER_WORKER_MEMORY:-1g} SPARK_EXECUTOR_CORES=${CLUSTER_WORKER_CORES:-1} SPARK_TOTAL_EXECUTOR_CORES=$((${CLUSTER_WORKER_CORES:-1} * ${#worker_ports[@]}))
export SPARK_EXECUTOR_PYTHON=$executor_venv/bin/python
EOF
}

case "${1:-}" in
  up) mkdir -p "$state"; kafka_up; spark_up ;;
  # All brokers at once: stopped one by one, the last could not reach a controller majority for its
  # controlled shutdown and would wait out the 60 s before being killed.
  down) spark_down; for n in 1 2 3; do kafka_node "$n" down & done; wait ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac

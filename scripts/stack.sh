#!/usr/bin/env bash
# The whole local stack: Kafka broker, game API (gunicorn), Airflow (api-server, scheduler,
# dag-processor, triggerer) and its PostgreSQL. Each part is started and stopped by its own script, by
# pid; `down` also stops Spark's history server when `make spark-history` started it.
#
#   scripts/stack.sh up | down | status
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

up() {
  scripts/kafka.sh up
  .venv/bin/python -m game_events.cli topic ensure
  scripts/game_api.sh up
  scripts/airflow.sh up
  echo
  echo "Stack is up:"
  echo "  Kafka      127.0.0.1:${KAFKA_PORT:-9092} (topic ${KAFKA_TOPIC:-events})"
  echo "  Game API   http://127.0.0.1:${GAME_API_PORT:-5000}  (try: curl -s http://127.0.0.1:${GAME_API_PORT:-5000}/healthz)"
  echo "  Airflow UI $(. scripts/airflow-env.sh; echo "$AIRFLOW__API__BASE_URL")  user admin, password $(scripts/airflow.sh password)"
  echo "  Logs       .run/  (kafka/logs, game_api/, airflow/logs, postgres/data/server.log, spark-events/)"
  echo "  Spark jobs make spark-history  (Spark's history server on http://127.0.0.1:${SPARK_HISTORY_PORT:-18080})"
}

down() {
  # Reverse order: nothing should be left producing into a stopped broker.
  scripts/airflow.sh down
  scripts/game_api.sh down
  scripts/kafka.sh down
  scripts/spark-history.sh down
}

status() {
  scripts/kafka.sh status
  scripts/game_api.sh status
  scripts/airflow.sh status
  scripts/spark-history.sh status
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac

"""docker-compose.yml cannot run here (no Docker engine); check that it parses and matches the local stack."""

from __future__ import annotations

import json
import subprocess

import yaml
from sqlalchemy.engine import make_url

from game_events.settings import PROJECT_ROOT, load_settings


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def local_airflow_env() -> dict[str, str]:
    script = f'export AIRFLOW_HOME=$(mktemp -d); . "{PROJECT_ROOT}/scripts/airflow-env.sh"; env -0'
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def test_services_and_loopback_ports():
    services = compose()["services"]
    assert {"kafka", "game-api", "airflow", "spark-master", "spark-worker", "postgres"} <= set(services)
    published = {port for s in services.values() for port in s.get("ports", [])}
    assert published == {"127.0.0.1:9092:9092", "127.0.0.1:5000:5000", "127.0.0.1:8080:8080",
                         "127.0.0.1:7077:7077"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["spark-master"]["image"].startswith("apache/spark:4.2.0")


def test_settings_match_the_local_stack():
    services, local, settings = compose()["services"], local_airflow_env(), load_settings()
    airflow = services["airflow"]["environment"]
    for key in ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__PARALLELISM", "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG",
                "AIRFLOW__CORE__LOAD_EXAMPLES", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "AIRFLOW__API__PORT"):
        assert str(airflow[key]) == local[key], key
    assert airflow["KAFKA_TOPIC"] == settings.kafka_topic
    assert int(airflow["KAFKA_TOPIC_PARTITIONS"]) == settings.kafka_topic_partitions
    for conn in ("AIRFLOW_CONN_KAFKA_DEFAULT", "AIRFLOW_CONN_SPARK_DEFAULT"):
        in_compose, in_local = json.loads(airflow[conn]), json.loads(local[conn])
        assert in_compose["conn_type"] == in_local["conn_type"]
        assert set(in_compose.get("extra", {})) == set(in_local.get("extra", {}))
    assert json.loads(airflow["AIRFLOW_CONN_SPARK_DEFAULT"])["host"] == json.loads(local["AIRFLOW_CONN_SPARK_DEFAULT"])["host"]
    # The same metadata database: PostgreSQL of the local stack's major version, reached with the same
    # driver, role and database, the password from a libpq password file rather than the URL.
    in_compose = make_url(airflow["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    in_local = make_url(local["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert (in_compose.drivername, in_compose.username, in_compose.database) == \
        (in_local.drivername, in_local.username, in_local.database) == ("postgresql+psycopg2", "airflow", "airflow")
    assert in_compose.password is None and in_local.password is None
    assert airflow["PGPASSFILE"] and local["PGPASSFILE"]
    postgres = services["postgres"]
    local_major = subprocess.run(["pg_config", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    assert postgres["image"] == f"postgres:{local_major.split('.')[0]}"
    assert postgres["environment"]["POSTGRES_PASSWORD_FILE"].startswith("/secrets/")
    assert "POSTGRES_PASSWORD" not in postgres["environment"]
    assert "postgres" in services["airflow"]["depends_on"]
    kafka = services["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper

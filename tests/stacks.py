"""The environment of a test's own Airflow stack: everything it runs and writes under one folder.

scripts/airflow.sh started with it runs Airflow on a free port of 127.0.0.1 with its own AIRFLOW_HOME,
its own PostgreSQL cluster (scripts/postgres.sh, its own state folder and free port; AIRFLOW_DB=sqlite in
the caller's environment runs the stack on SQLite instead) and its own folder of Spark event logs, so a
test never touches a `make up` or `make bench` stack, or another test's.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from game_events.settings import PROJECT_ROOT
from tests.api.servers import free_port

# Settings the stack's scripts/airflow-env.sh derives for itself: never inherited from the test process
# (tests/dags/conftest.py sets its own for in-process parsing).
DERIVED_PREFIXES = ("AIRFLOW__", "AIRFLOW_CONN_", "POSTGRES_")
DERIVED_KEYS = {"AIRFLOW_HOME", "PGPASSFILE", "SPARK_EVENTS_DIR", "SPARK_HISTORY_URL"}
# The first line every Spark job prints (game_events.spark_submit.describe_application).
APPLICATION_LINE = re.compile(r"Spark application ([^\s\";]+); history: ([^\s\"]+)")


def airflow_stack_env(base: Path, port: int | None = None, **extra: str) -> dict[str, str]:
    """The full environment of a stack whose state lives under `base`; `extra` adds or overrides."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(DERIVED_PREFIXES) and k not in DERIVED_KEYS}
    env.update({"AIRFLOW_HOME": str(base / "airflow"), "AIRFLOW__API__PORT": str(port),
                "AIRFLOW__API__BASE_URL": url, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
                "POSTGRES_STATE_DIR": str(base / "postgres"), "POSTGRES_PORT": str(free_port()),
                "SPARK_EVENTS_DIR": str(base / "spark-events"), "SPARK_HISTORY_PORT": str(free_port()),
                "SPARK_HISTORY_STATE_DIR": str(base / "spark-history"), "GAME_EVENTS_DATA_DIR": str(base / "data")})
    env.update(extra)
    return env


def delete_database(env: dict[str, str]) -> None:
    """After `airflow.sh down`: delete the stack's PostgreSQL cluster (its data may live outside `base`)."""
    if env.get("AIRFLOW_DB", "postgres") == "postgres":
        subprocess.run([str(PROJECT_ROOT / "scripts" / "postgres.sh"), "destroy"], env=env, timeout=120,
                       capture_output=True)


def spark_application_of(airflow_home: Path, run_id: str, task_id: str, dag_id: str = "game_events_daily") -> tuple[str, str]:
    """The Spark application id and history URL a Spark task's Airflow log names (its last attempt)."""
    task_logs = sorted((airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}").glob("attempt=*.log"))
    assert task_logs, f"no log of {task_id} in {run_id}"
    found = APPLICATION_LINE.findall(task_logs[-1].read_text())
    assert found, f"{task_logs[-1]} names no Spark application"
    return found[-1]


@contextmanager
def spark_history(env: dict[str, str]):
    """scripts/spark-history.sh over the stack's event logs; yields the server's base URL."""
    script = str(PROJECT_ROOT / "scripts" / "spark-history.sh")
    started = subprocess.run([script, "up"], env=env, capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"http://127.0.0.1:{env['SPARK_HISTORY_PORT']}"
    finally:
        subprocess.run([script, "down"], env=env, capture_output=True, timeout=60)


def history_application(base_url: str, app_id: str, timeout_s: float = 90) -> dict:
    """The history server's record of an application, once it has read the event log (it polls the folder)."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = requests.get(f"{base_url}/api/v1/applications/{app_id}", timeout=10)
        if response.status_code == 200:
            return response.json()
        assert time.monotonic() < deadline, f"{app_id} not in the history server: {response.status_code} {response.text[:200]}"
        time.sleep(2)

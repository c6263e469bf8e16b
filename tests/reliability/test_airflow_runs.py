"""Case 6 and the Airflow half of case 13 (long): backfills through the real scheduler, and its API's auth.

Two stacks one after the other (game API and Airflow on free ports, throw-away AIRFLOW_HOME, fresh data
folder and topic on the suite's broker): the same 3 days backfilled with one active run, then with three.
The outputs must be identical, date by date. Marked long (~10 min): `make test-reliability` runs it.

    .venv/bin/python -m pytest tests/reliability/test_airflow_runs.py -s
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from game_events.airflow_api import AirflowClient, follow_backfill
from game_events.settings import PROJECT_ROOT
from tests.api.servers import free_port
from tests.reliability.jobs import date_hashes

pytestmark = pytest.mark.long
START, END = date(2026, 11, 14), date(2026, 11, 16)
DAYS = {(START + timedelta(days=i)).isoformat() for i in range(3)}
EVENTS_PER_DAY = 200
AIRFLOW_PORT, API_PORT = free_port(), free_port()  # never a running `make up` or `make bench` stack
ARRIVAL_COLUMNS = ("received_at", "kafka_partition", "kafka_offset")


def _script(script: str, action: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script), action], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} {action} failed:\n{result.stdout}\n{result.stderr}"


@contextmanager
def stack(base: Path, broker: str):
    base_url = f"http://127.0.0.1:{AIRFLOW_PORT}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update({"AIRFLOW_HOME": str(base / "airflow"), "AIRFLOW__API__PORT": str(AIRFLOW_PORT),
                "AIRFLOW__API__BASE_URL": base_url, "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
                "GAME_EVENTS_DATA_DIR": str(base / "data"), "KAFKA_TOPIC": f"rel-dag-{uuid.uuid4().hex[:8]}",
                "KAFKA_BOOTSTRAP_SERVERS": broker, "GAME_API_PORT": str(API_PORT),
                "GAME_API_URL": f"http://127.0.0.1:{API_PORT}", "GAME_API_STATE_DIR": str(base / "game_api"),
                "GAME_EVENTS_EVENTS_PER_DAY": str(EVENTS_PER_DAY)})
    subprocess.run([str(PROJECT_ROOT / ".venv/bin/python"), "-m", "game_events.cli", "topic", "ensure"],
                   env=env, check=True, capture_output=True)
    _script("game_api.sh", "up", env)
    try:
        _script("airflow.sh", "up", env)
        yield env
    finally:
        subprocess.run([str(PROJECT_ROOT / "scripts" / "airflow.sh"), "down"], env=env, timeout=300)
        subprocess.run([str(PROJECT_ROOT / "scripts" / "game_api.sh"), "down"], env=env, timeout=120)


def client_of(env: dict[str, str]) -> AirflowClient:
    password = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text())
    return AirflowClient(env["AIRFLOW__API__BASE_URL"], "admin", password["admin"])


def backfill(env: dict[str, str], max_active_runs: int) -> dict[str, str]:
    client = client_of(env)
    client.wait_for_dag()
    created = client.create_backfill(START, END, conf={"events_per_day": EVENTS_PER_DAY, "duplicate_rate": 0.05},
                                     max_active_runs=max_active_runs)
    runs = follow_backfill(client, created, DAYS, timeout_s=1500, poll_s=5)
    assert sorted(r["state"] for r in runs) == ["success"] * 3, runs
    # Two independent stacks: the API stamps received_at at request time and Kafka assigns partitions and
    # offsets by arrival, so those columns differ by nature; every other column must be identical.
    hashes = date_hashes(Path(env["GAME_EVENTS_DATA_DIR"]) / "lake" / "events", ignore=ARRIVAL_COLUMNS)
    return {day: digest for day, digest in hashes.items() if day in DAYS}


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory, broker):
    with stack(tmp_path_factory.mktemp("serial"), broker) as env:
        hashes = backfill(env, max_active_runs=1)
        auth = auth_figures(env)
    return hashes, auth


def auth_figures(env: dict[str, str]) -> dict:
    base = env["AIRFLOW__API__BASE_URL"]
    password = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text())
    wrong = requests.post(f"{base}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30)
    return {"anonymous": {path: requests.get(f"{base}/api/v2{path}", timeout=30).status_code
                          for path in ("/dags", "/dags/game_events_daily/dagRuns", "/connections")},
            "admin/admin": wrong.status_code, "password": password["admin"]}


def test_airflow_api_refuses_anonymous_and_default_credentials(one_at_a_time):  # case 13, Airflow half
    _, auth = one_at_a_time
    print(f"Airflow without credentials: {auth['anonymous']}; admin/admin token request: {auth['admin/admin']}")
    assert set(auth["anonymous"].values()) <= {401, 403}
    assert auth["admin/admin"] in (401, 403)
    assert len(auth["password"]) >= 12 and auth["password"] not in {"admin", "airflow", "password"}


def test_backfill_with_one_or_three_active_runs_gives_identical_outputs(one_at_a_time, tmp_path_factory, broker):
    serial, _ = one_at_a_time
    with stack(tmp_path_factory.mktemp("parallel"), broker) as env:
        parallel = backfill(env, max_active_runs=3)
    print(f"backfill {START}..{END}: max_active_runs=1 {serial}; max_active_runs=3 {parallel}")
    assert set(serial) == DAYS and parallel == serial

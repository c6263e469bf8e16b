"""Case 6 and the Airflow half of case 13 (long): backfills through the real scheduler, and its API's auth.

Two stacks one after the other (game API and Airflow on free ports, throw-away AIRFLOW_HOME, its own
PostgreSQL cluster, fresh data folder and topic on the suite's broker): 3 days backfilled with one active
run, then a week that ends with the same 3 days with three active runs, started from the UI's backfill
dialog in Chromium with the run params filled in the form. The common days must be identical,
date by date; every day of the week must hold what the generator's truth file says it sent, and no log of
Airflow or PostgreSQL may show a database error. Marked long (~12 min): `make test-reliability` runs it.

    .venv/bin/python -m pytest tests/reliability/test_airflow_runs.py -s
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests

from game_events.airflow_api import AirflowClient, follow_backfill
from game_events.settings import PROJECT_ROOT
from tests.airflow_ui import fill_backfill_dialog, logged_in_page, submit_backfill
from tests.api.servers import free_port
from tests.stacks import airflow_stack_env, delete_database
from tests.reliability.jobs import date_hashes

pytestmark = pytest.mark.long
START, END = date(2026, 11, 14), date(2026, 11, 16)
DAYS = {(START + timedelta(days=i)).isoformat() for i in range(3)}
WEEK_START = END - timedelta(days=6)
WEEK = {(WEEK_START + timedelta(days=i)).isoformat() for i in range(7)}
# What a database error looks like in Airflow's logs (SQLite's lock, SQLAlchemy's and psycopg2's errors,
# the API server's 500) and in PostgreSQL's own log.
DATABASE_ERRORS = re.compile(r"database is locked|Database error|OperationalError|DBAPIError|deadlock detected|"
                             r"could not serialize|too many clients|\b(ERROR|FATAL|PANIC):")
# The one error Airflow causes on purpose: its CLI logs each command to the `log` table, and on a database
# `db migrate` has not created yet it expects PostgreSQL to refuse (airflow.utils.cli_action_loggers).
EXPECTED_DATABASE_ERRORS = re.compile(r'ERROR:  relation "log" does not exist')
EVENTS_PER_DAY = 200
AIRFLOW_PORT, API_PORT = free_port(), free_port()  # never a running `make up` or `make bench` stack
ARRIVAL_COLUMNS = ("received_at", "kafka_partition", "kafka_offset")
SCREENSHOTS = PROJECT_ROOT / "data" / "screenshots"


def _script(script: str, action: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script), action], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} {action} failed:\n{result.stdout}\n{result.stderr}"


@contextmanager
def stack(base: Path, broker: str):
    env = airflow_stack_env(
        base, AIRFLOW_PORT, KAFKA_TOPIC=f"rel-dag-{uuid.uuid4().hex[:8]}", KAFKA_BOOTSTRAP_SERVERS=broker,
        GAME_API_PORT=str(API_PORT), GAME_API_URL=f"http://127.0.0.1:{API_PORT}",
        GAME_API_STATE_DIR=str(base / "game_api"), GAME_EVENTS_EVENTS_PER_DAY=str(EVENTS_PER_DAY))
    subprocess.run([str(PROJECT_ROOT / ".venv/bin/python"), "-m", "game_events.cli", "topic", "ensure"],
                   env=env, check=True, capture_output=True)
    _script("game_api.sh", "up", env)
    try:
        _script("airflow.sh", "up", env)
        yield env
    finally:
        subprocess.run([str(PROJECT_ROOT / "scripts" / "airflow.sh"), "down"], env=env, timeout=300)
        subprocess.run([str(PROJECT_ROOT / "scripts" / "game_api.sh"), "down"], env=env, timeout=120)
        delete_database(env)


def client_of(env: dict[str, str]) -> AirflowClient:
    password = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated").read_text())
    return AirflowClient(env["AIRFLOW__API__BASE_URL"], "admin", password["admin"])


def backfill_from_the_ui(client: AirflowClient, start: date, max_active_runs: int, conf: dict) -> dict:
    """Start the backfill in Chromium from the DAG's Trigger → Backfill dialog; return it as the API lists it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with logged_in_page(client) as page:
        fill_backfill_dialog(page, client, start, END, max_active_runs, conf)
        page.get_by_text(f"{(END - start).days + 1} runs will be triggered").wait_for(timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "airflow-backfill-dialog.png"), full_page=True)
        submit_backfill(page)
        deadline = time.monotonic() + 60
        while not (created := client.backfills()) and time.monotonic() < deadline:
            time.sleep(1)
    assert created, "the dialog's Run Backfill created no backfill"
    return created[0]


def backfill(env: dict[str, str], max_active_runs: int, start: date = START, days: set[str] = DAYS,
             from_ui: bool = False) -> dict[str, str]:
    client = client_of(env)
    client.wait_for_dag()
    conf = {"events_per_day": EVENTS_PER_DAY, "duplicate_rate": 0.05}
    if from_ui:
        created = backfill_from_the_ui(client, start, max_active_runs, conf)
        assert (created["from_date"][:10], created["to_date"][:10], created["max_active_runs"]) == \
            (start.isoformat(), END.isoformat(), max_active_runs), created
        assert {k: created["dag_run_conf"].get(k) for k in conf} == conf, created["dag_run_conf"]
    else:
        created = client.create_backfill(start, END, conf=conf, max_active_runs=max_active_runs)
    runs = follow_backfill(client, created, days, timeout_s=2400, poll_s=5)
    assert sorted(r["state"] for r in runs) == ["success"] * len(days), runs
    # Two independent stacks: the API stamps received_at at request time and Kafka assigns partitions and
    # offsets by arrival, so those columns differ by nature; every other column must be identical.
    hashes = date_hashes(Path(env["GAME_EVENTS_DATA_DIR"]) / "lake" / "events", ignore=ARRIVAL_COLUMNS)
    return {day: digest for day, digest in hashes.items() if day in days}


def lake_rows_by_type(data_dir: Path, day: str) -> dict[str, int]:
    """Rows of each event_type folder of the day's partition, read with pyarrow (not with the job's code)."""
    folder = data_dir / "lake" / "events" / f"event_date={day}"
    return {path.name.split("=", 1)[1]: sum(pq.ParquetFile(f).metadata.num_rows for f in path.glob("*.parquet"))
            for path in sorted(folder.glob("event_type=*"))}


def database_errors(env: dict[str, str]) -> dict[str, list[str]]:
    """Every line of the stack's logs (Airflow's processes and tasks, PostgreSQL's server) that shows a
    database error, by file."""
    logs = [*Path(env["AIRFLOW_HOME"], "logs").rglob("*.out"), *Path(env["AIRFLOW_HOME"], "logs").rglob("*.log"),
            Path(env["POSTGRES_STATE_DIR"], "data", "server.log")]
    found = {str(path): [line for line in path.read_text(errors="replace").splitlines()
                         if DATABASE_ERRORS.search(line) and not EXPECTED_DATABASE_ERRORS.search(line)]
             for path in logs if path.is_file()}
    return {path: lines for path, lines in found.items() if lines}


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


@pytest.fixture(scope="module")
def a_week_three_at_a_time(tmp_path_factory, broker):
    with stack(tmp_path_factory.mktemp("parallel"), broker) as env:
        assert env.get("AIRFLOW_DB", "postgres") == "postgres", "this case is about PostgreSQL; unset AIRFLOW_DB"
        assert (Path(env["POSTGRES_STATE_DIR"]) / "postgres.pid").is_file() and \
            not (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists(), "the stack did not run on its PostgreSQL"
        hashes = backfill(env, max_active_runs=3, start=WEEK_START, days=WEEK, from_ui=True)
        data_dir = Path(env["GAME_EVENTS_DATA_DIR"])
        rows = {day: lake_rows_by_type(data_dir, day) for day in sorted(WEEK)}
        summaries = {day: json.loads((data_dir / "artifacts" / day / "summary.json").read_text()) for day in WEEK}
        truths = {day: json.loads((data_dir / "truth" / f"{day}.json").read_text()) for day in WEEK}
        errors = database_errors(env)  # before the stack's end deletes its database, log included
    return hashes, rows, summaries, truths, errors


def test_backfill_with_one_or_three_active_runs_gives_identical_outputs(one_at_a_time, a_week_three_at_a_time):
    serial, _ = one_at_a_time
    parallel = {day: digest for day, digest in a_week_three_at_a_time[0].items() if day in DAYS}
    print(f"backfill {START}..{END}: max_active_runs=1 {serial}; max_active_runs=3 {parallel}")
    assert set(serial) == DAYS and parallel == serial


def test_a_week_with_three_active_runs_on_postgres_holds_each_days_truth_and_no_database_error(a_week_three_at_a_time):
    hashes, rows, summaries, truths, errors = a_week_three_at_a_time
    assert set(hashes) == WEEK
    for day in sorted(WEEK):
        expected = {event_type: n for event_type, n in truths[day]["lake_rows_by_type"].items() if n}
        assert truths[day]["events_requested"] == EVENTS_PER_DAY, day  # the dialog's params reached the generator
        assert rows[day] == expected, day
        assert summaries[day]["lake_rows"] == sum(expected.values()), day
    print(f"a week with 3 active runs: lake rows {rows}; database errors in logs: {errors}")
    assert errors == {}

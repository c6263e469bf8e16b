"""The whole pipeline through the real Airflow scheduler: a backfill of two days, a re-run, and the UI.

A separate stack is started for this module: the game API (gunicorn) and Airflow on free ports of 127.0.0.1
(never a running `make up`, `make bench` or another checkout's run of this module) with a throw-away
AIRFLOW_HOME, a fresh data folder and a fresh topic on the suite's broker.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests

from game_events.airflow_api import AirflowClient, follow_backfill
from game_events.settings import PROJECT_ROOT
from tests.airflow_ui import logged_in_page
from tests.api.servers import free_port
from tests.report_page import shown_figures, truth_figures
from tests.stacks import airflow_stack_env, delete_database, history_application, spark_application_of, spark_history

DAY_1, DAY_2 = date(2026, 11, 20), date(2026, 11, 21)
EVENTS_PER_DAY = 300
SCREENSHOTS = PROJECT_ROOT / "data" / "screenshots"
AIRFLOW_PORT, API_PORT = free_port(), free_port()


def _run(script: str, action: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script), action], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} {action} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, broker):
    base = tmp_path_factory.mktemp("stack")
    env = airflow_stack_env(
        base, AIRFLOW_PORT, KAFKA_TOPIC=f"dag-test-{uuid.uuid4().hex[:8]}", KAFKA_BOOTSTRAP_SERVERS=broker,
        GAME_API_PORT=str(API_PORT), GAME_API_URL=f"http://127.0.0.1:{API_PORT}",
        GAME_API_STATE_DIR=str(base / "game_api"),
        # The scheduler also starts yesterday's scheduled run (catch-up is off); keep it small too.
        GAME_EVENTS_EVENTS_PER_DAY=str(EVENTS_PER_DAY))
    subprocess.run([str(PROJECT_ROOT / ".venv/bin/python"), "-m", "game_events.cli", "topic", "ensure"],
                   env=env, check=True, capture_output=True)
    _run("game_api.sh", "up", env)
    try:
        _run("airflow.sh", "up", env)
        os.environ.update({k: env[k] for k in ("AIRFLOW_HOME", "AIRFLOW__API__BASE_URL")})
        yield env, Path(env["GAME_EVENTS_DATA_DIR"])
    finally:
        subprocess.run([str(PROJECT_ROOT / "scripts" / "airflow.sh"), "down"], env=env, timeout=300)
        subprocess.run([str(PROJECT_ROOT / "scripts" / "game_api.sh"), "down"], env=env, timeout=120)
        delete_database(env)


def _backfill(client: AirflowClient, start: date, end: date) -> list[dict]:
    client.wait_for_dag()
    backfill = client.create_backfill(start, end, conf={"events_per_day": EVENTS_PER_DAY, "duplicate_rate": 0.05},
                                      max_active_runs=2)
    days = {(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)}
    return follow_backfill(client, backfill, days, timeout_s=1500, poll_s=5)


def _partition_hash(data_dir: Path, day: date) -> str:
    """Order-independent content hash of a day's lake partition."""
    root = data_dir / "lake" / "events" / f"event_date={day.isoformat()}"
    rows = []
    for path in sorted(root.rglob("*.parquet")):
        rows += [json.dumps(row, sort_keys=True, default=str) for row in pq.read_table(path).to_pylist()]
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def _lake_rows(data_dir: Path, day: date) -> int:
    root = data_dir / "lake" / "events" / f"event_date={day.isoformat()}"
    return sum(pq.read_metadata(p).num_rows for p in root.rglob("*.parquet"))


@pytest.fixture(scope="module")
def backfilled(stack):
    env, data_dir = stack
    client = AirflowClient.from_env()
    runs = _backfill(client, DAY_1, DAY_2)
    return client, data_dir, runs


def test_backfill_gives_one_successful_run_per_day(backfilled):
    client, data_dir, runs = backfilled
    assert sorted(r["data_interval_start"][:10] for r in runs) == [DAY_1.isoformat(), DAY_2.isoformat()]
    failed = {r["dag_run_id"]: [t["task_id"] for t in client.task_instances(r["dag_run_id"])
                                if t["state"] != "success"] for r in runs if r["state"] != "success"}
    assert failed == {}


def test_each_day_lands_in_its_partition_and_matches_the_truth(backfilled):
    _, data_dir, _ = backfilled
    for day in (DAY_1, DAY_2):
        truth = json.loads((data_dir / "truth" / f"{day.isoformat()}.json").read_text())
        assert _lake_rows(data_dir, day) == sum(truth["lake_rows_by_type"].values())
        artifacts = data_dir / "artifacts" / day.isoformat()
        # The published figures against the generator's truth file, not against the report's own verdict.
        summary = json.loads((artifacts / "summary.json").read_text())
        assert (summary["date"], summary["events_by_type"], summary["events_by_client_class"]) == (
            day.isoformat(), truth["events_by_type"], truth["events_by_client_class"])
        assert (summary["revenue_cents"], summary["active_users"], summary["buyers"], summary["lake_rows"]) == (
            truth["revenue_cents"], truth["unique_users"], truth["unique_buyers"],
            sum(truth["lake_rows_by_type"].values()))
        assert summary["data_quality"]["duplicates"] == truth["injected"]["duplicates"]
        assert shown_figures((artifacts / "report.html").read_text()) == truth_figures(truth)
        staged = data_dir / "artifacts" / ".staging" / day.isoformat()
        assert not [p for p in staged.glob("*") if p.is_dir()], "a run left its staging folder behind"


def test_each_spark_task_names_its_application_and_the_history_server_shows_it(backfilled, stack):
    env, _ = stack
    _, _, runs = backfilled
    with spark_history(env) as history:
        for run in runs:
            for task_id, name in (("filtered_writes", "filtered_writes"), ("analyze_and_report", "game_events.analyze.")):
                app_id, url = spark_application_of(Path(env["AIRFLOW_HOME"]), run["dag_run_id"], task_id)
                assert url == f"{history}/history/{app_id}/jobs/", "the task log's link is not this history server's"
                application = history_application(history, app_id)
                assert application["name"].startswith(name), application
                assert application["attempts"][-1]["completed"], application
                assert requests.get(url, timeout=30).status_code == 200


def test_rerunning_a_day_changes_nothing(backfilled):
    client, data_dir, _ = backfilled
    before = {day: _partition_hash(data_dir, day) for day in (DAY_1, DAY_2)}
    summary_path = data_dir / "artifacts" / DAY_1.isoformat() / "summary.json"
    summary_before = json.loads(summary_path.read_text())
    runs = _backfill(client, DAY_1, DAY_1)
    assert [r["state"] for r in runs] == ["success"]
    assert {day: _partition_hash(data_dir, day) for day in (DAY_1, DAY_2)} == before
    # The re-run generated the same events again: the business figures are identical, and the data
    # quality section reports every re-sent message as a duplicate.
    summary_after = json.loads(summary_path.read_text())
    quality_before, quality_after = summary_before.pop("data_quality"), summary_after.pop("data_quality")
    for summary in (summary_before, summary_after):  # one more run adds rows to the data-quality table
        summary["table_rows"].pop("data_quality")
    assert summary_after == summary_before
    truth = json.loads((data_dir / "truth" / f"{DAY_1.isoformat()}.json").read_text())
    resent = sum(truth["lake_rows_by_type"].values()) + truth["injected"]["duplicates"]
    assert quality_after["duplicates"] == quality_before["duplicates"] + resent
    assert quality_after["rows_in_lake"] == quality_before["rows_in_lake"]


def test_the_ui_shows_the_dag_and_its_successful_runs(backfilled):
    client, _, runs = backfilled
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "airflow-dag-runs.png"
    with logged_in_page(client) as page:
        page.goto(f"{client.base_url}/dags/game_events_daily/runs")
        page.get_by_text(runs[0]["dag_run_id"]).first.wait_for(timeout=30_000)
        text = page.inner_text("body")
        page.screenshot(path=str(shot), full_page=True)
    assert "game_events_daily" in text
    assert all(r["dag_run_id"] in text for r in runs)
    assert text.lower().count("success") >= len(runs)
    assert shot.stat().st_size > 10_000

"""The DAG, unchanged, on the clusters: same lake and artifacts as the single-node run of the same day.

An Airflow stack of this module (127.0.0.1:48080, game API on 127.0.0.1:45000, throw-away home, data
folder and topic) gets the cluster's environment: spark_default is the spark:// master with executor
sizing, kafka_default and the API the three bootstrap servers. The scheduler's own run of yesterday
(catch-up is off, so it starts that one run) goes through generate -> Kafka cluster -> filtered_writes
and the analyses on the Spark cluster -> report. The reference is the same day's topic read again by
the same jobs through spark-submit on local[2] into another data folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from game_events.airflow_api import FINISHED, AirflowClient
from game_events.settings import PROJECT_ROOT
from tests.cluster.helpers import lake_hash, spark_submit
from tests.stacks import airflow_stack_env, delete_database, history_application, spark_application_of, spark_history

DAY = (datetime.now(timezone.utc) - timedelta(days=1)).date()  # the scheduled run's data interval
EVENTS_PER_DAY = 1000
# Differs between any two runs of a day by design: run.json (the report's run id and time, spark/report.py)
# and, in the data-quality table and the report that shows it, the ingest run's id and finish time.
RUN_SPECIFIC = {"run.json"}


def _script(script: str, action: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script), action], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} {action} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def stack(cluster, tmp_path_factory):
    base = tmp_path_factory.mktemp("dag-on-cluster")
    started_ms = time.time() * 1000  # Spark's application start times are in ms
    env = airflow_stack_env(base, 48080, **{
        **cluster, "KAFKA_TOPIC": f"dag-cluster-{uuid.uuid4().hex[:8]}",
        "GAME_API_PORT": "45000", "GAME_API_URL": "http://127.0.0.1:45000", "GAME_API_STATE_DIR": str(base / "game_api"),
        "GAME_EVENTS_EVENTS_PER_DAY": str(EVENTS_PER_DAY),
        # One executor core per application (the worker-kill test covers 2-executor jobs).
        "SPARK_TOTAL_EXECUTOR_CORES": "1"})
    _script("game_api.sh", "up", env)
    try:
        _script("airflow.sh", "up", env)
        os.environ.update({k: env[k] for k in ("AIRFLOW_HOME", "AIRFLOW__API__BASE_URL")})
        yield env, base, started_ms
    finally:
        subprocess.run([str(PROJECT_ROOT / "scripts" / "airflow.sh"), "down"], env=env, timeout=300)
        subprocess.run([str(PROJECT_ROOT / "scripts" / "game_api.sh"), "down"], env=env, timeout=120)
        delete_database(env)


def _follow_scheduled_run(client: AirflowClient, timeout_s: float = 1200) -> dict:
    client.wait_for_dag()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = client.runs_for_days({DAY.isoformat()})
        if runs and runs[0]["state"] in FINISHED:
            return runs[0]
        time.sleep(5)
    raise TimeoutError(f"the run of {DAY} did not finish within {timeout_s:.0f}s")


@pytest.fixture(scope="module")
def both_runs(stack):
    env, base, _ = stack
    client = AirflowClient.from_env()
    run = _follow_scheduled_run(client)
    states = {t["task_id"]: t["state"] for t in client.task_instances(run["dag_run_id"])}
    cluster_data, single_data = base / "data", base / "single"
    (single_data / "truth").mkdir(parents=True)
    shutil.copy(cluster_data / "truth" / f"{DAY}.json", single_data / "truth")
    day, data = ["--date", DAY.isoformat()], ["--data-dir", str(single_data)]
    spark_submit(PROJECT_ROOT / "spark" / "filtered_writes.py", [*day, *data, "--topic", env["KAFKA_TOPIC"]],
                 master="local[2]")
    spark_submit(PROJECT_ROOT / "spark" / "analyze.py", [*day, *data, "--run-id", "single-node"], master="local[2]")
    spark_submit(PROJECT_ROOT / "spark" / "report.py", [*day, *data, "--run-id", "single-node"], master="local[2]")
    return run, states, cluster_data, single_data


def test_the_run_succeeds_on_the_clusters(stack, both_runs):
    run, states, _, _ = both_runs
    assert run["state"] == "success", states
    master = requests.get("http://127.0.0.1:17080/json/", timeout=10).json()
    apps = sorted(app["name"] for app in master["completedapps"] if app["starttime"] >= stack[2])
    print("applications the Spark master ran for this module:", apps)
    # The jobs name their own applications: a run starts exactly two, filtered_writes and analyze.<D>
    # (every analysis, then the report, in one application).
    assert apps == sorted(["filtered_writes", f"game_events.analyze.{DAY}"])


def test_the_history_server_shows_the_applications_the_cluster_ran(stack, both_runs):
    env, _, _ = stack
    run, _, _, _ = both_runs
    master = requests.get("http://127.0.0.1:17080/json/", timeout=10).json()
    on_master = {app["id"]: app["name"] for app in master["completedapps"]}
    with spark_history(env) as history:
        for task_id in ("filtered_writes", "analyze_and_report"):
            app_id, _ = spark_application_of(Path(env["AIRFLOW_HOME"]), run["dag_run_id"], task_id)
            # The standalone master's id (app-…), not a local one: the driver's event log is the cluster run's.
            assert app_id in on_master, (app_id, on_master)
            application = history_application(history, app_id)
            assert application["name"] == on_master[app_id] and application["attempts"][-1]["completed"]


def test_the_lake_day_is_the_same_as_on_a_single_node(both_runs):
    _, _, cluster_data, single_data = both_runs
    on_cluster, single = lake_hash(cluster_data, DAY), lake_hash(single_data, DAY)
    print(f"lake {DAY}: cluster {on_cluster}, single node {single}")
    truth = json.loads((cluster_data / "truth" / f"{DAY}.json").read_text())
    assert on_cluster == single and single[0] == sum(truth["lake_rows_by_type"].values())


def _artifact_files(data_dir: Path) -> dict[str, bytes]:
    """The day's artifacts, with the ingest run's id and finish time (from its manifest) replaced by
    placeholders: the only values two faithful runs of a day may differ in, besides run.json."""
    (manifest_path,) = (data_dir / "lake" / "_manifests").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    placeholders = {manifest["run_id"].encode(): b"<ingest run id>",
                    manifest["finished_at"].encode(): b"<ingest finished at>"}
    root, files = data_dir / "artifacts" / DAY.isoformat(), {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in RUN_SPECIFIC:
            content = path.read_bytes()
            if path.suffix in {".csv", ".json", ".html"}:
                for value, placeholder in placeholders.items():
                    content = content.replace(value, placeholder)
            files[path.relative_to(root).as_posix()] = content
    return files


def test_the_artifacts_are_the_same_as_on_a_single_node(both_runs):
    _, _, cluster_data, single_data = both_runs
    on_cluster, single = _artifact_files(cluster_data), _artifact_files(single_data)
    assert sorted(on_cluster) == sorted(single) and "report.html" in single
    differing = sorted(name for name in single if on_cluster[name] != single[name])
    print(f"artifacts of {DAY}: {len(single)} files compared byte for byte (run.json left out, ingest run id "
          f"and finish time masked), differing: {differing}")
    assert differing == []

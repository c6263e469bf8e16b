"""A throw-away Airflow stack for the plugin tests, and a real day of artifacts for it to show.

The stack: scripts/airflow.sh with its own AIRFLOW_HOME, a free port, a fresh data folder and a fresh topic
on the suite's broker (no game API: nothing generates). The artifacts are the real pipeline's output for
one day: tests/spark/lake_builder writes a lake of generated events, `spark-submit spark/analyze.py`
computes the tables and `spark/report.py` publishes report.html, charts and summary.json. Building them
(Spark) runs in a thread while Airflow starts, so the two waits overlap.
"""

from __future__ import annotations

import subprocess
import uuid
from datetime import date
from pathlib import Path

from game_events.airflow_api import DAG_ID, AirflowClient
from game_events.settings import PROJECT_ROOT
from game_events.spark_submit import submit_command
from tests.api.servers import free_port
from tests.spark.lake_builder import build_generated_days
from tests.stacks import airflow_stack_env


def stack_env(base: Path, broker: str) -> dict[str, str]:
    return airflow_stack_env(base, KAFKA_TOPIC=f"plugin-test-{uuid.uuid4().hex[:8]}", KAFKA_BOOTSTRAP_SERVERS=broker,
                             GAME_API_URL=f"http://127.0.0.1:{free_port()}")


def airflow_sh(action: str, env: dict[str, str]) -> None:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / "airflow.sh"), action], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"airflow.sh {action} failed:\n{result.stdout}\n{result.stderr}"


def build_real_artifacts(data_dir: Path, day: date, run_id: str) -> Path:
    """The published folder of `day`, made by the real analyses and report from a generated lake."""
    build_generated_days(data_dir, [day], n_events=400, seed=3, duplicates=0.03, malformed=0.01)
    common = ["--date", day.isoformat(), "--run-id", run_id, "--data-dir", str(data_dir)]
    analyze = submit_command(PROJECT_ROOT / "spark" / "analyze.py", common, master="local[2]")
    report = [str(PROJECT_ROOT / ".venv-spark" / "bin" / "python"), str(PROJECT_ROOT / "spark" / "report.py"), *common]
    for command in (analyze, report):  # report.py needs no Spark: its own interpreter is enough
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
        assert result.returncode == 0, f"{command[-8:]} failed:\n{result.stderr[-3000:]}"
    return data_dir / "artifacts" / day.isoformat()


def quiet_dag_with_run(client: AirflowClient, run_id: str, logical_date: str) -> dict:
    """Pause the DAG, fail what the scheduler started on its own, and create the run the tests use.

    The DAG is unpaused at creation (scripts/airflow-env.sh), so the scheduler starts yesterday's run at
    once; without a game API it could only fail, slowly. A paused DAG's new run stays queued: its tasks
    run only when a test runs them (`airflow tasks test`).
    """
    client.wait_for_dag()
    client._call("PATCH", f"/dags/{DAG_ID}", json={"is_paused": True})
    for run in client.dag_runs():
        if run["state"] not in ("success", "failed"):
            client._call("PATCH", f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}", json={"state": "failed"})
    return client._call("POST", f"/dags/{DAG_ID}/dagRuns",
                        json={"dag_run_id": run_id, "logical_date": logical_date, "conf": {}})

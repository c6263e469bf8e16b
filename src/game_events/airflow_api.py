"""A small client of the running Airflow's REST API (v2): log in, start a backfill, follow its runs.

`make run` uses it through the CLI:
    python -m game_events.cli airflow backfill --start 2026-11-25 --end 2026-11-27 [--events 20000]
It talks HTTP only, so it works against any Airflow 3 that the settings point at.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import requests

DAG_ID = "game_events_daily"
FINISHED = {"success", "failed"}


@dataclass
class AirflowClient:
    base_url: str
    username: str
    password: str
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self._token()}"

    @classmethod
    def from_env(cls) -> AirflowClient:
        """The local stack: base URL from AIRFLOW__API__BASE_URL, admin password from the generated file."""
        home = Path(os.environ.get("AIRFLOW_HOME", ".run/airflow"))
        password_file = home / "simple_auth_manager_passwords.json.generated"
        password = os.environ.get("AIRFLOW_PASSWORD") or json.loads(password_file.read_text())["admin"]
        return cls(os.environ.get("AIRFLOW__API__BASE_URL", "http://127.0.0.1:8080"),
                   os.environ.get("AIRFLOW_USERNAME", "admin"), password)

    def _token(self) -> str:
        response = requests.post(f"{self.base_url}/auth/token", timeout=self.timeout_s,
                                 json={"username": self.username, "password": self.password})
        response.raise_for_status()
        return response.json()["access_token"]

    def _call(self, method: str, path: str, busy_timeout_s: float = 120, **kwargs) -> dict:
        """One REST call; refusals because the database was locked (see _database_busy) are retried, and
        said on stderr: with PostgreSQL there should be none."""
        deadline = time.monotonic() + busy_timeout_s
        while True:
            response = self.session.request(method, f"{self.base_url}/api/v2{path}", timeout=self.timeout_s, **kwargs)
            if response.status_code < 400:
                return response.json() if response.content else {}
            if not _database_busy(response) or time.monotonic() > deadline:
                raise RuntimeError(f"Airflow API {method} {path} answered {response.status_code}: {response.text[:500]}")
            print(f"Airflow API {method} {path}: database busy ({response.status_code}), retrying", file=sys.stderr)
            time.sleep(2)

    def wait_for_dag(self, dag_id: str = DAG_ID, timeout_s: float = 180) -> dict:
        """Block until the DAG processor has parsed the DAG (a fresh stack takes a little while)."""
        deadline = time.monotonic() + timeout_s
        while True:
            response = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}", timeout=self.timeout_s)
            if response.status_code == 200:
                return response.json()
            if time.monotonic() > deadline:
                raise RuntimeError(f"DAG {dag_id} did not appear in Airflow within {timeout_s:.0f}s")
            time.sleep(2)

    def create_backfill(self, start: date, end: date, conf: dict | None = None, max_active_runs: int = 1,
                        dag_id: str = DAG_ID, reprocess: str = "completed", timeout_s: float = 120) -> dict:
        """Ask for a backfill of [start, end] (days of the data interval start); database locks are retried
        for up to `timeout_s` (see _database_busy), any other refusal is final."""
        body = {"dag_id": dag_id, "from_date": f"{start.isoformat()}T00:00:00Z",
                "to_date": f"{end.isoformat()}T00:00:00Z", "dag_run_conf": conf or {},
                "max_active_runs": max_active_runs, "reprocess_behavior": reprocess}
        try:
            return self._call("POST", "/backfills", busy_timeout_s=timeout_s, json=body)
        except RuntimeError as exc:
            raise RuntimeError(f"Airflow refused the backfill: {exc}") from None

    def backfill(self, backfill_id: int) -> dict:
        return self._call("GET", f"/backfills/{backfill_id}")

    def backfills(self, dag_id: str = DAG_ID) -> list[dict]:
        """The DAG's backfills, newest first (those started from the UI too)."""
        listed = self._call("GET", "/backfills", params={"dag_id": dag_id, "limit": 100})["backfills"]
        return sorted(listed, key=lambda backfill: backfill["id"], reverse=True)

    def dag_runs(self, dag_id: str = DAG_ID, limit: int = 100) -> list[dict]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns", params={"limit": limit,
                                                                     "order_by": "-run_after"})["dag_runs"]

    def task_instances(self, run_id: str, dag_id: str = DAG_ID) -> list[dict]:
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def runs_for_days(self, days: set[str], dag_id: str = DAG_ID) -> list[dict]:
        """The newest run of each requested day (YYYY-MM-DD of its data interval start), of any type:
        the scheduler may already have started yesterday's scheduled run when a backfill asks for it."""
        newest: dict[str, dict] = {}
        for run in self.dag_runs(dag_id):  # newest first
            day = (run.get("data_interval_start") or "")[:10]
            if day in days and day not in newest:
                newest[day] = run
        return list(newest.values())


def _database_busy(response: requests.Response) -> bool:
    """A refusal caused by the database being locked at that moment, which is safe to retry.

    With the embedded SQLite database a request that meets the scheduler's write lock fails after
    SQLite's 5 s busy timeout: Airflow answers 503, or 500 "Database error" when the lock hits its
    audit-log insert (seen while the scheduler started a task, and while it created a DAG run). Both
    roll the request back whole."""
    return response.status_code == 503 or (
        response.status_code == 500 and "Database error" in response.text)


def follow_backfill(client: AirflowClient, backfill: dict, days: set[str], timeout_s: float = 3600,
                    poll_s: float = 5, echo=print) -> list[dict]:
    """Print progress until the backfill's run of every day finished and Airflow closed the backfill
    (only then does it accept the next one); return the runs."""
    deadline, last_line = time.monotonic() + timeout_s, ""
    while True:
        runs = client.runs_for_days(days)
        states = sorted((run["data_interval_start"][:10], run["state"]) for run in runs)
        line = "  ".join(f"{day}:{state}" for day, state in states) or "waiting for the scheduler..."
        if line != last_line:
            echo(f"[{time.strftime('%H:%M:%S')}] {line}")
            last_line = line
        if len(runs) == len(days) and all(run["state"] in FINISHED for run in runs):
            if client.backfill(backfill["id"]).get("completed_at"):
                return runs
        if time.monotonic() > deadline:
            raise TimeoutError(f"the backfill did not finish within {timeout_s:.0f}s: {line}")
        time.sleep(poll_s)


def _instant(text: str | None) -> float | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def scheduler_latency(task_instances: list[dict]) -> dict[str, float | int]:
    """How long tasks waited for the scheduler: queued → running (Airflow's queued_when → start_date), in
    seconds, over every task instance that ran; count, median, 95th percentile and maximum."""
    waits = sorted(started - queued for ti in task_instances
                   if (queued := _instant(ti.get("queued_when"))) is not None
                   and (started := _instant(ti.get("start_date"))) is not None)
    if not waits:
        return {"tasks": 0}

    def rank(q: float) -> float:  # nearest rank
        return waits[round(q * (len(waits) - 1))]

    return {"tasks": len(waits), "p50_s": rank(0.5), "p95_s": rank(0.95), "max_s": waits[-1]}

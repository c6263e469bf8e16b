"""The whole DAG: wall time of one day through the real scheduler, orchestration overhead, peak memory.

A throw-away Airflow stack (scripts/airflow.sh with its own AIRFLOW_HOME and port) and a game API on the
benchmark's ports, a fresh topic and data folder. With catch-up off, unpausing the DAG makes the
scheduler start the run of yesterday by itself: that run, with GAME_EVENTS_EVENTS_PER_DAY events and the
DAG's other params at their defaults (generate_via=http: the events go through the game API's batch
endpoint, so the API's memory is measured under load), is the benchmark. Its times come from Airflow's
REST API: wall = queued -> finished; busy = time when at least one task ran; overhead = wall - busy.
Memory is sampled from the broker, API, Airflow and Spark process trees while it runs.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import datetime

from bench.memory import MemorySampler
from bench.services import BenchEnv, GameApi, log, run_script
from game_events.airflow_api import FINISHED, AirflowClient
from game_events.kafka import ensure_topic
from game_events.settings import load_settings

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def orchestration(run: dict, task_instances: list[dict]) -> dict:
    """Wall time (queued -> end), the sum of task durations, busy time (union of task intervals, since
    tasks overlap) and the overhead wall - busy, with its share of the wall time. Pure."""
    wall = _ts(run["end_date"]) - _ts(run["queued_at"] or run["start_date"])
    intervals = sorted((_ts(ti["start_date"]), _ts(ti["end_date"])) for ti in task_instances
                       if ti.get("start_date") and ti.get("end_date"))
    busy, current_start, current_end = 0.0, None, None
    for start, end in intervals:
        if current_end is None or start > current_end:
            busy += (current_end - current_start) if current_end is not None else 0.0
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    busy += (current_end - current_start) if current_end is not None else 0.0
    task_sum = sum(_ts(ti["end_date"]) - _ts(ti["start_date"]) for ti in task_instances
                   if ti.get("start_date") and ti.get("end_date"))
    return {"wall_s": wall, "task_sum_s": task_sum, "busy_s": busy, "overhead_s": wall - busy,
            "overhead_share": (wall - busy) / wall if wall else 0.0}


def _airflow_env(bench: BenchEnv, topic: str, events: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{bench.airflow_port}"
    return bench.base_env(
        AIRFLOW_HOME=str(bench.airflow_home), AIRFLOW__API__PORT=str(bench.airflow_port), AIRFLOW__API__BASE_URL=url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{url}/execution/", KAFKA_TOPIC=topic,
        GAME_API_PORT=str(bench.api_port), GAME_API_URL=f"http://127.0.0.1:{bench.api_port}",
        GAME_EVENTS_DATA_DIR=str(bench.state_dir / "dag-data"), GAME_EVENTS_EVENTS_PER_DAY=str(events))


def _wait_for_scheduled_run(client: AirflowClient, timeout_s: float) -> dict:
    deadline, last = time.monotonic() + timeout_s, ""
    while time.monotonic() < deadline:
        runs = [run for run in client.dag_runs() if run["run_type"] == "scheduled"]
        if runs:
            state = f"{runs[0]['dag_run_id']}: {runs[0]['state']}"
            if state != last:
                log(f"dag {state}")
                last = state
            if runs[0]["state"] in FINISHED:
                return runs[0]
        time.sleep(2)
    raise TimeoutError(f"the scheduled run did not finish within {timeout_s:.0f}s ({last})")


def run(bench: BenchEnv, events: int, timeout_s: float = 3600) -> tuple[list, dict]:
    topic = f"bench-dag-{uuid.uuid4().hex[:8]}"
    env = _airflow_env(bench, topic, events)
    for folder in (bench.airflow_home, bench.state_dir / "dag-data"):
        shutil.rmtree(folder, ignore_errors=True)
    ensure_topic(topic, settings=load_settings())
    roots = {"broker": [bench.kafka_state / "kafka.pid"], "api": [bench.api_state("dag") / "gunicorn.pid"],
             "airflow": [bench.airflow_home / "pids" / f"{c}.pid" for c in COMPONENTS]}
    with MemorySampler(roots) as sampler, GameApi(bench, "dag", bench.api_port, "kafka", topic):
        log(run_script("airflow.sh", "up", env, timeout_s=600).strip().splitlines()[-1])
        try:
            client = AirflowClient(env["AIRFLOW__API__BASE_URL"], "admin", json.loads(
                (bench.airflow_home / "simple_auth_manager_passwords.json.generated").read_text())["admin"])
            client.wait_for_dag()
            dag_run = _wait_for_scheduled_run(client, timeout_s)
            task_instances = client.task_instances(dag_run["dag_run_id"])
        finally:
            log(run_script("airflow.sh", "down", env, timeout_s=300).strip().splitlines()[-1])
    if dag_run["state"] != "success":
        raise RuntimeError(f"the benchmark's DAG run ended {dag_run['state']}: see {bench.airflow_home / 'logs'}")
    timing = orchestration(dag_run, task_instances)
    peaks = sampler.peaks()
    log(f"dag: wall {timing['wall_s']:.0f} s, overhead {timing['overhead_share']:.0%}, "
        f"peak RSS {peaks.get('total', 0) / 1e9:.2f} GB")
    tasks = {ti["task_id"]: {"state": ti["state"], "duration_s": ti.get("duration"), "try_number": ti.get("try_number")}
             for ti in task_instances}
    raw = {"events": events, "run": {k: dag_run.get(k) for k in ("dag_run_id", "queued_at", "start_date", "end_date")},
           "timing": timing, "tasks": tasks, "memory_peaks_bytes": peaks, "memory_samples": len(sampler.samples)}
    return _figures(events, timing, peaks), raw


def _figures(events: int, timing: dict, peaks: dict) -> list[dict]:
    figures = [
        {"id": "dag_wall", "stage": "Whole DAG", "what": f"one day of {events:,} events, queued → finished",
         "unit": "s", "samples": [timing["wall_s"]], "targets": [{"op": "<=", "value": 180, "on": "value"}]},
        {"id": "dag_overhead", "stage": "Whole DAG", "what": "orchestration: wall − busy (no task running), % of wall",
         "unit": "%", "samples": [100 * timing["overhead_share"]], "targets": [{"op": "<=", "value": 10, "on": "value"}]},
        {"id": "memory_total", "stage": "Memory", "what": "peak RSS, whole stack (simultaneous sum)", "unit": "GB",
         "samples": [peaks.get("total", 0) / 1e9], "targets": [{"op": "<=", "value": 6, "on": "value"}]},
    ]
    for group in ("broker", "api", "airflow", "spark"):
        figures.append({"id": f"memory_{group}", "stage": "Memory", "what": f"peak RSS, {group}", "unit": "GB",
                        "samples": [peaks.get(group, 0) / 1e9], "targets": []})
    return figures

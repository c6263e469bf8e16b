"""The whole DAG: wall time of a day through the real scheduler, orchestration overhead, task start-up, memory.

A throw-away Airflow stack (scripts/airflow.sh with its own AIRFLOW_HOME and port) and a game API on the
benchmark's ports, a fresh topic and data folder. With catch-up off, unpausing the DAG makes the
scheduler start the run of yesterday by itself: that is repeat 1; repeats 2.. are one-day backfills of
the days before (each run only reads earlier days, which are not there yet, so every repeat does the
same work). These repeats generate with `generate_via=kafka` (the DAG's default param set through
GAME_EVENTS_GENERATE_VIA): the figure is the pipeline's own cost. One more backfill day generates through
the game API (`generate_via=http`, the DAG's default), so the API's memory is measured under load and
the end-to-end time with HTTP ingest is reported beside it.

Times come from Airflow's REST API: wall = queued -> finished; busy = time when at least one task ran;
overhead = wall - busy. Each task's start-up = queued -> the first line of its own work in its log
(the scheduler's and executor's pick-up, the task process and its DAG parse). Memory is sampled from
the broker, API, Airflow and Spark process trees during each run.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.memory import MemorySampler
from bench.services import BenchEnv, GameApi, log, run_script
from game_events.airflow_api import FINISHED, AirflowClient, follow_backfill
from game_events.kafka import ensure_topic
from game_events.settings import load_settings

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
DAG_ID = "game_events_daily"
# Where Airflow's task runner ends its set-up: the first log line after this group's end is the task's work.
SETUP_GROUP = "::group::Pre Execute"


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


def first_work_line(log_lines: list[str]) -> float | None:
    """The time of the first line a task's own code logged: the first after the task runner's set-up
    group (Pre Execute ... ::endgroup::) in Airflow's JSON task log. None if the task never got there. Pure."""
    in_setup, seen_setup = False, False
    for line in log_lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        event = str(entry.get("event", ""))
        if event == SETUP_GROUP:
            in_setup = seen_setup = True
        elif in_setup and event == "::endgroup::":
            in_setup = False
        elif seen_setup and not in_setup and "timestamp" in entry:
            return _ts(entry["timestamp"])
    return None


def task_startup(task_instance: dict, log_lines: list[str]) -> dict:
    """queued -> running (scheduler and executor) and running -> first line of work (task process, DAG
    parse), in seconds. Pure."""
    queued, started = task_instance.get("queued_when"), task_instance.get("start_date")
    work = first_work_line(log_lines)
    return {"queued_to_running_s": _ts(started) - _ts(queued) if queued and started else None,
            "running_to_work_s": work - _ts(started) if work is not None and started else None}


def _task_log(airflow_home: Path, run_id: str, task_instance: dict) -> list[str]:
    path = (airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_instance['task_id']}"
            / f"attempt={task_instance.get('try_number') or 1}.log")
    return path.read_text().splitlines() if path.exists() else []


def _airflow_env(bench: BenchEnv, topic: str, events: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{bench.airflow_port}"
    return bench.base_env(
        AIRFLOW_HOME=str(bench.airflow_home), AIRFLOW__API__PORT=str(bench.airflow_port), AIRFLOW__API__BASE_URL=url,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{url}/execution/", KAFKA_TOPIC=topic,
        POSTGRES_STATE_DIR=str(bench.postgres_state), POSTGRES_PORT=str(bench.postgres_port),
        GAME_API_PORT=str(bench.api_port), GAME_API_URL=f"http://127.0.0.1:{bench.api_port}",
        GAME_EVENTS_DATA_DIR=str(bench.state_dir / "dag-data"), GAME_EVENTS_EVENTS_PER_DAY=str(events),
        GAME_EVENTS_GENERATE_VIA="kafka")


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
        time.sleep(1)
    raise TimeoutError(f"the scheduled run did not finish within {timeout_s:.0f}s ({last})")


def _backfill_day(client: AirflowClient, day: date, conf: dict, timeout_s: float) -> dict:
    backfill = client.create_backfill(day, day, conf=conf)
    (dag_run,) = follow_backfill(client, backfill, {day.isoformat()}, timeout_s=timeout_s, poll_s=2,
                                 echo=lambda line: log(f"dag {line}"))
    return dag_run


def _measure(bench: BenchEnv, client: AirflowClient, roots: dict, start_run) -> dict:
    """One run started by start_run(), with memory sampled while it runs; its timing, tasks and peaks."""
    with MemorySampler(roots) as sampler:
        dag_run = start_run()
    if dag_run["state"] != "success":
        raise RuntimeError(f"the benchmark's DAG run {dag_run['dag_run_id']} ended {dag_run['state']}: "
                           f"see {bench.airflow_home / 'logs'}")
    task_instances = client.task_instances(dag_run["dag_run_id"])
    timing, peaks = orchestration(dag_run, task_instances), sampler.peaks()
    tasks = {ti["task_id"]: {"state": ti["state"], "duration_s": ti.get("duration"), "try_number": ti.get("try_number"),
                             **task_startup(ti, _task_log(bench.airflow_home, dag_run["dag_run_id"], ti))}
             for ti in task_instances}
    startup = sum((t["queued_to_running_s"] or 0) + (t["running_to_work_s"] or 0) for t in tasks.values())
    log(f"dag {dag_run['dag_run_id']}: wall {timing['wall_s']:.0f} s, overhead {timing['overhead_share']:.0%}, "
        f"task start-up {startup:.1f} s, peak RSS {peaks.get('total', 0) / 1e9:.2f} GB")
    return {"run": {k: dag_run.get(k) for k in ("dag_run_id", "data_interval_start", "queued_at", "start_date",
                                                      "end_date", "conf")},
            "timing": timing, "task_startup_s": startup, "tasks": tasks, "memory_peaks_bytes": peaks,
            "memory_samples": len(sampler.samples)}


def run(bench: BenchEnv, events: int, repeats: int = 3, timeout_s: float = 3600) -> tuple[list, dict]:
    topic = f"bench-dag-{uuid.uuid4().hex[:8]}"
    env = _airflow_env(bench, topic, events)
    run_script("postgres.sh", "destroy", env)  # a fresh Airflow home gets a fresh database too
    for folder in (bench.airflow_home, bench.state_dir / "dag-data"):
        shutil.rmtree(folder, ignore_errors=True)
    ensure_topic(topic, settings=load_settings())
    roots = {"broker": [bench.kafka_state / "kafka.pid"], "api": [bench.api_state("dag") / "gunicorn.pid"],
             "airflow": [bench.airflow_home / "pids" / f"{c}.pid" for c in COMPONENTS],
             "postgres": [bench.postgres_state / "postgres.pid"]}  # absent (0 bytes) with AIRFLOW_DB=sqlite
    runs, http_run = [], None
    with GameApi(bench, "dag", bench.api_port, "kafka", topic):
        log(run_script("airflow.sh", "up", env, timeout_s=600).strip().splitlines()[-1])
        try:
            client = AirflowClient(env["AIRFLOW__API__BASE_URL"], "admin", json.loads(
                (bench.airflow_home / "simple_auth_manager_passwords.json.generated").read_text())["admin"])
            client.wait_for_dag()
            runs.append(_measure(bench, client, roots, lambda: _wait_for_scheduled_run(client, timeout_s)))
            first_day = date.fromisoformat(runs[0]["run"]["data_interval_start"][:10])
            for back in range(1, repeats):
                day = first_day - timedelta(days=back)
                runs.append(_measure(bench, client, roots, lambda: _backfill_day(
                    client, day, {"generate_via": "kafka"}, timeout_s)))
            http_day = first_day - timedelta(days=repeats)
            http_run = _measure(bench, client, roots, lambda: _backfill_day(
                client, http_day, {"generate_via": "http"}, timeout_s))
        finally:
            log(run_script("airflow.sh", "down", env, timeout_s=300).strip().splitlines()[-1])
    return _figures(events, runs, http_run), {"events": events, "runs": runs, "http_run": http_run}


def _peak(result: dict, group: str) -> float:
    return result["memory_peaks_bytes"].get(group, 0) / 1e9


def _figures(events: int, runs: list[dict], http_run: dict) -> list[dict]:
    figures = [
        {"id": "dag_wall", "stage": "Whole DAG",
         "what": f"one day of {events:,} events, queued → finished (generate_via=kafka)", "unit": "s",
         "samples": [r["timing"]["wall_s"] for r in runs], "targets": [{"op": "<=", "value": 90, "on": "value"}]},
        {"id": "dag_wall_http", "stage": "Whole DAG",
         "what": f"one day of {events:,} events, queued → finished (generate_via=http, through the game API)",
         "unit": "s", "samples": [http_run["timing"]["wall_s"]], "targets": []},
        {"id": "dag_overhead", "stage": "Whole DAG",
         "what": "orchestration: wall − busy (no task running), % of wall", "unit": "%",
         "samples": [100 * r["timing"]["overhead_share"] for r in runs],
         "targets": [{"op": "<=", "value": 10, "on": "value"}]},
        {"id": "dag_task_startup", "stage": "Whole DAG",
         "what": "Airflow start-up of all tasks: Σ queued → running → first line of work", "unit": "s",
         "samples": [r["task_startup_s"] for r in runs], "targets": []},
        {"id": "memory_total", "stage": "Memory",
         "what": "peak RSS, whole stack (simultaneous sum), generate_via=kafka", "unit": "GB",
         "samples": [_peak(r, "total") for r in runs], "targets": [{"op": "<=", "value": 3.5, "on": "value"}]},
        {"id": "memory_total_http", "stage": "Memory",
         "what": "peak RSS, whole stack (simultaneous sum), generate_via=http", "unit": "GB",
         "samples": [_peak(http_run, "total")], "targets": [{"op": "<=", "value": 3.5, "on": "value"}]},
    ]
    for group in ("broker", "api", "airflow", "postgres", "spark"):
        figures.append({"id": f"memory_{group}", "stage": "Memory", "what": f"peak RSS, {group} (all runs)",
                        "unit": "GB", "samples": [_peak(r, group) for r in [*runs, http_run]], "targets": []})
    return figures

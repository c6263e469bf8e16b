"""filtered_writes: the Spark job on a day of N events, start-up apart, against Spark's floor and DuckDB.

The day (generate_day, no faults) goes to a fresh topic once. Each repeat runs, back to back:
- the real job through spark-submit (game_events.spark_submit.submit_command: the project's jars and
  conf) into a fresh data folder, so it reads the whole topic; the job prints its own time without Spark
  start-up, and start-up is the wall time minus that;
- the bare-Spark floor (bench/spark_apps/floor.py): the same Kafka source with the same options ->
  `from_json` with the contract's plain schema -> Parquet partitioned by date and type, nothing of ours;
- DuckDB converting the same events from NDJSON into Parquet partitioned by event_date/event_type.
A small day (SMALL_DAY_EVENTS) shows the fixed cost: the job's time on 1,000 events, and Spark start-up.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid
from datetime import date
from pathlib import Path

import duckdb
import orjson

from bench.services import BenchEnv, log
from game_events.generator import generate_day, send_via_kafka
from game_events.kafka import ensure_topic
from game_events.settings import PROJECT_ROOT, load_settings
from game_events.spark_submit import submit_command

DAY = date(2026, 11, 27)
SMALL_DAY_EVENTS = 1_000
FLOOR_APP = PROJECT_ROOT / "bench" / "spark_apps" / "floor.py"
_FLOOR_TIME = re.compile(r"^floor: .*: (\d+) rows in ([\d.]+) s$", re.M)
_JOB_TIME = re.compile(r"read (\d+) messages, wrote (\d+) new rows in ([\d.]+) s")
_STEP_TIME = re.compile(r"^filtered_writes: ([a-z ,-]+): ([\d.]+) s$", re.M)


def parse_job_output(output: str) -> dict:
    """The job's own figures: messages read, rows written, seconds without start-up, seconds per step."""
    match = _JOB_TIME.search(output)
    if not match:
        raise ValueError(f"no summary line in filtered_writes' output:\n{output[-2000:]}")
    steps = {name: float(seconds) for name, seconds in _STEP_TIME.findall(output)}
    return {"read": int(match.group(1)), "written": int(match.group(2)), "job_s": float(match.group(3)),
            "steps_s": steps}


def run_spark(bench: BenchEnv, topic: str, data_dir: Path, log_path: Path) -> dict:
    command = submit_command(PROJECT_ROOT / "spark" / "filtered_writes.py",
                             ["--date", DAY.isoformat(), "--topic", topic, "--data-dir", str(data_dir),
                              "--bootstrap-servers", bench.bootstrap, "--run-id", f"bench_{uuid.uuid4().hex[:8]}"])
    started = time.monotonic()
    # Spark's PythonRunner merges the driver's stderr into its stdout: read both, as one stream.
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
                            timeout=3600, env=bench.base_env(GAME_EVENTS_DATA_DIR=str(data_dir)))
    wall_s = time.monotonic() - started
    log_path.write_text(result.stdout)
    if result.returncode != 0:
        raise RuntimeError(f"filtered_writes failed ({result.returncode}); see {log_path}")
    figures = parse_job_output(result.stdout)
    return {**figures, "wall_s": wall_s, "startup_s": wall_s - figures["job_s"]}


def run_floor(bench: BenchEnv, topic: str, out_dir: Path, log_path: Path) -> dict:
    """The bare-Spark floor on the same topic: its own time without start-up, and its wall time."""
    command = submit_command(FLOOR_APP, ["--topic", topic, "--bootstrap-servers", bench.bootstrap, "--out", str(out_dir)])
    started = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
                            timeout=3600, env=bench.base_env())
    wall_s = time.monotonic() - started
    log_path.write_text(result.stdout)
    match = _FLOOR_TIME.search(result.stdout)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"the Spark floor failed ({result.returncode}); see {log_path}")
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"rows": int(match.group(1)), "job_s": float(match.group(2)), "wall_s": wall_s}


def _fresh_day_topic(settings, events: int, seed: int) -> tuple[str, object]:
    topic = f"bench-fw-{uuid.uuid4().hex[:8]}"
    ensure_topic(topic, settings=settings)
    day = generate_day(DAY, events, seed=seed)
    delivery = send_via_kafka(day, settings, topic, malformed=False)
    if not delivery.ok:
        raise RuntimeError(delivery.summary())
    return topic, day


def duckdb_convert(ndjson: Path, out_dir: Path) -> float:
    """Seconds for DuckDB to turn the NDJSON day into date/type-partitioned Parquet."""
    shutil.rmtree(out_dir, ignore_errors=True)
    started = time.monotonic()
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        f"COPY (SELECT *, CAST(CAST(event_ts AS TIMESTAMPTZ) AS DATE) AS event_date "
        f"FROM read_json('{ndjson}', format = 'newline_delimited')) "
        f"TO '{out_dir}' (FORMAT parquet, PARTITION_BY (event_date, event_type))")
    connection.close()
    return time.monotonic() - started


def run(bench: BenchEnv, events: int, repeats: int) -> tuple[list, dict]:
    work = bench.state_dir / "filtered_writes"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    settings = load_settings()
    topic, day = _fresh_day_topic(settings, events, seed=2)
    ndjson = work / "day.ndjson"
    ndjson.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in day.events))
    del day
    small_topic, _ = _fresh_day_topic(settings, SMALL_DAY_EVENTS, seed=3)
    spark_runs, floor_runs, small_runs, duckdb_s = [], [], [], []
    for repeat in range(repeats):
        duckdb_s.append(duckdb_convert(ndjson, work / "duckdb"))
        spark_runs.append(run_spark(bench, topic, work / f"lake-{repeat}", work / f"spark-{repeat}.log"))
        shutil.rmtree(work / f"lake-{repeat}", ignore_errors=True)
        floor_runs.append(run_floor(bench, topic, work / "floor", work / f"floor-{repeat}.log"))
        small_runs.append(run_spark(bench, small_topic, work / f"small-{repeat}", work / f"small-{repeat}.log"))
        shutil.rmtree(work / f"small-{repeat}", ignore_errors=True)
        latest, floor, small = spark_runs[-1], floor_runs[-1], small_runs[-1]
        if latest["read"] != events or floor["rows"] != events or small["read"] != SMALL_DAY_EVENTS:
            raise RuntimeError(f"read {latest['read']} (job), {floor['rows']} (floor), {small['read']} (small day) "
                               f"of {events} / {SMALL_DAY_EVENTS} messages")
        log(f"filtered_writes #{repeat + 1}: {latest['job_s']:.1f} s ({events / latest['job_s']:,.0f} ev/s, "
            f"start-up {latest['startup_s']:.1f} s), Spark floor {floor['job_s']:.1f} s, "
            f"DuckDB {duckdb_s[-1]:.1f} s; {SMALL_DAY_EVENTS:,}-event day {small['job_s']:.1f} s "
            f"(start-up {small['startup_s']:.1f} s)")
    raw = {"events": events, "topic": topic, "spark_runs": spark_runs, "floor_runs": floor_runs,
           "small_day": {"events": SMALL_DAY_EVENTS, "topic": small_topic, "spark_runs": small_runs},
           "duckdb_seconds": duckdb_s}
    job_s = [r["job_s"] for r in spark_runs]
    figures = [
        {"id": "filtered_writes_vs_floor", "stage": "filtered_writes",
         "what": f"{events:,} events, job time without start-up", "unit": "s", "samples": job_s,
         "baseline": {"what": "bare Spark: same Kafka source -> from_json -> Parquet, no checks",
                      "samples": [r["job_s"] for r in floor_runs]},
         "targets": [{"op": "<=", "value": 1.25, "on": "ratio"}]},
        {"id": "filtered_writes_rate", "stage": "filtered_writes", "what": f"{events:,} events, events/s without start-up",
         "unit": "ev/s", "samples": [events / s for s in job_s],
         "baseline": {"what": "DuckDB NDJSON→Parquet", "samples": [events / s for s in duckdb_s]},
         "targets": [{"op": ">=", "value": 0.1, "on": "ratio"}]},
        {"id": "filtered_writes_small_day", "stage": "filtered_writes",
         "what": f"{SMALL_DAY_EVENTS:,}-event day, job time without start-up", "unit": "s",
         "samples": [r["job_s"] for r in small_runs], "targets": [{"op": "<=", "value": 3, "on": "value"}]},
        {"id": "spark_startup", "stage": "filtered_writes", "what": "Spark start-up and stop (wall − job time)",
         "unit": "s", "samples": [r["startup_s"] for r in spark_runs + small_runs],
         "targets": [{"op": "<=", "value": 4, "on": "value"}]},
        {"id": "filtered_writes_wall", "stage": "filtered_writes", "what": "spark-submit wall time", "unit": "s",
         "samples": [r["wall_s"] for r in spark_runs],
         "baseline": {"what": "DuckDB", "samples": duckdb_s}, "targets": []},
    ]
    return figures, raw

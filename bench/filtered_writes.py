"""filtered_writes: events/s of the Spark job on a day of N events, start-up apart, against DuckDB.

The day (generate_day, no faults) goes to a fresh topic once. Each repeat runs the real job through
spark-submit (game_events.spark_submit.submit_command: the project's jars and conf) into a fresh data
folder, so it reads the whole topic; the job prints its own time without Spark start-up, and start-up
is the wall time minus that. The baseline is DuckDB converting the same events from NDJSON into
Parquet partitioned by event_date/event_type, in this process, in the same repeat.
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
    topic = f"bench-fw-{uuid.uuid4().hex[:8]}"
    ensure_topic(topic, settings=settings)
    day = generate_day(DAY, events, seed=2)
    ndjson = work / "day.ndjson"
    ndjson.write_bytes(b"".join(orjson.dumps(event) + b"\n" for event in day.events))
    delivery = send_via_kafka(day, settings, topic, malformed=False)
    if not delivery.ok:
        raise RuntimeError(delivery.summary())
    del day
    spark_runs, duckdb_s = [], []
    for repeat in range(repeats):
        duckdb_s.append(duckdb_convert(ndjson, work / "duckdb"))
        spark_runs.append(run_spark(bench, topic, work / f"lake-{repeat}", work / f"spark-{repeat}.log"))
        shutil.rmtree(work / f"lake-{repeat}", ignore_errors=True)
        latest = spark_runs[-1]
        if latest["read"] != events:
            raise RuntimeError(f"filtered_writes read {latest['read']} of {events} messages")
        log(f"filtered_writes #{repeat + 1}: {events / latest['job_s']:,.0f} ev/s after start-up "
            f"({latest['job_s']:.1f} s, start-up {latest['startup_s']:.1f} s), DuckDB {events / duckdb_s[-1]:,.0f} ev/s")
    raw = {"events": events, "topic": topic, "spark_runs": spark_runs, "duckdb_seconds": duckdb_s}
    figures = [
        {"id": "filtered_writes_rate", "stage": "filtered_writes", "what": f"{events:,} events, events/s without start-up",
         "unit": "ev/s", "samples": [events / r["job_s"] for r in spark_runs],
         "baseline": {"what": "DuckDB NDJSON→Parquet", "samples": [events / s for s in duckdb_s]},
         "targets": [{"op": ">=", "value": 200_000, "on": "value"}, {"op": ">=", "value": 0.5, "on": "ratio"}]},
        {"id": "spark_startup", "stage": "filtered_writes", "what": "Spark start-up and stop (wall − job time)",
         "unit": "s", "samples": [r["startup_s"] for r in spark_runs],
         "targets": [{"op": "<=", "value": 5, "on": "value"}]},
        {"id": "filtered_writes_wall", "stage": "filtered_writes", "what": "spark-submit wall time", "unit": "s",
         "samples": [r["wall_s"] for r in spark_runs],
         "baseline": {"what": "DuckDB", "samples": duckdb_s}, "targets": []},
    ]
    return figures, raw

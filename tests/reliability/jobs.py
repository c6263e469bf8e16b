"""Real processes of the reliability suite: filtered_writes under spark-submit, its driver JVM, and lake reads.

The Spark job is started with the project's own command line (game_events.spark_submit.submit_command) as a
child of the test, so a fault is a real signal to a real pid: the driver JVM is found among the children
of the spark-submit process this test started, never by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pyarrow.dataset as ds

from game_events.settings import PROJECT_ROOT, Settings
from game_events.spark_submit import submit_command

JOB = PROJECT_ROOT / "spark" / "filtered_writes.py"


def job_command(settings: Settings, day: str, run_id: str) -> list[str]:
    args = ["--date", day, "--bootstrap-servers", settings.kafka_bootstrap_servers, "--topic", settings.kafka_topic,
            "--data-dir", str(settings.data_dir), "--run-id", run_id]
    return submit_command(JOB, args, settings, master="local[2]")


def start_job(settings: Settings, day: str, run_id: str) -> subprocess.Popen:
    return subprocess.Popen(job_command(settings, day, run_id), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def run_job(settings: Settings, day: str, run_id: str) -> subprocess.CompletedProcess:
    return subprocess.run(job_command(settings, day, run_id), capture_output=True, text=True, timeout=900)


def driver_jvm(job: subprocess.Popen, timeout_s: float = 60.0) -> psutil.Process:
    """The Spark driver: the JVM running SparkSubmit among the descendants of our spark-submit process."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for process in [psutil.Process(job.pid), *psutil.Process(job.pid).children(recursive=True)]:
            try:
                command = process.cmdline()
                # spark-class first runs a short-lived launcher JVM (launcher.Main) that only prints the command.
                if (process.name() == "java" and "org.apache.spark.deploy.SparkSubmit" in command
                        and "org.apache.spark.launcher.Main" not in command):
                    return process
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    raise AssertionError(f"no SparkSubmit JVM under pid {job.pid} after {timeout_s:.0f} s")


def kill_when(job: subprocess.Popen, ready, timeout_s: float = 600.0) -> psutil.Process:
    """SIGKILL the job's driver JVM as soon as ready() is true; return the killed process."""
    driver = driver_jvm(job)
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert job.poll() is None, f"the job ended (rc {job.returncode}) before the fault could be injected"
        assert time.monotonic() < deadline, "the job never reached the point of the fault"
        time.sleep(0.05)
    os.kill(driver.pid, signal.SIGKILL)
    job.wait(timeout=120)
    return driver


def lake_rows(root: Path) -> list[dict]:
    if not root.exists() or not any(root.rglob("*.parquet")):
        return []
    return ds.dataset(root, format="parquet", partitioning="hive").to_table().to_pylist()


def content_hash(root: Path, ignore: tuple[str, ...] = ()) -> str:
    """Order-independent hash of every row under root (file names and row order do not matter), without
    the `ignore` columns."""
    rows = sorted(json.dumps({k: v for k, v in row.items() if k not in ignore}, sort_keys=True, default=str)
                  for row in lake_rows(root))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def date_hashes(events_dir: Path, ignore: tuple[str, ...] = ()) -> dict[str, str]:
    """Per event_date folder: its content hash."""
    if not events_dir.exists():
        return {}
    return {p.name.split("=", 1)[1]: content_hash(p, ignore) for p in sorted(events_dir.glob("event_date=*"))}

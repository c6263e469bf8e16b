"""What the cluster tests share: running a Spark job, hashing a lake day, finding a cluster process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from game_events.settings import PROJECT_ROOT
from game_events.spark_submit import submit_command

STATE_DIR = Path(os.environ.get("CLUSTER_STATE_DIR", PROJECT_ROOT / ".run" / "cluster"))


def spark_submit(application: str | Path, args: list[str], master: str | None = None,
                 timeout_s: float = 600) -> subprocess.CompletedProcess:
    """Run one of the project's Spark jobs with the project's arguments; fail with its log if it fails."""
    result = subprocess.run(submit_command(application, args, master=master), capture_output=True, text=True,
                            timeout=timeout_s, cwd=PROJECT_ROOT)
    assert result.returncode == 0, f"{application} failed ({result.returncode}):\n{result.stderr[-4000:]}"
    return result


def lake_hash(data_dir: Path, day: date) -> tuple[int, str]:
    """(rows, order-independent content hash) of a day's partition of the events lake."""
    root = data_dir / "lake" / "events" / f"event_date={day.isoformat()}"
    rows = []
    for path in sorted(root.rglob("*.parquet")):
        event_type = path.parent.name.split("=", 1)[1]  # the partition column lives in the folder name
        rows += [json.dumps({**row, "event_type": event_type}, sort_keys=True, default=str)
                 for row in pq.read_table(path).to_pylist()]
    return len(rows), hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest()


def cluster_pid(name: str) -> int:
    """The pid of a cluster process: kafka-1..3, or spark master / worker-1 / worker-2."""
    pidfile = STATE_DIR / name / "kafka.pid" if name.startswith("kafka") else STATE_DIR / "spark" / f"{name}.pid"
    pid = int(pidfile.read_text())
    os.kill(pid, 0)  # alive, or ProcessLookupError
    return pid

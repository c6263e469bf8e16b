"""Facts about the machine and the software a benchmark ran with, stored beside its samples."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata

import psutil

from game_events.settings import PROJECT_ROOT


def _command_output(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (result.stdout or result.stderr).strip().splitlines()[0] if (result.stdout or result.stderr) else ""


def machine_facts() -> dict:
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
            "load_average": [round(x, 2) for x in os.getloadavg()], "platform": platform.platform(),
            "python": platform.python_version(), "cpu_model": platform.processor() or _cpu_model()}


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def versions() -> dict:
    import confluent_kafka

    found = {name: metadata.version(name) for name in
             ("apache-airflow", "flask", "gunicorn", "confluent-kafka", "duckdb", "orjson")}
    found["librdkafka"] = confluent_kafka.libversion()[0]
    found["pyspark"] = _command_output([str(PROJECT_ROOT / ".venv-spark" / "bin" / "python"), "-c",
                                        "import pyspark; print(pyspark.__version__)"])
    found["kafka_broker_jars"] = sorted(p.name for p in (PROJECT_ROOT / ".deps" / "kafka" / "libs").glob("kafka_2.13-*.jar"))
    found["java"] = _command_output(["java", "-version"])
    found["wrk"] = _command_output(["wrk", "--version"])
    found["git_commit"] = _command_output(["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"])
    found["git_dirty"] = bool(_command_output(["git", "-C", str(PROJECT_ROOT), "status", "--porcelain"]))
    return found

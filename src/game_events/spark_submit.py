"""The spark-submit arguments every Spark job of the project runs with, in one place.

Used by the tests, by hand-run commands (`python -m game_events.cli spark-submit spark/xyz.py -- ...`)
and by the DAG's SparkSubmitOperator (`operator_kwargs`). The same arguments work with `local[*]` and
with a `spark://` standalone master: spark-submit ships the connector jars to the executors.
"""

from __future__ import annotations

import os
from pathlib import Path

from game_events.settings import PROJECT_ROOT, Settings, load_settings

SPARK_SUBMIT = PROJECT_ROOT / "scripts" / "bin" / "spark-submit"


def connector_jars(settings: Settings | None = None) -> list[Path]:
    """The spark-sql-kafka-0-10 connector and its runtime dependencies, fetched by `make setup`."""
    settings = settings or load_settings()
    jars = sorted(settings.spark_jars_dir.glob("*.jar"))
    if not any(j.name.startswith("spark-sql-kafka-0-10") for j in jars):
        raise FileNotFoundError(
            f"no Spark Kafka connector in {settings.spark_jars_dir}; run `make setup` first")
    return jars


def spark_conf(settings: Settings | None = None) -> dict[str, str]:
    """Spark settings for small, fast batch jobs on a 2-core machine (UI off, UTC, few shuffle partitions)."""
    return {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY", "2g"),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
    }


def submit_command(application: str | Path, app_args: list[str] | None = None,
                   settings: Settings | None = None, master: str | None = None) -> list[str]:
    """The full spark-submit command line for one of the project's Spark applications."""
    settings = settings or load_settings()
    command = [str(SPARK_SUBMIT), "--master", master or settings.spark_master,
               "--jars", ",".join(str(j) for j in connector_jars(settings))]
    for key, value in spark_conf(settings).items():
        command += ["--conf", f"{key}={value}"]
    return command + [str(application), *(app_args or [])]


def operator_kwargs(settings: Settings | None = None) -> dict[str, object]:
    """Keyword arguments for Airflow's SparkSubmitOperator (the master comes from spark_default)."""
    settings = settings or load_settings()
    return {"jars": ",".join(str(j) for j in connector_jars(settings)), "conf": spark_conf(settings)}

"""A tiny Spark job for tests/cluster: where do executors import the project's code from?

Each task imports game_events on its executor and reports the module's file, the interpreter and the
executor's working folder; the driver prints one JSON document with those and its own view.

    scripts/bin/spark-submit <submit_command args> tests/cluster/apps/where_is_game_events.py
"""

from __future__ import annotations

import json
import os
import sys

from pyspark.sql import SparkSession

# Imported before the SparkContext exists, as the project's jobs do: from spark-submit's PYTHONPATH.
import game_events.settings as settings


def _where(_partition):
    try:
        import game_events

        origin = game_events.__file__
    except ImportError as exc:  # the negative control: no archive shipped
        origin = f"ImportError: {exc}"
    yield {"game_events": origin, "python": sys.executable, "cwd": os.getcwd(), "pid": os.getpid()}


def main() -> int:
    spark = SparkSession.builder.appName("where_is_game_events").getOrCreate()
    try:
        seen = spark.sparkContext.parallelize(range(8), 8).mapPartitions(_where).collect()
    finally:
        spark.stop()
    print(json.dumps({"executors": seen, "driver": {"game_events": settings.__file__,
                                                     "project_root": str(settings.PROJECT_ROOT)}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for tests that run pyspark in-process (collected under .venv-spark by `make test`)."""

from __future__ import annotations

import os
import sys

import pytest

from game_events.spark_submit import connector_jars, spark_conf


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole run, configured like spark-submit configures the jobs."""
    from pyspark.sql import SparkSession

    # Python workers (mapInArrow in the validation) run this interpreter, where the project is installed,
    # as scripts/bin/spark-submit arranges for the jobs.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master("local[2]").appName("game-events-tests")
    builder = builder.config("spark.jars", ",".join(str(j) for j in connector_jars()))
    for key, value in spark_conf().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    yield session
    session.stop()

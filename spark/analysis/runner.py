"""Run analyses: each SQL file over the registered views, its result staged as CSV + JSON.

Results are small (a row per item, provider, guild, metric-day...), so they are collected to the
driver and written there by `tables.write_table`; the heavy lifting stays in Spark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pyspark.sql import SparkSession

from game_events.settings import Settings
from spark.analysis import ANALYSES
from spark.analysis.staging import TABLES, staging_dir
from spark.analysis.tables import Table, make_table, write_table
from spark.analysis.views import register_views

SQL_DIR = Path(__file__).resolve().parent / "sql"


def parse_names(only: str | None) -> list[str]:
    """`--only a,b` as a list in ANALYSES order; all of them when None. ValueError for unknown names."""
    if not only:
        return list(ANALYSES)
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = sorted(wanted - set(ANALYSES))
    if unknown or not wanted:
        raise ValueError(f"unknown analyses {unknown or only!r}; choose from {', '.join(ANALYSES)}")
    return [name for name in ANALYSES if name in wanted]


def sql_text(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_analysis(spark: SparkSession, name: str, day: date) -> Table:
    """One analysis over the registered views, as a Table (rows in the SQL's order)."""
    result = spark.sql(sql_text(name), args={"report_date": day})
    columns = [(field.name, field.dataType.simpleString()) for field in result.schema.fields]
    rows = [row.asDict() for row in result.collect()]
    return make_table(name, day, columns, rows)


def run_analyses(spark: SparkSession, settings: Settings, day: date, names: list[str], run_id: str,
                 on_table: Callable[[Table, float], None] | None = None) -> dict[str, Table]:
    """Register the views, run `names` and stage their tables for (day, run_id); on_table(table, seconds)
    is called as each one is staged (the job logs it, so a running task shows its progress)."""
    register_views(spark, settings, day, names)
    folder = staging_dir(settings.artifacts_dir, day, run_id) / TABLES
    tables = {}
    for name in names:
        started = time.monotonic()
        tables[name] = run_analysis(spark, name, day)
        write_table(tables[name], folder)
        if on_table:
            on_table(tables[name], time.monotonic() - started)
    return tables

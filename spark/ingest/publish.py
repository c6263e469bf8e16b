"""Staging and publishing lake partitions: readers see a date's old folder or its new one, never a mix.

A run writes every date it touches, complete (existing rows merged with new ones), under
`lake/_staging/RUN_ID/{events,quarantine}/event_date=D/`, outside the folders readers scan. Only after
the whole output is written and the counts reconcile does `publish_dates` swap each date folder in with
game_events.lake.swap_directory (renameat2 RENAME_EXCHANGE: one atomic step per date). A run killed at
any point leaves at worst some dates already swapped (complete, correct content) and its staging
folder, which the next run deletes; the manifest, written last, is what commits the offsets.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from game_events import lake
from game_events.settings import Settings


def prepare_staging(settings: Settings, run_id: str) -> Path:
    """An empty staging folder for this run, after removing what killed runs left behind.

    Call under lake.ledger_lock: no other run can be using the staging area then.
    """
    root = lake.staging_root(settings)
    if root.exists():
        shutil.rmtree(root)
    staging = root / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)  # Airflow run ids hold ':' and '+'
    staging.mkdir(parents=True)
    return staging


def existing_date_dirs(root: Path, dates: list[str]) -> list[Path]:
    return [root / f"event_date={day}" for day in sorted(dates) if (root / f"event_date={day}").is_dir()]


def read_partitions(spark: SparkSession, root: Path, dates: list[str], schema_ddl: str) -> DataFrame:
    """The rows of the given date folders under `root` (lake or staging), with the explicit schema."""
    folders = existing_date_dirs(root, dates)
    if not folders:
        return spark.createDataFrame([], schema_ddl)
    return (spark.read.schema(schema_ddl)
            .option("basePath", str(root))
            .parquet(*(str(folder) for folder in folders)))


def write_partitions(rows: DataFrame, target: Path, partition_columns: list[str]) -> None:
    """Write rows as Parquet partitioned by the given columns into a fresh staging folder."""
    rows.write.mode("errorifexists").partitionBy(*partition_columns).parquet(str(target))


def publish_dates(staged_root: Path, live_root: Path, dates: list[str], failpoint=None) -> None:
    """Swap each staged event_date=D folder into the live tree, one atomic exchange per date."""
    for day in sorted(dates):
        staged = staged_root / f"event_date={day}"
        if not staged.is_dir():
            raise FileNotFoundError(f"staged output for {day} is missing: {staged}")
        lake.swap_directory(staged, live_root / f"event_date={day}")
        if failpoint is not None:
            failpoint(f"after_swap:{day}")

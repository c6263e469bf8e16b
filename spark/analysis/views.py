"""The temp views the analysis SQL reads: `events` (the lake), `player_events` (the lake without
automation: what every business question counts) and `manifest_counts` (run manifests).

`events` holds only the days the requested analyses need (the report day, or the 56 days ending at
it for `trends` and `dimension_trends`): the reader lists the lake's `event_date=` folders for those days itself and reads
only them, so a report costs the same in year three as on day one. A day without a partition (or a
lake that does not exist yet) gives an empty view with the same columns, never an error, so that a
day without events still yields valid, empty tables.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from game_events import lake
from game_events.settings import Settings
from spark.analysis.manifests import MANIFEST_COUNTS_COLUMNS, manifest_figures

# The lake columns the SQL uses, typed as the lake defines them (partition columns included).
_USED = {"event_id", "event_type", "event_date", "event_ts", "received_at", "user_id", "host_provider",
         "ua_family", "ua_os", "ua_device", "client_class", "is_bot", "item_type", "price_cents", "quantity", "currency",
         "guild_id", "guild_name"}
EVENT_COLUMNS: tuple[tuple[str, str], ...] = tuple((name, kind) for name, kind in lake.LAKE_COLUMNS if name in _USED)
# Business figures count players only: crawlers, scripts and HTTP libraries (client_class 'automation')
# are reported on their own (clients, automation). Events without a User-Agent (NULL) stay in.
PLAYER_EVENTS_SQL = "SELECT * FROM events WHERE client_class IS DISTINCT FROM 'automation'"
# trends and dimension_trends show 28 days, each with its baseline over the 28 days before it.
TRENDS_LOOKBACK_DAYS = 55
LOOKS_BACK = ("trends", "dimension_trends")


def days_needed(day: date, names: list[str]) -> tuple[date, date]:
    """The first and last day of lake data the analyses `names` read for report day `day`."""
    first = day - timedelta(days=TRENDS_LOOKBACK_DAYS) if set(LOOKS_BACK) & set(names) else day
    return first, day


def partition_dirs(events_dir: Path, first: date, last: date) -> list[Path]:
    """The lake's `event_date=D` folders from first to last that hold Parquet files, oldest first."""
    found = []
    day = first
    while day <= last:
        folder = events_dir / f"event_date={day.isoformat()}"
        if folder.is_dir() and any(folder.rglob("*.parquet")):
            found.append(folder)
        day += timedelta(days=1)
    return found


def _empty_events(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([], lake.ddl(EVENT_COLUMNS))


def read_events(spark: SparkSession, events_dir: Path, first: date, last: date) -> DataFrame:
    """The lake's events from first to last, with exactly EVENT_COLUMNS (cast to their types)."""
    folders = partition_dirs(events_dir, first, last)
    if not folders:
        return _empty_events(spark)
    # basePath keeps event_date and event_type as columns although we name the day folders directly.
    lake_files = spark.read.option("basePath", str(events_dir)).parquet(*(str(folder) for folder in folders))
    return lake_files.select(*(F.col(name).cast(kind).alias(name) for name, kind in EVENT_COLUMNS))


def register_views(spark: SparkSession, settings: Settings, day: date, names: list[str]) -> None:
    """Register `events`, `player_events` and `manifest_counts` for the analyses `names` of report day `day`."""
    first, last = days_needed(day, names)
    read_events(spark, settings.events_dir, first, last).createOrReplaceTempView("events")
    spark.sql(PLAYER_EVENTS_SQL).createOrReplaceTempView("player_events")
    # Only the runs that wrote into the day: their run totals are shown beside the day's figures.
    figures = manifest_figures(lake.read_manifests(day, settings)) if "data_quality" in names else []
    rows = [tuple(figure[name] for name, _ in MANIFEST_COUNTS_COLUMNS) for figure in figures]
    spark.createDataFrame(rows, lake.ddl(MANIFEST_COUNTS_COLUMNS)).createOrReplaceTempView("manifest_counts")

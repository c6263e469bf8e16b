"""filtered_writes: the new Kafka messages -> valid, de-duplicated events in the Parquet lake, per event date.

    scripts/bin/spark-submit <game_events.spark_submit.submit_command args> spark/filtered_writes.py \\
        --date 2026-11-27 [--bootstrap-servers H:P] [--topic events] [--data-dir PATH] [--run-id ID]
    # by hand, same thing:
    .venv/bin/python -m game_events.cli spark-submit spark/filtered_writes.py --date 2026-11-27

Prints the manifest path and exits 0; exits 2 with a one-line error on retention loss, a ledger ahead of
the topic, or counts that do not reconcile (nothing is published then).

How a run works, and why:
- Bounded, incremental read. The ledger (game_events.lake: the committed manifests' offset ranges) says
  where each partition was left; the high watermarks snapshotted at start say where to stop. Only that
  range is read, so cost grows with new messages, not the topic. Offsets, not timestamps: backfilled
  events carry old timestamps after new ones. If Kafka's low watermark is past the ledger, messages
  were lost to retention and the run fails before writing anything.
- Every event lands in its own day. A range holds several dates (live traffic, backfills, late events);
  each valid event goes to event_date = the UTC date of its event_ts. The --date argument names the run
  (manifest, "processed" bookkeeping), it does not filter: dropping other days' events would lose them.
- Idempotent and crash-safe. Each touched date is rebuilt complete (existing rows + new ones,
  de-duplicated) in a staging folder and swapped in atomically (see spark/ingest/publish.py); the
  manifest, written last under the ledger lock, commits the offsets. A rerun with nothing new publishes
  nothing; a retry after a crash re-reads the same offsets and yields the same partitions and figures.
- Concurrent-safe. The whole read-merge-publish-commit section holds an exclusive file lock, so runs for
  several dates at once behave as one after the other.
- Reconciled. The manifest's figures must satisfy game_events.lake.reconcile before anything is published.
- Few passes, nothing cached. Kafka is read once: every record goes through the validation's fast gate
  (spark/ingest/validation.py) and is staged as Parquet by route, clean rows already typed. The rest
  (few: bad or hand-formatted records) go through contract.validate in Python. Duplicates are found on
  the keys alone (a narrow shuffle; the winners of the rare contested keys are staged), so the wide rows
  are read back and written once, partitioned by date and type. Dates, hosts and user agents come from
  the first pass as observed metrics, the per-date figures from the key pass; `written` is counted from
  the staged files themselves.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))

from pyspark.sql import Observation, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from game_events import lake  # noqa: E402
from game_events.kafka import topic_watermarks  # noqa: E402
from game_events.settings import Settings, load_settings  # noqa: E402
from game_events.spark_submit import describe_application  # noqa: E402
from spark.ingest.enrich import enrich_events, lookup_tables  # noqa: E402
from spark.ingest.kafka_range import read_offset_ranges  # noqa: E402
from spark.ingest.manifest import build_manifest, code_version  # noqa: E402
from spark.ingest.publish import (prepare_staging, publish_dates,  # noqa: E402
                                  read_partitions, write_partitions)
from spark.ingest.transforms import (contested_winners, copy_groups, copy_keys, dedupe_events,  # noqa: E402
                                     in_offset_ranges,
                                     quarantined_records, to_lake_columns, to_messages, valid_events)
from spark.ingest.validation import (CHECKED_DDL, GATED_COLUMNS, GATED_DDL, clean_records,  # noqa: E402
                                     exact_records, gate_records)

LAKE_DDL = lake.ddl(lake.LAKE_COLUMNS)
QUARANTINE_DDL = lake.ddl(lake.QUARANTINE_COLUMNS)
FAILPOINT_ENV = "FILTERED_WRITES_FAILPOINT"  # tests: raise InjectedCrash at the named point


class ReconcileError(RuntimeError):
    """The run's figures do not add up; nothing was published."""


class InjectedCrash(BaseException):
    """A simulated kill at a named point (BaseException: no cleanup code catches it)."""


def failpoint(name: str) -> None:
    if os.environ.get(FAILPOINT_ENV) == name:
        raise InjectedCrash(name)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def _timed(step: str):
    """Log how long a step took (stderr), for the figures a benchmark reports."""
    started = time.monotonic()
    yield
    print(f"filtered_writes: {step}: {time.monotonic() - started:.1f} s", file=sys.stderr)


def _stage_checked(spark: SparkSession, settings: Settings, ranges, checked_dir: Path) -> dict:
    """The one pass over Kafka: every record through the gate, written to staging by route (clean rows typed,
    the rest raw). Returns what the pass observed: clean rows' dates, hosts and user agents."""
    gated = gate_records(to_messages(read_offset_ranges(spark, settings, ranges)))
    clean = F.col("is_clean")
    observed = Observation("checked")
    rows = gated.observe(observed, F.sum(F.when(clean, 0).otherwise(1)).alias("unclean"),
                         F.collect_set(F.when(clean, F.col("event_date"))).alias("dates"),
                         F.collect_set(F.when(clean, F.col("host"))).alias("hosts"),
                         F.collect_set(F.when(clean, F.col("user_agent"))).alias("user_agents"))
    staged = [F.when(~clean, F.col(name)).alias(name) if name == "raw_value" else F.col(name) for name in GATED_COLUMNS]
    rows.select(*staged, F.when(clean, "clean").otherwise("exact").alias("route")
                ).write.partitionBy("route").parquet(str(checked_dir))
    return observed.get


def _read_route(spark: SparkSession, checked_dir: Path, route: str):
    folder = checked_dir / f"route={route}"
    if not folder.is_dir():
        return spark.createDataFrame([], GATED_DDL)
    return spark.read.schema(GATED_DDL).parquet(str(folder))


def _per_date_figures(groups, dates: list[str]):
    """Per date: valid messages and duplicates (in the batch, and of rows earlier runs published), taken as
    observed metrics while the contested keys are written (one pass over the key groups)."""
    observed = Observation("copies")
    is_new = F.col("new_copies") > 0
    metrics = [F.sum(F.when(F.col("copies") > 1, 1).otherwise(0)).alias("contested")]
    for day in dates:
        on_day = is_new & (F.col("event_date") == F.lit(day).cast("date"))
        metrics.append(F.sum(F.when(on_day, F.col("new_copies")).otherwise(0)).alias(f"valid:{day}"))
        metrics.append(F.sum(F.when(on_day, F.col("new_copies") - 1 + F.col("earlier_copies")).otherwise(0))
                       .alias(f"duplicates:{day}"))
    return groups.observe(observed, *metrics), observed


def _stage_events(spark: SparkSession, settings: Settings, valid, ranges, staging: Path, event_dates: list[str],
                  lookups: tuple[set, set], batch_counts: dict[str, dict]):
    """Count copies, enrich, merge with the dates' existing rows, drop duplicates and stage; return kept counts."""
    existing = read_partitions(spark, settings.events_dir, event_dates, LAKE_DDL)
    keys = copy_keys(existing, valid, ranges)
    with _timed("count copies"):
        groups, observed = _per_date_figures(copy_groups(keys), event_dates)
        groups.where(F.col("copies") > 1).select("event_date", "event_id").write.parquet(str(staging / "contested"))
        figures = observed.get
    for day in event_dates:
        day_counts = batch_counts.setdefault(day, {"valid": 0, "duplicates": 0, "quarantined_by_reason": {}})
        day_counts["valid"], day_counts["duplicates"] = figures[f"valid:{day}"], figures[f"duplicates:{day}"]
    winners = None
    if figures["contested"]:
        with _timed("pick winners"):
            contested = spark.read.parquet(str(staging / "contested"))
            contested_winners(keys, contested).write.parquet(str(staging / "winners"))
            winners = spark.read.parquet(str(staging / "winners"))
    hosts, agents = lookups
    host_lookup, agent_lookup = lookup_tables(spark, sorted(hosts), sorted(agents))
    new_rows = to_lake_columns(enrich_events(valid, host_lookup, agent_lookup))
    kept = to_lake_columns(dedupe_events(existing, new_rows, winners) if winners is not None
                           else existing.unionByName(new_rows))
    with _timed("merge, write"):
        write_partitions(kept, staging / "events", ["event_date", "event_type"])
    with _timed("count written"):
        return _kept_counts(spark, staging / "events", event_dates, ranges)


def _kept_counts(spark: SparkSession, staged_events: Path, dates: list[str], ranges) -> dict[str, dict]:
    """From the staged files themselves: rows per date, and how many came from this run's ranges."""
    staged = read_partitions(spark, staged_events, dates, LAKE_DDL)
    rows = staged.groupBy("event_date").agg(
        F.count(F.lit(1)).alias("rows"), F.sum(in_offset_ranges(ranges).cast("long")).alias("in_range")).collect()
    return {str(row.event_date): {"written_rows": row.rows, "written": row.in_range} for row in rows}


def process_ranges(spark: SparkSession, settings: Settings, ranges, staging: Path):
    """Read the ranges, stage every touched date; return (batch_counts, kept_counts, event dates, quarantine dates).

    Passes: Kafka once through the gate into staging (clean rows typed, the others raw); the others through
    contract.validate (few); the copies counted on the keys; the dates written complete; the quarantine.
    """
    checked_dir = staging / "checked"
    with _timed("read, check, stage"):
        observed = _stage_checked(spark, settings, ranges, checked_dir)
    exact, exact_summary = spark.createDataFrame([], CHECKED_DDL), []
    if observed["unclean"]:
        with _timed("exact checks"):
            exact_records(_read_route(spark, checked_dir, "exact")).write.parquet(str(staging / "exact"))
            exact = spark.read.schema(CHECKED_DDL).parquet(str(staging / "exact"))
            exact_summary = exact.groupBy("event_date", "reason").agg(
                F.count(F.lit(1)).alias("messages"), F.collect_set("host").alias("hosts"),
                F.collect_set("user_agent").alias("user_agents")).collect()
    batch_counts: dict[str, dict] = {}
    hosts, agents = set(observed["hosts"]), set(observed["user_agents"])
    event_dates = {str(day) for day in observed["dates"]}
    for row in exact_summary:
        figures = batch_counts.setdefault(str(row.event_date), {"valid": 0, "duplicates": 0, "quarantined_by_reason": {}})
        if row.reason is None:
            event_dates.add(str(row.event_date))
            hosts.update(row.hosts)
            agents.update(row.user_agents)
        else:
            figures["quarantined_by_reason"][row.reason] = row.messages
    event_dates = sorted(event_dates)
    quarantine_dates = sorted(day for day, figures in batch_counts.items() if figures["quarantined_by_reason"])
    kept_counts: dict[str, dict] = {}
    if event_dates:
        clean = clean_records(_read_route(spark, checked_dir, "clean").withColumn("is_clean", F.lit(True)))
        valid = valid_events(clean.unionByName(exact.where(F.col("reason").isNull())))
        kept_counts = _stage_events(spark, settings, valid, ranges, staging, event_dates, (hosts, agents), batch_counts)
    if quarantine_dates:
        refused = quarantined_records(exact.where(F.col("reason").isNotNull())).unionByName(
            read_partitions(spark, settings.quarantine_dir, quarantine_dates, QUARANTINE_DDL))
        unique_refused = refused.dropDuplicates(["topic", "kafka_partition", "kafka_offset"])
        with _timed("write quarantine"):
            write_partitions(unique_refused, staging / "quarantine", ["event_date"])
    return batch_counts, kept_counts, event_dates, quarantine_dates


def run(spark: SparkSession, settings: Settings, requested_date: str, run_id: str) -> Path:
    """One filtered_writes run; returns the committed manifest's path."""
    started_at, topic = _now(), settings.kafka_topic
    with lake.ledger_lock(settings):
        staging = prepare_staging(settings, run_id)
        committed = lake.committed_offsets(topic, settings)
        ranges = lake.plan_offset_ranges(topic, committed, topic_watermarks(topic, settings))
        processed = lake.processed_dates(settings)
        batch_counts, kept_counts, event_dates, quarantine_dates = {}, {}, [], []
        if any(span.end > span.start for span in ranges):
            batch_counts, kept_counts, event_dates, quarantine_dates = process_ranges(spark, settings, ranges, staging)
        if requested_date not in kept_counts:
            current = read_partitions(spark, settings.events_dir, [requested_date], LAKE_DDL).count()
            kept_counts[requested_date] = {"written_rows": current, "written": 0}
        manifest = build_manifest(run_id=run_id, requested_date=requested_date, topic=topic, ranges=ranges,
                                  batch_counts=batch_counts, kept_counts=kept_counts, processed_dates=processed,
                                  code=code_version(PROJECT_ROOT), started_at=started_at, finished_at=_now())
        problems = lake.reconcile(manifest)
        if problems:
            raise ReconcileError("counts do not reconcile: " + "; ".join(problems))
        failpoint("before_publish")
        publish_dates(staging / "events", settings.events_dir, event_dates, failpoint)
        publish_dates(staging / "quarantine", settings.quarantine_dir, quarantine_dates, failpoint)
        failpoint("before_commit")
        manifest["finished_at"] = _now()
        path = lake.write_manifest(manifest, settings)
        shutil.rmtree(staging)
    return path


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="filtered_writes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="the run's date, YYYY-MM-DD (UTC)")
    parser.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (default: settings)")
    parser.add_argument("--topic", help="the events topic (default: settings)")
    parser.add_argument("--data-dir", help="root of the lake (default: GAME_EVENTS_DATA_DIR)")
    parser.add_argument("--run-id", help="identifies the run in the manifest (default: generated)")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    overrides = {"kafka_bootstrap_servers": args.bootstrap_servers, "kafka_topic": args.topic,
                 "data_dir": Path(args.data_dir).resolve() if args.data_dir else None}
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v})


def main(argv: list[str] | None = None, spark: SparkSession | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    run_id = args.run_id or f"fw_{args.date}_{datetime.now(timezone.utc):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:8]}"
    own_session = spark is None
    if own_session:
        spark = SparkSession.builder.appName("filtered_writes").getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        print(describe_application(spark.sparkContext.applicationId, settings), flush=True)
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # event dates are UTC dates
    # Parquet's standard microsecond UTC timestamps, not legacy INT96: pandas, pyarrow and DuckDB read them as such.
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    # Otherwise the optimizer turns each parsed.field reference into its own from_json call, and the
    # validation, which reads every field several times, would parse each record dozens of times.
    spark.conf.set("spark.sql.optimizer.enableJsonExpressionOptimization", "false")
    started = time.monotonic()
    try:
        path = run(spark, settings, str(args.date), run_id)
    except (lake.RetentionLoss, lake.LedgerAhead, ReconcileError) as exc:
        print(f"filtered_writes: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if own_session:
            spark.stop()
    counts = json.loads(path.read_text())["counts"]
    print(f"filtered_writes: {run_id}: read {counts.get('read')} messages, wrote {counts.get('written')} new rows "
          f"in {time.monotonic() - started:.1f} s (Spark start-up not included)", file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Spark job: answer the day's questions with SparkSQL, stage the tables (CSV + JSON), optionally publish.

    scripts/bin/spark-submit <project args> spark/analyze.py --date 2026-11-27 --run-id manual-1 \
        [--only trends,data_quality] [--publish] [--data-dir PATH]
    # or: .venv/bin/python -m game_events.cli spark-submit spark/analyze.py --date 2026-11-27 --run-id manual-1

Without --only it runs every analysis (spark/analysis/sql/*.sql). Tables land in
<data>/artifacts/.staging/<D>/<run id>/tables/. With --publish the same application then builds the
charts, report.html and summary.json and publishes data/artifacts/<D>/ (what `spark/report.py` does on
its own; the report needs no Spark, so it runs after the session stops): the DAG's one analysis task
pays a single Spark start-up. The log shows each question's table, row count and first rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import date
from pathlib import Path

# spark-submit puts only spark/ on sys.path; the repository root makes `spark.analysis` importable
# under the same name as in the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game_events.settings import Settings, load_settings  # noqa: E402
from game_events.spark_submit import describe_application  # noqa: E402
from spark.analysis import ANALYSES  # noqa: E402
from spark.analysis.runner import parse_names, run_analyses  # noqa: E402
from spark.analysis.tables import Table, to_csv_text  # noqa: E402

PREVIEW_ROWS = 5  # per table in the task log; the whole table is in the staged CSV/JSON


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analyze.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="report day D, YYYY-MM-DD (UTC)")
    parser.add_argument("--only", help=f"comma-separated analyses (default: all of {', '.join(ANALYSES)})")
    parser.add_argument("--data-dir", type=Path, help="data root (default: GAME_EVENTS_DATA_DIR or <repo>/data)")
    parser.add_argument("--run-id", required=True, help="names the staging folder; report.py takes the same")
    parser.add_argument("--publish", action="store_true",
                        help="then build and publish the day's report, as spark/report.py does")
    return parser


def settings_for(data_dir: Path | None) -> Settings:
    settings = load_settings()
    return dataclasses.replace(settings, data_dir=data_dir.resolve()) if data_dir else settings


def describe(table: Table, preview_rows: int = PREVIEW_ROWS) -> str:
    """A table for the log: its name and row count, then its first rows as CSV."""
    lines = to_csv_text(table).splitlines()
    shown = lines[:1 + preview_rows]
    more = len(table.rows) - (len(shown) - 1)
    return "\n".join([f"{table.name}: {len(table.rows)} rows", *(f"    {line}" for line in shown),
                      *([f"    ... {more} more rows"] if more > 0 else [])])


def log_table(table: Table, seconds: float) -> None:
    print(f"{describe(table)}\n    ({seconds:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        names = parse_names(args.only)
    except ValueError as exc:
        print(f"analyze.py: {exc}", file=sys.stderr)
        return 2
    from pyspark.sql import SparkSession

    settings = settings_for(args.data_dir)
    spark = SparkSession.builder.appName(f"game_events.analyze.{args.date}").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")  # the task log should show the tables, not Spark's chatter
    print(describe_application(spark.sparkContext.applicationId, settings), flush=True)
    started = time.monotonic()
    try:
        tables = run_analyses(spark, settings, args.date, names, args.run_id, on_table=log_table)
    finally:
        spark.stop()
    print(f"analyze.py: {len(tables)} analyses in {time.monotonic() - started:.1f} s", flush=True)
    if not args.publish:
        return 0
    from spark.report import NotStaged, publish_and_describe

    try:
        print(publish_and_describe(settings, args.date, args.run_id), flush=True)
    except NotStaged as exc:
        print(f"analyze.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Spark job: answer the day's questions with SparkSQL and stage the tables (CSV + JSON).

    scripts/bin/spark-submit <project args> spark/analyze.py --date 2026-11-27 --run-id manual-1 \
        [--only trends,data_quality] [--data-dir PATH]
    # or: .venv/bin/python -m game_events.cli spark-submit spark/analyze.py --date 2026-11-27 --run-id manual-1

Without --only it runs all eight analyses (spark/analysis/sql/*.sql). Tables land in
<data>/artifacts/.staging/<D>/<run id>/tables/; `spark/report.py` with the same date and run id
turns them into charts and the report and publishes data/artifacts/<D>/. The DAG runs a few of these
with different --only groups side by side; they write different files of the same staging folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import date
from pathlib import Path

# spark-submit puts only spark/ on sys.path; the repository root makes `spark.analysis` importable
# under the same name as in the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from game_events.settings import Settings, load_settings  # noqa: E402
from spark.analysis import ANALYSES  # noqa: E402
from spark.analysis.runner import parse_names, run_analyses  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analyze.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="report day D, YYYY-MM-DD (UTC)")
    parser.add_argument("--only", help=f"comma-separated analyses (default: all of {', '.join(ANALYSES)})")
    parser.add_argument("--data-dir", type=Path, help="data root (default: GAME_EVENTS_DATA_DIR or <repo>/data)")
    parser.add_argument("--run-id", required=True, help="names the staging folder; report.py takes the same")
    return parser


def settings_for(data_dir: Path | None) -> Settings:
    settings = load_settings()
    return dataclasses.replace(settings, data_dir=data_dir.resolve()) if data_dir else settings


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
    try:
        tables = run_analyses(spark, settings, args.date, names, args.run_id)
    finally:
        spark.stop()
    for name, table in tables.items():
        print(f"{name}: {len(table.rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

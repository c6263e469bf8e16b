"""Build the day's charts, report.html and summary.json from the staged tables, and publish them.

    scripts/bin/spark-submit <project args> spark/report.py --date 2026-11-27 --run-id manual-1 [--data-dir PATH]
    .venv-spark/bin/python spark/report.py --date 2026-11-27 --run-id manual-1      # the same, without Spark

It needs no Spark (it reads the tables `spark/analyze.py` staged for the same date and run id); the
DAG runs it inside the analysis application (`spark/analyze.py --publish`), so a run pays no extra
Spark start-up for it. The published folder <data>/artifacts/<D>/ holds
tables/*.csv|json, charts/*.png, report.html, summary.json and run.json. It is replaced as a whole
(see spark/analysis/staging.py); every file but run.json (run id, generation time) is the same on a
re-run of the day.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # see analyze.py

from game_events.settings import Settings, load_settings  # noqa: E402
from spark.analysis import ANALYSES  # noqa: E402
from spark.analysis.charts import render_charts  # noqa: E402
from spark.analysis.report_html import render_report  # noqa: E402
from spark.analysis.staging import CHARTS, TABLES, day_lock, publish, published_dir, staging_dir  # noqa: E402
from spark.analysis.summary import build_summary  # noqa: E402
from spark.analysis.tables import Table, read_table, write_atomically  # noqa: E402
from spark.analysis.truth import compare_with_truth, late_events_for, read_truth, verdict  # noqa: E402


class NotStaged(RuntimeError):
    """analyze.py has not staged every table for this date and run id."""


def load_staged_tables(staged: Path) -> dict[str, Table]:
    missing = [name for name in ANALYSES if not (staged / TABLES / f"{name}.json").exists()]
    if missing:
        raise NotStaged(f"tables not staged in {staged / TABLES}: {', '.join(missing)} "
                        "(run spark/analyze.py with the same --date and --run-id first)")
    return {name: read_table(staged / TABLES, name) for name in ANALYSES}


def _json_bytes(document: dict) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def build_bundle(settings: Settings, day: date, run_id: str) -> Path:
    """Write charts, summary.json, report.html and run.json next to the staged tables; return the folder."""
    staged = staging_dir(settings.artifacts_dir, day, run_id)
    tables = load_staged_tables(staged)
    truth = read_truth(settings.truth_dir, day)
    checks = compare_with_truth(tables, truth, late_events_for(settings.truth_dir, day)) if truth else None
    summary = build_summary(tables, verdict(checks))
    charts = render_charts(tables)
    shutil.rmtree(staged / CHARTS, ignore_errors=True)  # a retry must not keep a chart this run no longer draws
    for name, png in charts.items():
        write_atomically(staged / CHARTS / f"{name}.png", png)
    write_atomically(staged / "summary.json", _json_bytes(summary))
    write_atomically(staged / "report.html", render_report(tables, summary, checks, charts).encode())
    run = {"run_id": run_id, "date": day.isoformat(),
           "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    write_atomically(staged / "run.json", _json_bytes(run))
    return staged


def publish_day(settings: Settings, day: date, run_id: str) -> Path:
    """Build the bundle and swap it in as <artifacts>/<D>/; returns the published folder."""
    staged = build_bundle(settings, day, run_id)
    target = published_dir(settings.artifacts_dir, day)
    with day_lock(settings.artifacts_dir, day):
        publish(staged, target)
    return target


def publish_and_describe(settings: Settings, day: date, run_id: str) -> str:
    """Publish D (publish_day) and say what was published: the line the task log ends with."""
    target = publish_day(settings, day, run_id)
    summary = json.loads((target / "summary.json").read_text())
    truth = summary["ground_truth"]
    return (f"published {target} (events: {summary['events']}, "
            f"ground truth: {'n/a' if not truth['available'] else 'match' if truth['matches'] else 'MISMATCH'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="report.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="report day D, YYYY-MM-DD (UTC)")
    parser.add_argument("--data-dir", type=Path, help="data root (default: GAME_EVENTS_DATA_DIR or <repo>/data)")
    parser.add_argument("--run-id", required=True, help="the run id analyze.py staged the tables under")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.data_dir:
        settings = dataclasses.replace(settings, data_dir=args.data_dir.resolve())
    try:
        print(publish_and_describe(settings, args.date, args.run_id))
    except NotStaged as exc:
        print(f"report.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

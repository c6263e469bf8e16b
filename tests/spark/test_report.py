"""The report step: charts, report.html, summary.json, and the atomic publish of data/artifacts/D/.

Tables are staged by the real analyses (in-process Spark) over a lake of two generated days; the DAG's
path, `analyze.py --publish` in one spark-submit, is checked to give the same files.
Run: .venv-spark/bin/python -m pytest tests/spark/test_report.py
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from game_events import lake
from game_events.settings import PROJECT_ROOT, load_settings
from game_events.spark_submit import submit_command
from spark.analysis import ANALYSES
from spark.analysis.runner import run_analyses
from spark.analysis.staging import TABLES, published_dir, staging_dir
from spark.analysis.tables import read_table
from spark.report import NotStaged, main as report_main, publish_day
from tests.report_page import shown_figures, truth_figures
from tests.spark.lake_builder import build_generated_days

DAYS = [date(2026, 12, 1), date(2026, 12, 2)]
DAY = DAYS[-1]
EMPTY_DAY = DAY + timedelta(days=3)
CHARTS = {"purchases_by_item", "host_providers", "provider_items", "trends", "provider_trends", "item_trends",
          "user_agents", "automation", "data_quality"}


def folder_digest(folder, skip=("run.json",)) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip}


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("report-data")
    build_generated_days(data_dir, DAYS, n_events=400, seed=9, duplicates=0.02, malformed=0.01)
    return dataclasses.replace(load_settings(), data_dir=data_dir)


@pytest.fixture(scope="module")
def published(spark, settings):
    run_analyses(spark, settings, DAY, list(ANALYSES), "first-run")
    return publish_day(settings, DAY, "first-run")


def test_publish_writes_every_artifact_and_removes_the_staging_area(published, settings):
    assert published == published_dir(settings.artifacts_dir, DAY)
    names = {p.name for p in (published / "tables").iterdir()}
    assert names == {f"{n}.{ext}" for n in ANALYSES for ext in ("csv", "json")}
    charts = {p.stem: p.read_bytes() for p in (published / "charts").iterdir()}
    assert set(charts) == CHARTS
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000 for png in charts.values())
    assert not staging_dir(settings.artifacts_dir, DAY, "first-run").exists()
    run = json.loads((published / "run.json").read_text())
    assert run["run_id"] == "first-run" and run["generated_at"].endswith("Z")


def test_summary_holds_the_headline_figures_and_the_truth_verdict(published, settings):
    summary = json.loads((published / "summary.json").read_text())
    truth = json.loads((settings.truth_dir / f"{DAY}.json").read_text())
    assert summary["date"] == DAY.isoformat() and summary["has_events"] is True
    # The 400 events of the day are the players' plus automation's, which the business figures leave out.
    automation = truth["events_by_client_class"]["automation"]
    assert summary["events"] == sum(truth["events_by_type"].values()) == 400 - automation
    assert summary["events_by_type"] == truth["events_by_type"]
    assert summary["automation_events"] == automation > 0 and summary["bot_share"] == round(automation / 400, 6)
    assert summary["lake_rows"] == sum(truth["lake_rows_by_type"].values()) == 400
    assert summary["events_by_client_class"] == truth["events_by_client_class"]
    assert (summary["revenue_cents"], summary["active_users"], summary["buyers"]) == (
        truth["revenue_cents"], truth["unique_users"], truth["unique_buyers"])
    best_item = max(truth["purchases_by_item"].items(), key=lambda kv: kv[1]["revenue_cents"])
    assert summary["top_item_by_revenue"] == {"item_type": best_item[0], "revenue_cents": best_item[1]["revenue_cents"]}
    assert summary["ground_truth"]["matches"] is True and summary["ground_truth"]["checks"] == 16
    events_trend = summary["trends"]["events"]
    before = json.loads((settings.truth_dir / f"{DAYS[0]}.json").read_text())
    players = [sum(day["events_by_type"].values()) for day in (before, truth)]
    assert (events_trend["value"], events_trend["day_over_day_change"], events_trend["total_7_days"]) == (
        players[1], players[1] - players[0], sum(players))
    # The data-quality headline agrees with the lake module's own per-date sums over the manifests.
    quality, expected = summary["data_quality"], lake.date_summary(DAY, settings)
    assert {k: quality[k] for k in ("valid", "duplicates", "quarantined", "late_events", "restated",
                                    "quarantined_by_reason")} == {k: expected[k] for k in (
        "valid", "duplicates", "quarantined", "late_events", "restated", "quarantined_by_reason")}
    assert quality["written_rows_last_run"] == expected["written_rows"] == quality["rows_in_lake"] == 400


def test_report_is_one_self_contained_page(published, settings):
    page = (published / "report.html").read_text()
    truth = json.loads((settings.truth_dir / f"{DAY}.json").read_text())
    assert shown_figures(page) == truth_figures(truth)  # the cards and the items table, against the generator
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert page.count("data:image/png;base64,") == len(CHARTS)
    assert "match the generator's ground truth (16 checks)" in page
    for heading in ("Events by type", "Purchases by item", "Internet providers", "Guild joins", "Player clients",
                    "Client classes", "Automation", "Engagement", "Trends (last 28 days)",
                    "Trends per provider and item (last 28 days)", "Deviations", "Data quality"):
        assert f"<h2>{heading}</h2>" in page
    # Two days of data: one earlier day is too little history to call anything unusual.
    opening = page.split("</h1>", 1)[1].lstrip().split("</p>", 1)[0]
    assert opening == ('<p class="verdict">Nothing unusual today, as far as can be told: no figure has 7 earlier days '
                       "of data to compare with yet.")


def test_a_rerun_gives_the_same_files_except_run_json(published, spark, settings):
    before = folder_digest(published)
    run_analyses(spark, settings, DAY, list(ANALYSES), "second-run")
    assert publish_day(settings, DAY, "second-run") == published
    assert folder_digest(published) == before
    assert json.loads((published / "run.json").read_text())["run_id"] == "second-run"


def test_a_failed_run_leaves_the_previous_artifacts(published, settings):
    before = folder_digest(published, skip=())
    partial = staging_dir(settings.artifacts_dir, DAY, "partial-run") / TABLES
    partial.mkdir(parents=True)
    shutil.copy(published / "tables" / "trends.json", partial)
    with pytest.raises(NotStaged, match="daily_event_counts"):
        publish_day(settings, DAY, "partial-run")
    assert report_main(["--date", DAY.isoformat(), "--run-id", "partial-run",
                        "--data-dir", str(settings.data_dir)]) == 1
    # A corrupt table fails the build after charts may have started: still nothing published.
    shutil.copytree(published / "tables", partial, dirs_exist_ok=True)
    (partial / "engagement.json").write_text("{not json")
    with pytest.raises(json.JSONDecodeError):
        publish_day(settings, DAY, "partial-run")
    assert folder_digest(published, skip=()) == before


def test_the_report_says_when_figures_do_not_match_the_truth(published, settings, tmp_path):
    other = dataclasses.replace(settings, data_dir=tmp_path)
    shutil.copytree(settings.data_dir / "truth", other.truth_dir)
    truth_file = other.truth_dir / f"{DAY}.json"
    truth = json.loads(truth_file.read_text())
    truth["revenue_cents"] += 1
    truth_file.write_text(json.dumps(truth))
    shutil.copytree(published / "tables", staging_dir(other.artifacts_dir, DAY, "tampered") / TABLES)
    target = publish_day(other, DAY, "tampered")
    summary = json.loads((target / "summary.json").read_text())
    assert summary["ground_truth"]["matches"] is False and summary["ground_truth"]["mismatches"] == ["revenue_cents"]
    assert "do NOT match the generator" in (target / "report.html").read_text()


def test_a_day_without_events_gives_a_report_that_says_so(spark, settings):
    run_analyses(spark, settings, EMPTY_DAY, list(ANALYSES), "empty-run")
    target = publish_day(settings, EMPTY_DAY, "empty-run")
    summary = json.loads((target / "summary.json").read_text())
    assert summary["has_events"] is False and summary["events"] == 0 and summary["conversion"] is None
    assert summary["ground_truth"]["available"] is False
    assert summary["top_item_by_revenue"] is None
    page = (target / "report.html").read_text()
    assert "<b>No events</b> are in the lake for " + EMPTY_DAY.isoformat() in page
    # The seven day tables, today's shares, the flagged figures and the movers have no rows.
    assert "No ground-truth file" in page and page.count("No rows for this day.") == 10
    assert summary["anomalies"] == [] and summary["movers"] == []
    # Only what has data is drawn: the 28-day trends (the two generated days) and the data quality.
    assert {p.stem for p in (target / "charts").iterdir()} == {"trends", "provider_trends", "item_trends",
                                                               "data_quality"}


def test_one_application_analyses_and_publishes_the_same_artifacts(published, settings):
    """The DAG's path: `spark-submit analyze.py --publish` (one Spark application) gives the files that
    run_analyses then publish_day gave, and its log names every table with its row count."""
    before = folder_digest(published)
    tables = {name: read_table(published / TABLES, name) for name in ANALYSES}
    command = submit_command(PROJECT_ROOT / "spark" / "analyze.py",
                             ["--date", DAY.isoformat(), "--run-id", "one-application", "--publish",
                              "--data-dir", str(settings.data_dir)], master="local[2]")
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert folder_digest(published) == before
    assert json.loads((published / "run.json").read_text())["run_id"] == "one-application"
    for name, table in tables.items():
        assert f"{name}: {len(table.rows)} rows" in result.stdout
    truth = json.loads((settings.truth_dir / f"{DAY}.json").read_text())
    players = sum(truth["events_by_type"].values())  # the generator's count: 400 less automation's
    assert f"published {published} (events: {players}, ground truth: match)" in result.stdout
    assert not staging_dir(settings.artifacts_dir, DAY, "one-application").exists()

"""Unit tests of game_events.artifacts: the listing of days and the confinement of every requested path
to the artifacts root (the reports view serves nothing else).

Run: .venv/bin/python -m pytest tests/plugins/test_artifacts_paths.py
"""

from __future__ import annotations

import json

import pytest

from game_events import artifacts
from game_events.artifacts import NotFound


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "artifacts"
    for day, events in (("2026-11-20", 300), ("2026-11-21", 280)):
        folder = root / day
        (folder / "tables").mkdir(parents=True)
        (folder / "report.html").write_text(f"<html><body><h1>{day}</h1></body></html>")
        (folder / "tables" / "trends.csv").write_text("metric,value\n")
        (folder / "summary.json").write_text(json.dumps({"events": events, "data_quality": {"duplicates": 4}}))
        (folder / "run.json").write_text(json.dumps({"run_id": f"scheduled__{day}T00:00:00+00:00"}))
    (root / ".staging" / "2026-11-22").mkdir(parents=True)  # a run in progress: not a published day
    (root / "2026-11-23").mkdir()  # no report.html: not listed
    (tmp_path / "secret.txt").write_text("outside the root")
    return root


def test_days_with_a_report_newest_first(root):
    assert artifacts.list_days(root) == ["2026-11-21", "2026-11-20"]
    assert artifacts.list_days(root / "missing") == []


def test_overview_carries_figures_quality_and_run(root):
    overview = artifacts.day_overview(root, "2026-11-20")
    assert overview["events"] == 300
    assert overview["data_quality"] == {"duplicates": 4}
    assert overview["run_id"] == "scheduled__2026-11-20T00:00:00+00:00"
    assert overview["files"] == ["report.html", "run.json", "summary.json", "tables/trends.csv"]


@pytest.mark.parametrize("day", ["2026-11-24", "2026-13-01", "2026-11-2", "..", "../artifacts/2026-11-20",
                                 "2026-11-20/..", "/etc", ".staging", "2026-11-23"])
def test_days_that_are_not_published_dates_are_not_found(root, day):
    with pytest.raises(NotFound):
        artifacts.day_dir(root, day)


def test_a_file_of_the_day_is_found(root):
    assert artifacts.artifact_path(root, "2026-11-20", "tables/trends.csv").read_text() == "metric,value\n"


@pytest.mark.parametrize("relative", ["../2026-11-21/report.html", "../../secret.txt", "tables/../../../secret.txt",
                                      "/etc/passwd", "", "tables", "tables/missing.csv", "a\x00b"])
def test_paths_leaving_the_day_or_naming_no_file_are_not_found(root, relative):
    with pytest.raises(NotFound):
        artifacts.artifact_path(root, "2026-11-20", relative)


def test_a_symlink_out_of_the_root_is_not_followed(root):
    (root / "2026-11-20" / "tables" / "leak.csv").symlink_to(root.parent / "secret.txt")
    with pytest.raises(NotFound):
        artifacts.artifact_path(root, "2026-11-20", "tables/leak.csv")
    (root / "2026-11-30").symlink_to(root / "2026-11-20")  # a day folder that is a link elsewhere
    with pytest.raises(NotFound):
        artifacts.artifact_path(root, "2026-11-30", "report.html")
    assert "2026-11-30" not in artifacts.list_days(root)
    assert "tables/leak.csv" not in artifacts.day_overview(root, "2026-11-20")["files"]

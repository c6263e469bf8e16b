"""The DAG's reconcile step (game_events.daily.reconcile_day) on hand-made lakes: it passes only when the
ledger, the lake's files and the report's figures agree."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from game_events import lake
from game_events.daily import NotReconciled, reconcile_day
from game_events.settings import load_settings
from tests.test_lake import a_manifest

DAY = date(2026, 11, 27)


@pytest.fixture
def settings(tmp_path):
    return dataclasses.replace(load_settings(), data_dir=tmp_path)


def a_day(settings, rows: int, written_rows: int, players: int, automation: int) -> None:
    """A lake partition of `rows` rows, a committed run that says it wrote `written_rows`, and a report."""
    folder = lake.event_date_dir(DAY, settings) / "event_type=purchase_item"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({"event_id": [f"e{i}" for i in range(rows)]}), folder / "part-0.parquet")
    lake.write_manifest(a_manifest(requested=DAY.isoformat(), written_rows=written_rows), settings)
    summary = {"events": players, "automation_events": automation, "lake_rows": players + automation}
    (settings.artifacts_dir / DAY.isoformat()).mkdir(parents=True)
    (settings.artifacts_dir / DAY.isoformat() / "summary.json").write_text(json.dumps(summary))


def test_a_day_whose_lake_ledger_and_report_agree_reconciles(settings):
    a_day(settings, rows=7, written_rows=7, players=5, automation=2)
    assert reconcile_day(DAY, settings)["rows_in_lake"] == 7


def test_the_report_must_count_players_and_automation_as_the_lake_holds(settings):
    # The cluster run that found it: a report of 992 players' events over a lake of 1,000 rows.
    a_day(settings, rows=7, written_rows=7, players=7, automation=2)
    with pytest.raises(NotReconciled, match=r"report counts 9 events .*\(7 of players, 2 of automation\), "
                                            r"the lake holds 7"):
        reconcile_day(DAY, settings)


def test_the_lake_must_hold_what_the_last_run_wrote(settings):
    a_day(settings, rows=6, written_rows=7, players=4, automation=2)
    with pytest.raises(NotReconciled, match="the lake holds 6 rows for 2026-11-27, the last manifest says 7"):
        reconcile_day(DAY, settings)


def test_a_day_without_published_artifacts_does_not_reconcile(settings):
    a_day(settings, rows=7, written_rows=7, players=5, automation=2)
    (settings.artifacts_dir / DAY.isoformat() / "summary.json").unlink()
    with pytest.raises(NotReconciled, match="no published artifacts"):
        reconcile_day(DAY, settings)

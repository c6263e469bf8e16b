"""game_events.lake: the offset plan, reconciliation, the manifest ledger, the lock and atomic swaps."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import namedtuple
from pathlib import Path

import pytest

from game_events import contract, lake
from game_events.settings import load_settings

Marks = namedtuple("Marks", "partition low high")


@pytest.fixture
def lake_settings(tmp_path: Path):
    return dataclasses.replace(load_settings(), data_dir=tmp_path)


def a_manifest(run_id="r1", requested="2026-11-27", offsets=((0, 0, 10),), **per_date_overrides) -> dict:
    figures = {"read": 10, "valid": 8, "duplicates": 1, "quarantined": 2, "written": 7, "written_rows": 7,
               "quarantined_by_reason": {"malformed_json": 2}, "late_events": 0, "restated": False}
    figures.update(per_date_overrides)
    counts = {k: figures[k] for k in ("read", "valid", "duplicates", "quarantined", "written")}
    counts["quarantined_by_reason"] = dict(figures["quarantined_by_reason"])
    return {"run_id": run_id, "requested_date": requested, "code_version": "t", "schema_version": 1,
            "started_at": "s", "finished_at": "f", "topic": "events",
            "offsets": [{"topic": "events", "partition": p, "from": a, "to": b} for p, a, b in offsets],
            "counts": counts, "per_date": {requested: figures}, "dates_written": [requested],
            "restated_dates": [requested] if figures["restated"] else []}


def test_lake_columns_follow_the_contract_with_event_type_as_partition():
    names = [name for name, _ in lake.LAKE_COLUMNS]
    contract_order = [n for n in contract.FIELD_NAMES if n != "event_type"]
    assert names[:len(contract_order)] == contract_order
    assert names[-2:] == ["event_date", "event_type"]
    assert dict(lake.LAKE_COLUMNS)["event_ts"] == "timestamp" and dict(lake.LAKE_COLUMNS)["is_bot"] == "boolean"


def test_paths_follow_the_settings(lake_settings):
    assert lake.event_partition_dir("2026-11-27", "join_guild", lake_settings) == (
        lake_settings.data_dir / "lake/events/event_date=2026-11-27/event_type=join_guild")
    assert lake.quarantine_date_dir("2026-11-27", lake_settings) == (
        lake_settings.data_dir / "lake/quarantine/event_date=2026-11-27")


def test_plan_reads_from_the_ledger_to_the_high_watermark():
    ranges = lake.plan_offset_ranges("events", {0: 5, 1: 7}, [Marks(1, 0, 9), Marks(0, 0, 5), Marks(2, 0, 3)])
    assert [(r.partition, r.start, r.end) for r in ranges] == [(0, 5, 5), (1, 7, 9), (2, 0, 3)]


def test_plan_fails_on_retention_loss_naming_the_partition():
    with pytest.raises(lake.RetentionLoss, match=r"partition 1: next unread offset 7.*>= 9 \(2 messages"):
        lake.plan_offset_ranges("events", {0: 5, 1: 7}, [Marks(0, 5, 6), Marks(1, 9, 12)])


def test_plan_fails_when_the_ledger_is_ahead_of_the_topic():
    with pytest.raises(lake.LedgerAhead, match="partition 0: ledger at 50, topic ends at 3"):
        lake.plan_offset_ranges("events", {0: 50}, [Marks(0, 0, 3)])


def test_a_consistent_manifest_reconciles():
    assert lake.reconcile(a_manifest()) == []


@pytest.mark.parametrize("change, complaint", [
    (dict(written=8), "read 10 != written 8 + duplicates 1 + quarantined 2"),
    (dict(quarantined_by_reason={"malformed_json": 1}), "quarantined_by_reason sums to 1, not 2"),
    (dict(late_events=9), "9 late events but only 7 written"),
    (dict(written_rows=3), "partition holds 3 rows"),
])
def test_reconcile_names_what_does_not_add_up(change, complaint):
    manifest = a_manifest()
    manifest["per_date"]["2026-11-27"].update(change)
    assert any(complaint in problem for problem in lake.reconcile(manifest))


def test_reconcile_checks_the_offset_span_and_the_totals():
    short_span = a_manifest(offsets=((0, 0, 9),))
    assert any("offset ranges hold 9" in p for p in lake.reconcile(short_span))
    wrong_total = a_manifest()
    wrong_total["counts"]["duplicates"] = 0
    assert any("per_date duplicates sums to 1, run total is 0" in p for p in lake.reconcile(wrong_total))
    assert lake.reconcile({"run_id": "x"})[0].startswith("manifest lacks")


def test_manifests_are_the_ledger(lake_settings):
    assert lake.committed_offsets("events", lake_settings) == {}
    lake.write_manifest(a_manifest("r1", "2026-11-26", ((0, 0, 10), (1, 0, 4))), lake_settings)
    lake.write_manifest(a_manifest("r2", "2026-11-27", ((0, 10, 10), (1, 4, 10))), lake_settings)
    assert lake.committed_offsets("events", lake_settings) == {0: 10, 1: 10}
    assert lake.committed_offsets("other", lake_settings) == {}
    assert lake.processed_dates(lake_settings) == {"2026-11-26", "2026-11-27"}
    assert [m["run_id"] for m in lake.read_manifests(settings=lake_settings)] == ["r1", "r2"]
    assert lake.latest_manifest_for("2026-11-26", lake_settings)["run_id"] == "r1"
    assert lake.latest_manifest_for("2026-01-01", lake_settings) is None
    names = sorted(p.name for p in lake.manifests_dir(lake_settings).glob("*.json"))
    assert names[0].startswith("000001_2026-11-26_r1") and names[1].startswith("000002_2026-11-27_r2")


def test_date_summary_adds_up_every_run_for_the_date(lake_settings):
    lake.write_manifest(a_manifest("r1"), lake_settings)
    lake.write_manifest(a_manifest("r2", written=8, duplicates=0, written_rows=15, late_events=8, restated=True),
                        lake_settings)
    summary = lake.date_summary("2026-11-27", lake_settings)
    assert summary["valid"] == 16 and summary["written"] == 15 and summary["late_events"] == 8
    assert summary["written_rows"] == 15 and summary["restated"] is True and summary["runs"] == ["r1", "r2"]
    assert summary["quarantined_by_reason"] == {"malformed_json": 4}


def test_swap_directory_exchanges_atomically(tmp_path):
    live, staged = tmp_path / "live", tmp_path / "staged"
    (live / "old.parquet").parent.mkdir()
    (live / "old.parquet").write_text("old")
    staged.mkdir()
    (staged / "new.parquet").write_text("new")
    lake.swap_directory(staged, live)
    assert [p.name for p in live.iterdir()] == ["new.parquet"] and not staged.exists()
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    lake.swap_directory(fresh, tmp_path / "brand-new")
    assert (tmp_path / "brand-new").is_dir() and not fresh.exists()


def test_ledger_lock_is_exclusive(lake_settings):
    order = []

    def hold(name: str, seconds: float) -> None:
        with lake.ledger_lock(lake_settings):
            order.append(f"{name} in")
            time.sleep(seconds)
            order.append(f"{name} out")

    first = threading.Thread(target=hold, args=("first", 0.3))
    first.start()
    time.sleep(0.1)
    hold("second", 0)
    first.join()
    assert order == ["first in", "first out", "second in", "second out"]


def test_swap_directory_falls_back_to_two_renames_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(lake, "_libc", object())  # as on a system without renameat2
    live, staged = tmp_path / "live", tmp_path / "staged"
    live.mkdir()
    (live / "old.parquet").write_text("old")
    staged.mkdir()
    (staged / "new.parquet").write_text("new")
    lake.swap_directory(staged, live)
    assert [p.name for p in live.iterdir()] == ["new.parquet"] and sorted(tmp_path.iterdir()) == [live]

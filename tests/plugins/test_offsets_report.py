"""Unit tests of the pure offsets logic behind the sensor (game_events.daily.offsets_report and its table).

Run: .venv/bin/python -m pytest tests/plugins/test_offsets_report.py
"""

from __future__ import annotations

import pytest

from game_events.daily import MessagesLost, NothingNew, format_offsets_table, offsets_report
from game_events.kafka import PartitionWatermarks as Marks


def test_new_and_lag_per_partition_from_the_ledger():
    marks = [Marks(0, 0, 120), Marks(1, 5, 40), Marks(2, 0, 0)]
    report = offsets_report("events", marks, {0: 100, 1: 40})
    assert report["topic"] == "events"
    assert report["partitions"] == [
        {"partition": 0, "low": 0, "high": 120, "ingested": 100, "new": 20, "lag": 20},
        {"partition": 1, "low": 5, "high": 40, "ingested": 40, "new": 0, "lag": 0},
        {"partition": 2, "low": 0, "high": 0, "ingested": 0, "new": 0, "lag": 0},
    ]
    assert report["new_messages"] == 20


def test_a_consumer_groups_lag_counts_from_its_commit_or_else_from_the_oldest_message():
    marks = [Marks(0, 0, 120), Marks(1, 10, 40)]
    report = offsets_report("events", marks, {1: 10}, group_offsets={0: 90})
    assert [p["group_lag"] for p in report["partitions"]] == [30, 30]
    assert [p["lag"] for p in report["partitions"]] == [120, 30]


def test_nothing_new_says_whether_events_were_expected():
    marks = [Marks(0, 0, 7)]
    with pytest.raises(NothingNew, match="although events were generated"):
        offsets_report("events", marks, {0: 7}, expect_new=True)
    with pytest.raises(NothingNew) as caught:
        offsets_report("events", marks, {0: 7}, expect_new=False)
    assert "although" not in str(caught.value)


def test_messages_deleted_before_the_lake_read_them_are_reported_per_partition():
    marks = [Marks(0, 50, 80), Marks(1, 0, 10)]
    with pytest.raises(MessagesLost, match=r"partition 0: next unread offset 20, .* \(30 messages deleted\)"):
        offsets_report("events", marks, {0: 20})


def test_the_log_table_has_a_line_per_partition_and_the_total():
    report = offsets_report("events", [Marks(0, 0, 12), Marks(1, 3, 9)], {1: 4})
    lines = format_offsets_table(report).splitlines()
    assert lines[0].split() == ["partition", "low", "high", "ingested", "new", "lag"]
    assert lines[1].split() == ["0", "0", "12", "0", "12", "12"]
    assert lines[2].split() == ["1", "3", "9", "4", "5", "5"]
    assert lines[3].split() == ["total", "17"]
    grouped = offsets_report("events", [Marks(0, 0, 12)], {}, group_offsets={0: 2})
    assert format_offsets_table(grouped).splitlines()[1].split() == ["0", "0", "12", "0", "12", "12", "10"]

"""The logic behind the daily DAG's Python tasks, runnable and testable without Airflow.

The DAG (dags/game_events_daily.py) only wires these together; the Spark steps run through spark-submit.
By hand:  python -m game_events.cli daily check-offsets --date 2026-11-27
          python -m game_events.cli daily reconcile --date 2026-11-27
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

from game_events.kafka import BrokerUnavailable, topic_watermarks, wait_for_broker
from game_events.settings import Settings, load_settings


class NothingNew(RuntimeError):
    """The topic has no message the lake has not ingested yet."""


class MessagesLost(RuntimeError):
    """Retention deleted messages the pipeline has not ingested yet."""


class NotReconciled(RuntimeError):
    """The day's counts do not add up."""


@dataclass(frozen=True)
class PartitionOffsets:
    partition: int
    low: int  # oldest offset the broker still holds
    high: int  # next offset to be written
    ingested: int  # next offset the lake has not ingested (the ledger), 0 when never ingested

    @property
    def new(self) -> int:
        return max(0, self.high - self.ingested)


def check_offsets(settings: Settings | None = None, expect_new: bool = True) -> dict:
    """Per partition: watermarks and what is new since the last ingest (the lake's ledger).

    Raises BrokerUnavailable, MessagesLost (retention deleted what was never ingested: the same check
    filtered_writes makes before it reads), or NothingNew.
    """
    from game_events import lake

    settings = settings or load_settings()
    try:
        wait_for_broker(settings, timeout_s=15)
    except BrokerUnavailable as exc:
        raise BrokerUnavailable(f"cannot check offsets of topic {settings.kafka_topic!r}: {exc}") from None
    marks = topic_watermarks(settings.kafka_topic, settings)
    ingested = lake.committed_offsets(settings.kafka_topic, settings)
    return offsets_report(settings.kafka_topic, marks, ingested, expect_new=expect_new)


def offsets_report(topic: str, marks, ingested: dict[int, int], group_offsets: dict[int, int] | None = None,
                   expect_new: bool = True) -> dict:
    """The per-partition report from watermarks (objects with partition/low/high) and the ledger.

    Consumer lag is high - ledger offset (the pipeline's committed position lives in the lake's
    manifests, not in a consumer group); with `group_offsets` (a Kafka consumer group's committed
    offsets, partitions without a commit missing) each partition also gets `group_lag` = high - that
    offset (high - low when the group never committed). Raises MessagesLost or NothingNew.
    """
    from game_events import lake

    try:
        lake.plan_offset_ranges(topic, ingested, marks)
    except lake.RetentionLoss as exc:
        raise MessagesLost(str(exc)) from None
    partitions = [PartitionOffsets(m.partition, m.low, m.high, ingested.get(m.partition, 0)) for m in marks]
    rows = [asdict(p) | {"new": p.new, "lag": p.new} for p in partitions]
    if group_offsets is not None:
        for row, mark in zip(rows, partitions):
            row["group_lag"] = mark.high - max(group_offsets.get(mark.partition, mark.low), mark.low)
    report = {"topic": topic, "partitions": rows, "new_messages": sum(p.new for p in partitions)}
    if report["new_messages"] == 0:
        raise NothingNew(f"no new messages on {topic!r} since the last ingest"
                         + (" although events were generated" if expect_new else ""))
    return report


def format_offsets_table(report: dict) -> str:
    """A small fixed-width table for logs: one line per partition, then the total of new messages."""
    group = any("group_lag" in p for p in report["partitions"])
    columns = ["partition", "low", "high", "ingested", "new", "lag"] + (["group_lag"] if group else [])
    lines = [" ".join(f"{name:>10}" for name in columns)]
    for p in report["partitions"]:
        lines.append(" ".join(f"{p.get(name, ''):>10}" for name in columns))
    lines.append(" ".join(f"{value:>10}" for value in ["total", "", "", "", report["new_messages"]]))
    return "\n".join(lines)


def reconcile_day(day: date, settings: Settings | None = None) -> dict:
    """Fail unless D's manifests reconcile, the lake holds what they say, and the report agrees with both."""
    from game_events import lake

    settings = settings or load_settings()
    problems = []
    for manifest in lake.read_manifests(day, settings):
        problems += [f"run {manifest.get('run_id')}: {p}" for p in lake.reconcile(manifest)]
    figures = lake.date_summary(day, settings)
    rows_in_lake = _rows_in_partition(lake.event_date_dir(day, settings))
    if figures["runs"] and rows_in_lake != figures["written_rows"]:
        problems.append(f"the lake holds {rows_in_lake} rows for {day}, the last manifest says "
                        f"{figures['written_rows']}")
    summary_path = settings.artifacts_dir / day.isoformat() / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else None
    if summary is None:
        problems.append(f"no published artifacts for {day} ({summary_path} is missing)")
    elif summary["lake_rows"] != rows_in_lake:
        problems.append(f"the report counts {summary['lake_rows']} events for {day} ({summary['events']} of players, "
                        f"{summary['automation_events']} of automation), the lake holds {rows_in_lake}")
    if problems:
        raise NotReconciled(f"{day} does not reconcile: " + "; ".join(problems))
    return {"date": day.isoformat(), "rows_in_lake": rows_in_lake, "runs": figures["runs"],
            "duplicates": figures["duplicates"], "quarantined": figures["quarantined"],
            "restated": figures["restated"]}


def _rows_in_partition(path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in path.rglob("*.parquet")) if path.exists() else 0

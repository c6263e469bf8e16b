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
        return max(0, self.high - max(self.ingested, self.low))

    @property
    def lost(self) -> int:
        # Messages past the ledger that retention already deleted.
        return max(0, self.low - self.ingested)


def offsets_since_ingest(settings: Settings | None = None, ingested: dict[int, int] | None = None,
                         timeout_s: float = 10.0) -> list[PartitionOffsets]:
    """Per partition: watermarks and what is new since the last ingest (ledger offsets `ingested`)."""
    settings = settings or load_settings()
    try:
        wait_for_broker(settings, timeout_s=timeout_s)
    except BrokerUnavailable as exc:
        raise BrokerUnavailable(f"cannot check offsets of topic {settings.kafka_topic!r}: {exc}") from None
    ingested = ingested if ingested is not None else _ledger_offsets(settings)
    return [PartitionOffsets(m.partition, m.low, m.high, ingested.get(m.partition, 0))
            for m in topic_watermarks(settings.kafka_topic, settings, timeout_s)]


def _ledger_offsets(settings: Settings) -> dict[int, int]:
    from game_events import lake

    return lake.read_ledger(settings, settings.kafka_topic)


def check_offsets(settings: Settings | None = None, expect_new: bool = True) -> dict:
    """The offsets report for the DAG: raises MessagesLost, or NothingNew when nothing arrived."""
    settings = settings or load_settings()
    partitions = offsets_since_ingest(settings)
    report = {"topic": settings.kafka_topic, "partitions": [asdict(p) | {"new": p.new, "lost": p.lost}
                                                              for p in partitions],
              "new_messages": sum(p.new for p in partitions)}
    lost = [p for p in partitions if p.lost]
    if lost:
        detail = ", ".join(f"partition {p.partition}: next to ingest {p.ingested}, oldest held {p.low}"
                           for p in lost)
        raise MessagesLost(f"Kafka retention deleted {sum(p.lost for p in lost)} messages of topic "
                           f"{settings.kafka_topic!r} that were never ingested ({detail})")
    if report["new_messages"] == 0:
        raise NothingNew(f"no new messages on {settings.kafka_topic!r} since the last ingest"
                         + (" although events were generated" if expect_new else ""))
    return report


def format_offsets_table(report: dict) -> str:
    lines = [f"{'partition':>9} {'low':>10} {'high':>10} {'ingested':>10} {'new':>10}"]
    for p in report["partitions"]:
        lines.append(f"{p['partition']:>9} {p['low']:>10} {p['high']:>10} {p['ingested']:>10} {p['new']:>10}")
    lines.append(f"{'total':>9} {'':>10} {'':>10} {'':>10} {report['new_messages']:>10}")
    return "\n".join(lines)


def reconcile_day(day: date, settings: Settings | None = None) -> dict:
    """Fail unless the latest manifest covering `day` reconciles and the day's artifacts agree with it."""
    from game_events import lake

    settings = settings or load_settings()
    manifest = lake.latest_manifest_for(settings, day)
    if manifest is None:
        raise NotReconciled(f"no filtered_writes manifest covers {day}")
    problems = lake.reconcile(manifest)
    summary_path = settings.artifacts_dir / day.isoformat() / "summary.json"
    if not summary_path.exists():
        problems.append(f"no published artifacts for {day} ({summary_path} is missing)")
    if problems:
        raise NotReconciled(f"{day} does not reconcile: " + "; ".join(problems))
    return {"date": day.isoformat(), "run_id": manifest.get("run_id"),
            "summary": json.loads(summary_path.read_text())}

"""A stand-in for filtered_writes in the analysis tests: generated events written straight to a lake.

It writes what the lake contract promises (data/lake/events/event_date=D/event_type=T/*.parquet with
game_events.lake.LAKE_COLUMNS) and one manifest per ingest (game_events.lake's format; it reconciles),
so the analyses can be tested without a broker or the real job. It keeps filtered_writes'
semantics that matter to the analyses: one copy per event_id (the earliest received) and every event
in the day of its event_ts. The derived columns (host_provider, ua_*, client_class, is_bot) come from
filtered_writes' own enrichment functions (spark/ingest/enrich.py), so the analysis tests see what the
real job writes; their expected values come from the generator's truth, which knows every client from
the catalog, never from these functions.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from game_events import contract, lake
from game_events.settings import load_settings
from spark.ingest.enrich import host_provider, user_agent_fields

# A day has a few hundred hosts and a dozen agents: parse each once, as the real job does.
_provider_of = lru_cache(maxsize=None)(host_provider)
_client_of = lru_cache(maxsize=None)(user_agent_fields)


_ARROW_TYPES = {"string": pa.string(), "bigint": pa.int64(), "int": pa.int32(), "boolean": pa.bool_(),
                "timestamp": pa.timestamp("us", tz="UTC")}
# The lake's Parquet columns as game_events.lake defines them (partition columns live in folder names).
SCHEMA = pa.schema([pa.field(name, _ARROW_TYPES[kind]) for name, kind in lake.LAKE_COLUMNS
                    if name not in lake.PARTITION_COLUMNS])
_STORED = [name for name in SCHEMA.names if name in contract.FIELD_NAMES]
_TIMESTAMPS = {f.name for f in contract.ALL_FIELDS if f.kind is contract.Kind.TIMESTAMP}


def lake_row(event: dict[str, Any], offset: int) -> dict[str, Any]:
    row = {name: contract.parse_ts(event[name]) if name in _TIMESTAMPS else event.get(name) for name in _STORED}
    client = _client_of(event.get("user_agent"))
    row.update(host_provider=_provider_of(event.get("host")), ua_family=client.family, ua_os=client.os,
               ua_device=client.device, client_class=client.client_class, is_bot=client.is_bot,
               kafka_partition=0, kafka_offset=offset)
    return row


def distinct_by_day(events: list[dict[str, Any]]) -> dict[date, list[dict[str, Any]]]:
    """One copy per event_id (earliest received_at), grouped by the UTC day of event_ts."""
    earliest: dict[str, dict[str, Any]] = {}
    for event in events:
        kept = earliest.get(event["event_id"])
        if kept is None or event["received_at"] < kept["received_at"]:
            earliest[event["event_id"]] = event
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for event in earliest.values():
        by_day[contract.parse_ts(event["event_ts"]).date()].append(event)
    return by_day


def write_day(events_dir: Path, day: date, events: list[dict[str, Any]]) -> int:
    """Replace D's partition with `events`; returns the rows written."""
    day_dir = events_dir / f"event_date={day.isoformat()}"
    for old in day_dir.rglob("*.parquet"):
        old.unlink()
    for event_type in contract.EVENT_TYPES:
        rows = [lake_row(e, i) for i, e in enumerate(events) if e["event_type"] == event_type]
        if rows:
            folder = day_dir / f"event_type={event_type}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), folder / "part-00000.parquet")
    return len(events)


class LakeBuilder:
    """A lake under data_dir that grows run by run, like filtered_writes' (one manifest per run)."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.events: list[dict[str, Any]] = []  # every valid event ingested so far, duplicates included
        self.offset = 0  # the next offset of the imaginary topic

    def ingest(self, events: list[dict[str, Any]], run_id: str, requested: date, malformed: int = 0,
               finished_at: datetime | None = None) -> dict[str, Any]:
        """Add a run's valid events (and count its malformed records); rewrite the days they touch."""
        before_run = distinct_by_day(self.events)
        self.events += events
        by_day = distinct_by_day(self.events)
        touched = sorted({contract.parse_ts(e["event_ts"]).date() for e in events} | {requested})
        per_date = {}
        for day in touched:
            in_run = [e for e in events if contract.parse_ts(e["event_ts"]).date() == day]
            quarantined = malformed if day == requested else 0
            before = before_run.get(day, [])
            written = len(by_day.get(day, [])) - len(before)
            per_date[day.isoformat()] = {
                "read": len(in_run) + quarantined, "valid": len(in_run), "duplicates": len(in_run) - written,
                "quarantined": quarantined,
                "quarantined_by_reason": {"malformed_json": quarantined} if quarantined else {},
                "written": written,
                "written_rows": write_day(self.data_dir / "lake" / "events", day, by_day.get(day, [])),
                "restated": bool(before) and written > 0, "late_events": written if day < requested else 0}
        totals = {name: sum(d[name] for d in per_date.values())
                  for name in ("read", "valid", "duplicates", "quarantined", "written")}
        totals["quarantined_by_reason"] = {"malformed_json": malformed} if malformed else {}
        self.offset += totals["read"]
        moment = (finished_at or datetime.combine(requested, datetime.min.time(), timezone.utc)).isoformat()
        manifest = {
            "run_id": run_id, "requested_date": requested.isoformat(), "code_version": "lake_builder",
            "schema_version": contract.SCHEMA_VERSION, "started_at": moment, "finished_at": moment,
            "offsets": [{"topic": "events", "partition": 0, "from": self.offset - totals["read"], "to": self.offset}],
            "counts": totals, "per_date": per_date,
            "dates_written": [day for day, figures in per_date.items() if figures["read"] > 0],
            "restated_dates": [day for day, figures in per_date.items() if figures["restated"]],
        }
        settings = dataclasses.replace(load_settings(), data_dir=self.data_dir)
        with lake.ledger_lock(settings):
            lake.write_manifest(manifest, settings)
        return manifest


def build_generated_days(data_dir: Path, days: list[date], n_events: int, seed: int = 0,
                         outages: dict | None = None, **faults: float) -> list:
    """Generate each day, ingest it as its own run and write its truth file, as the DAG would.
    `outages` maps a day to the generator's Outage for that day (a deviation the report must flag)."""
    from game_events.generator import generate_day, write_truth

    builder = LakeBuilder(data_dir)
    generated = []
    for day in days:
        generated_day = generate_day(day, n_events, seed, outage=(outages or {}).get(day), **faults)
        builder.ingest(generated_day.events, f"build-{day.isoformat()}", day,
                       malformed=len(generated_day.malformed))
        write_truth(generated_day, data_dir / "truth")
        generated.append(generated_day)
    return generated

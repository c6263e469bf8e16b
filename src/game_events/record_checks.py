"""The contract's verdict on raw Kafka records, one Arrow batch at a time (pure Python, no pyspark).

`check_raw_batches` is the exact route of filtered_writes' validation (spark/ingest/validation.py runs it
with mapInArrow over the records its fast gate did not clear): every record goes through
serde.decode_event and contract.validate, so its problems and reason codes are exactly the contract's.
It lives in the core package so that Spark's Python workers import it from wherever the project is
installed or shipped (`--py-files` on a cluster).

    batches = check_raw_batches([pyarrow.RecordBatch.from_pydict({"raw_value": [b'{"x": 1}'], ...})])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import pyarrow as pa

from game_events import contract
from game_events.contract import ALL_FIELDS, Kind
from game_events.lake import SPARK_TYPES
from game_events.serde import DecodeError, decode_event

COORDINATES = ("topic", "kafka_partition", "kafka_offset", "kafka_timestamp")
_UTC_MICROS = pa.timestamp("us", tz="UTC")
_ARROW_TYPES = {Kind.STRING: pa.string(), Kind.INTEGER: pa.int64(), Kind.TIMESTAMP: _UTC_MICROS}
# Output: coordinates, raw_value (refused only), reason, problems, event_ts_date, then the typed fields.
SCHEMA = pa.schema(
    [pa.field("topic", pa.string()), pa.field("kafka_partition", pa.int32()), pa.field("kafka_offset", pa.int64()),
     pa.field("kafka_timestamp", _UTC_MICROS), pa.field("raw_value", pa.binary()), pa.field("reason", pa.string()),
     pa.field("problems", pa.list_(pa.string())), pa.field("event_ts_date", pa.date32())]
    + [pa.field(f.name, _ARROW_TYPES[f.kind]) for f in ALL_FIELDS])
SPARK_DDL = ", ".join(
    ["topic string", "kafka_partition int", "kafka_offset bigint", "kafka_timestamp timestamp", "raw_value binary",
     "reason string", "problems array<string>", "event_ts_date date"]
    + [f"{f.name} {SPARK_TYPES[f.kind]}" for f in ALL_FIELDS])
_TS_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def problems_of(raw: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """(the decoded event or None, its problems as "reason:field" / "reason" texts, [] when valid)."""
    try:
        event = decode_event(raw)
    except DecodeError as exc:
        return None, [str(exc.reason)]
    return event, [f"{p.reason}:{p.field}" if p.field is not None else str(p.reason) for p in contract.validate(event)]


def sound_event_ts_date(event: dict[str, Any] | None, problems: list[str]) -> date | None:
    """The date of event_ts when it is a sound contract timestamp (refused records are dated by it)."""
    text = event.get("event_ts") if event is not None else None
    if not isinstance(text, str) or any(p.endswith(":event_ts") for p in problems) or not _TS_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def check_raw_batches(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches of (COORDINATES, raw_value) -> batches of SCHEMA: typed values for valid records, raw bytes,
    reason and problems for refused ones."""
    for batch in batches:
        columns = batch.to_pydict()
        out: dict[str, list] = {name: [] for name in SCHEMA.names}
        for index, raw in enumerate(columns["raw_value"]):
            for name in COORDINATES:
                out[name].append(columns[name][index])
            event, problems = problems_of(raw)
            valid = not problems
            out["raw_value"].append(None if valid else raw)
            out["reason"].append(problems[0].split(":", 1)[0] if problems else None)
            out["problems"].append(problems)
            out["event_ts_date"].append(sound_event_ts_date(event, problems))
            for f in ALL_FIELDS:
                value = event.get(f.name) if valid else None
                out[f.name].append(contract.parse_ts(value) if value is not None and f.kind is Kind.TIMESTAMP else value)
        yield pa.RecordBatch.from_pydict(out, schema=SCHEMA)

"""The event contract: the only place a game event is defined.

An event is one flat JSON object. Its fields, their types and rules, the event types and the schema
version are declared once below (`COMMON_FIELDS`, `TYPE_FIELDS`); everything else is derived from them:

- `validate(event)` lists *every* problem of an event, each with its field and a reason code;
- `json_schema()` exports JSON Schema (the API's OpenAPI document embeds it);
- `spark_schema()` gives the Spark `StructType` that filtered_writes parses with;
- `purchase_item(...)` / `join_guild(...)` build events (the generator uses them).

The API validates with this module, the generator builds with it, Spark's schema comes from it and the
tests round-trip through it, so a field renamed here is renamed everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum, StrEnum
from typing import Any

SCHEMA_VERSION = 1
PURCHASE_ITEM = "purchase_item"
JOIN_GUILD = "join_guild"
EVENT_TYPES = (PURCHASE_ITEM, JOIN_GUILD)
ITEM_TYPES = ("sword", "shield", "helmet", "knife", "gauntlets")


class Reason(StrEnum):
    """Why a record is refused. The API reports these and the lake's quarantine stores them."""

    MALFORMED_JSON = "malformed_json"  # not parseable as UTF-8 JSON
    NOT_AN_OBJECT = "not_an_object"  # valid JSON, but not a {...} object
    MISSING_FIELD = "missing_field"  # a required field is absent or null
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNKNOWN_FIELD = "unknown_field"  # a field the contract does not define for this event type
    WRONG_TYPE = "wrong_type"  # e.g. a string where an integer belongs, or a nested value
    BAD_VALUE = "bad_value"  # right type, value outside its rules (range, pattern, enum, length)


class Kind(Enum):
    STRING = "string"
    INTEGER = "integer"
    TIMESTAMP = "timestamp"  # RFC 3339 string in UTC, e.g. 2026-11-27T13:45:01.123456Z


class Source(Enum):
    """Who supplies a field when an event comes through the API."""

    CLIENT = "client"  # the client must send it
    CLIENT_OR_API = "client_or_api"  # the client may send it; the API fills it when absent
    API = "api"  # the API sets it from the request; a client's value is replaced


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: bool = True  # present and not null in a stored event
    source: Source = Source.CLIENT
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None


_UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$"

COMMON_FIELDS: tuple[Field, ...] = (
    Field("event_id", Kind.STRING, "UUID of the event; a client retry keeps it, so duplicates can be dropped.",
          source=Source.CLIENT_OR_API, pattern=_UUID_PATTERN),
    Field("event_type", Kind.STRING, "What the player did.", enum=EVENT_TYPES),
    Field("event_ts", Kind.TIMESTAMP, "When the player acted (UTC); defaults to the time the API received it.",
          source=Source.CLIENT_OR_API),
    Field("received_at", Kind.TIMESTAMP, "When the API received the event (UTC).", source=Source.API),
    Field("user_id", Kind.STRING, "The player.", pattern=r"^[A-Za-z0-9_.@-]{1,64}$"),
    Field("host", Kind.STRING, "The request's Host header.", required=False, source=Source.API, max_length=255),
    Field("user_agent", Kind.STRING, "The request's User-Agent header.", required=False, source=Source.API,
          max_length=512),
    Field("accept", Kind.STRING, "The request's Accept header.", required=False, source=Source.API,
          max_length=255),
    Field("client_ip", Kind.STRING, "Client address, anonymised (IPv4 /24, IPv6 /48).", required=False,
          source=Source.API, max_length=45),
    Field("schema_version", Kind.INTEGER, "Version of this contract the event follows.",
          source=Source.CLIENT_OR_API, minimum=1, maximum=SCHEMA_VERSION),
)

TYPE_FIELDS: dict[str, tuple[Field, ...]] = {
    PURCHASE_ITEM: (
        Field("item_type", Kind.STRING, "The item bought.", enum=ITEM_TYPES),
        Field("price_cents", Kind.INTEGER, "Unit price in cents.", minimum=0, maximum=100_000_000),
        Field("quantity", Kind.INTEGER, "Units bought.", minimum=1, maximum=1_000),
        Field("currency", Kind.STRING, "ISO 4217 code of the price.", pattern=r"^[A-Z]{3}$"),
    ),
    JOIN_GUILD: (
        Field("guild_id", Kind.STRING, "Stable id of the guild.", pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
        Field("guild_name", Kind.STRING, "Display name of the guild.", max_length=100),
    ),
}

# Every field an event of any type can carry, in one stable order (the Parquet column order).
ALL_FIELDS: tuple[Field, ...] = COMMON_FIELDS + tuple(f for fs in TYPE_FIELDS.values() for f in fs)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in ALL_FIELDS)
_FIELDS_BY_NAME = {f.name: f for f in ALL_FIELDS}
_COMPILED = {f.name: re.compile(f.pattern) for f in ALL_FIELDS if f.pattern}
_TIMESTAMP_RE = re.compile(_TIMESTAMP_PATTERN)


def fields_for(event_type: str) -> tuple[Field, ...]:
    """The fields an event of this type has (common ones first). KeyError for an unknown type."""
    return COMMON_FIELDS + TYPE_FIELDS[event_type]


@dataclass(frozen=True)
class Problem:
    field: str | None  # None when the problem is the record as a whole
    reason: Reason
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "reason": str(self.reason), "message": self.message}


# --- timestamps -----------------------------------------------------------------------------------

def format_ts(moment: datetime) -> str:
    """The contract's timestamp text: UTC, microseconds, 'Z'."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_ts(text: str) -> datetime:
    """Parse a contract timestamp into an aware UTC datetime; ValueError if it is not one."""
    if not isinstance(text, str) or not _TIMESTAMP_RE.match(text):
        raise ValueError(f"not an RFC 3339 UTC timestamp: {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


# --- validation -----------------------------------------------------------------------------------

def _check_value(f: Field, value: Any) -> Problem | None:
    if f.kind is Kind.INTEGER:
        # bool is an int in Python but not in JSON; floats such as 2.0 are refused too.
        if isinstance(value, bool) or not isinstance(value, int):
            return Problem(f.name, Reason.WRONG_TYPE, f"{f.name} must be an integer")
        if f.minimum is not None and value < f.minimum:
            return Problem(f.name, Reason.BAD_VALUE, f"{f.name} must be >= {f.minimum}")
        if f.maximum is not None and value > f.maximum:
            return Problem(f.name, Reason.BAD_VALUE, f"{f.name} must be <= {f.maximum}")
        return None
    if not isinstance(value, str):
        return Problem(f.name, Reason.WRONG_TYPE, f"{f.name} must be a string")
    if f.kind is Kind.TIMESTAMP:
        try:
            parse_ts(value)
        except ValueError:
            return Problem(f.name, Reason.BAD_VALUE,
                           f"{f.name} must be an RFC 3339 UTC timestamp such as 2026-01-31T12:00:00.000Z")
        return None
    if f.required and value == "":
        return Problem(f.name, Reason.MISSING_FIELD, f"{f.name} must not be empty")
    if f.max_length is not None and len(value) > f.max_length:
        return Problem(f.name, Reason.BAD_VALUE, f"{f.name} is longer than {f.max_length} characters")
    if f.enum is not None and value not in f.enum:
        return Problem(f.name, Reason.BAD_VALUE, f"{f.name} must be one of {', '.join(f.enum)}")
    if f.pattern is not None and not _COMPILED[f.name].match(value):
        return Problem(f.name, Reason.BAD_VALUE, f"{f.name} does not match {f.pattern}")
    return None


def validate(event: Any) -> list[Problem]:
    """Every problem of a stored event (as it sits in Kafka), not only the first. [] means valid."""
    if not isinstance(event, Mapping):
        return [Problem(None, Reason.NOT_AN_OBJECT, "an event must be a JSON object")]
    problems: list[Problem] = []
    event_type = event.get("event_type")
    known_type = isinstance(event_type, str) and event_type in TYPE_FIELDS
    if event_type is not None and not known_type:
        problems.append(Problem("event_type", Reason.UNKNOWN_EVENT_TYPE,
                                f"event_type must be one of {', '.join(EVENT_TYPES)}"))
    # With an unknown type only the common fields can be judged.
    expected = fields_for(event_type) if known_type else COMMON_FIELDS
    for f in expected:
        if f.name == "event_type" and event_type is not None:
            continue
        value = event.get(f.name)
        if value is None:
            if f.required:
                problems.append(Problem(f.name, Reason.MISSING_FIELD, f"{f.name} is required"))
            continue
        problem = _check_value(f, value)
        if problem is not None:
            problems.append(problem)
    if known_type:
        allowed = {f.name for f in expected}
        for name in event:
            if name not in allowed:
                problems.append(Problem(str(name), Reason.UNKNOWN_FIELD,
                                        f"{name} is not a field of {event_type} events"))
    return problems


# --- building events ------------------------------------------------------------------------------

def _common(event_type: str, *, event_id: str, event_ts: datetime, received_at: datetime, user_id: str,
            host: str | None, user_agent: str | None, accept: str | None, client_ip: str | None) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_ts": format_ts(event_ts),
        "received_at": format_ts(received_at),
        "user_id": user_id,
        "host": host,
        "user_agent": user_agent,
        "accept": accept,
        "client_ip": client_ip,
        "schema_version": SCHEMA_VERSION,
    }


def purchase_item(*, item_type: str, price_cents: int, quantity: int = 1, currency: str = "USD",
                  **common: Any) -> dict[str, Any]:
    """A purchase_item event (see `_common` for the shared keyword arguments)."""
    event = _common(PURCHASE_ITEM, **common)
    event.update(item_type=item_type, price_cents=price_cents, quantity=quantity, currency=currency)
    return event


def join_guild(*, guild_id: str, guild_name: str, **common: Any) -> dict[str, Any]:
    """A join_guild event (see `_common` for the shared keyword arguments)."""
    event = _common(JOIN_GUILD, **common)
    event.update(guild_id=guild_id, guild_name=guild_name)
    return event


# --- derived schemas ------------------------------------------------------------------------------

def _json_type(f: Field, for_client: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": f.description}
    if f.kind is Kind.INTEGER:
        schema["type"] = "integer"
        if f.minimum is not None:
            schema["minimum"] = f.minimum
        if f.maximum is not None:
            schema["maximum"] = f.maximum
    else:
        schema["type"] = "string"
        if f.kind is Kind.TIMESTAMP:
            schema["format"] = "date-time"
            schema["pattern"] = _TIMESTAMP_PATTERN
        if f.enum is not None:
            schema["enum"] = list(f.enum)
        if f.pattern is not None:
            schema["pattern"] = f.pattern
        if f.max_length is not None:
            schema["maxLength"] = f.max_length
        if f.required and f.kind is Kind.STRING:
            schema["minLength"] = 1
    if not f.required or (for_client and f.source is not Source.CLIENT):
        schema["type"] = [schema["type"], "null"]
    return schema


def json_schema(for_client: bool = False) -> dict[str, Any]:
    """JSON Schema (2020-12) of an event: one object schema per event type.

    for_client=True describes what a client sends to the API: fields the API fills may be left out.
    """
    variants = []
    for event_type in EVENT_TYPES:
        fields = fields_for(event_type)
        properties = {f.name: _json_type(f, for_client) for f in fields}
        properties["event_type"] = {"const": event_type, "description": _FIELDS_BY_NAME["event_type"].description}
        required = [f.name for f in fields
                    if f.required and (not for_client or f.source is Source.CLIENT)]
        variants.append({"title": event_type, "type": "object", "properties": properties,
                         "required": required, "additionalProperties": False})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "GameEvent" if not for_client else "GameEventInput",
        "description": f"A game event, schema version {SCHEMA_VERSION}.",
        "oneOf": variants,
    }


def spark_schema():
    """The Spark StructType of an event: every field of every type, flat, in `FIELD_NAMES` order.

    Timestamps are `TimestampType` (Spark parses the RFC 3339 text); fields of other event types are
    nullable. Imports pyspark lazily so that the API and the DAG never need it.
    """
    from pyspark.sql import types as T

    spark_types = {Kind.STRING: T.StringType(), Kind.INTEGER: T.LongType(), Kind.TIMESTAMP: T.TimestampType()}
    return T.StructType([T.StructField(f.name, spark_types[f.kind], nullable=True) for f in ALL_FIELDS])

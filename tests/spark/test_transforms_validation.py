"""The Spark checks agree with game_events.contract.validate, record by record, reason by reason.

Each case is raw bytes as they could sit in Kafka; the expected problems come from the contract's own
Python validator (through serde), so the test cannot drift from the contract.
"""

from __future__ import annotations

import orjson
import pytest

from game_events import contract
from game_events.serde import DecodeError, decode_event
from spark.ingest.validation import check_records
from tests.factories import a_guild_join, a_purchase


def _json(event: dict) -> bytes:
    return orjson.dumps(event)


def _without(event: dict, name: str) -> dict:
    return {k: v for k, v in event.items() if k != name}


CASES: dict[str, bytes] = {
    "valid purchase": _json(a_purchase()),
    "valid guild join": _json(a_guild_join()),
    "valid with surrounding whitespace": b"  \n" + _json(a_purchase()) + b"\t ",
    "valid without optional headers": _json(a_purchase(host=None, user_agent=None, accept=None, client_ip=None)),
    "valid: optional fields absent": _json(_without(_without(a_guild_join(), "host"), "client_ip")),
    "valid: numeric-looking strings": _json(a_guild_join(user_id="12345", guild_id="007", guild_name="true")),
    "valid: +00:00 offset": _json(a_purchase(event_ts="2026-11-27T23:59:59.999+00:00")),
    "missing user_id": _json(_without(a_purchase(), "user_id")),
    "null user_id": _json(a_purchase(user_id=None)),
    "empty user_id": _json(a_purchase(user_id="")),
    "missing several": _json(_without(_without(a_guild_join(), "event_id"), "guild_name")),
    "missing event_type": _json(_without(a_purchase(), "event_type")),
    "unknown event type": _json(a_purchase(event_type="sell_item")),
    "unknown type and bad common field": _json(a_purchase(event_type="sell_item", user_id="a b")),
    "numeric event type": _json(a_purchase(event_type=5)),
    "unknown field": _json(a_purchase(colour="red")),
    "other type's field, null": _json(a_purchase(guild_id=None)),
    "price as string": _json(a_purchase(price_cents="1299")),
    "quantity as float": _json(a_purchase(quantity=2.0)),
    "quantity as exponent": _json(a_purchase(quantity=1e3)),
    "quantity as bool": _json(a_purchase(quantity=True)),
    "user_id as number": _json(a_purchase(user_id=12345)),
    "guild_name as bool": _json(a_guild_join(guild_name=True)),
    "host as object": _json(a_purchase(host={"name": "x"})),
    "user_agent as array": _json(a_purchase(user_agent=["a"])),
    "event_ts as number": _json(a_purchase(event_ts=1700000000)),
    "negative price": _json(a_purchase(price_cents=-1)),
    "quantity too big": _json(a_purchase(quantity=1001)),
    "schema version too new": _json(a_purchase(schema_version=2)),
    "bad item": _json(a_purchase(item_type="axe")),
    "bad currency": _json(a_purchase(currency="usd")),
    "guild name too long": _json(a_guild_join(guild_name="x" * 101)),
    "bad uuid": _json(a_purchase(event_id="not-a-uuid")),
    "timestamp without zone": _json(a_purchase(event_ts="2026-11-27T13:45:01")),
    "timestamp other zone": _json(a_purchase(event_ts="2026-11-27T13:45:01+02:00")),
    "impossible date": _json(a_purchase(received_at="2026-02-30T10:00:00Z")),
    "empty timestamp": _json(a_purchase(event_ts="")),
    "truncated json": _json(a_purchase())[:-7],
    "garbage": b"this is not json",
    "empty": b"",
    "invalid utf-8": _json(a_purchase()).replace(b"user7", b"us\xffr7", 1),
    "single quotes": b"{'event_id': 'x'}",
    "NaN": _json(a_purchase())[:-1] + b', "quantity": NaN}',
    "trailing text": _json(a_purchase()) + b" trailing",
    "json array": b"[1, 2]",
    "json string": b'"purchase"',
    "json number": b"42",
    "json null": b"null",
}


def expected_problems(raw: bytes) -> list[str]:
    try:
        event = decode_event(raw)
    except DecodeError as exc:
        return [str(exc.reason)]
    return [f"{p.reason}:{p.field}" for p in contract.validate(event)]


@pytest.fixture(scope="module")
def checked(spark) -> dict[str, list[str]]:
    records = spark.createDataFrame([(name, bytearray(raw)) for name, raw in CASES.items()],
                                    "case string, raw_value binary")
    rows = check_records(records).select("case", "problems", "reason").collect()
    return {row.case: (list(row.problems), row.reason) for row in rows}


@pytest.mark.parametrize("case", list(CASES))
def test_spark_problems_equal_the_contract_validator(case, checked):
    problems, reason = checked[case]
    expected = expected_problems(CASES[case])
    assert problems == expected
    assert reason == (expected[0].split(":")[0] if expected else None)


def test_the_cases_cover_every_reason_code(checked):
    reasons = {reason for _, reason in checked.values()}
    assert reasons == {str(r) for r in contract.Reason} | {None}

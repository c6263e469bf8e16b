"""The event contract: what passes, what fails and why, and that every derived form agrees with it."""

from __future__ import annotations

from datetime import datetime, timezone

import jsonschema
import pytest

from game_events import contract
from game_events.contract import Reason
from game_events.serde import DecodeError, decode_event, encode_event
from tests.factories import MOMENT, a_guild_join, a_purchase

def reasons(event) -> set[tuple[str | None, str]]:
    return {(p.field, str(p.reason)) for p in contract.validate(event)}


def test_valid_events_of_both_types_pass():
    assert contract.validate(a_purchase()) == []
    assert contract.validate(a_guild_join()) == []


def test_optional_request_metadata_may_be_null():
    assert contract.validate(a_purchase(host=None, user_agent=None, accept=None, client_ip=None)) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda e: e.pop("user_id"), {("user_id", "missing_field")}),
        (lambda e: e.update(user_id=None), {("user_id", "missing_field")}),
        (lambda e: e.update(user_id=""), {("user_id", "missing_field")}),
        (lambda e: e.update(event_type="sell_item"), {("event_type", "unknown_event_type")}),
        (lambda e: e.update(price_cents="1299"), {("price_cents", "wrong_type")}),
        (lambda e: e.update(price_cents=12.5), {("price_cents", "wrong_type")}),
        (lambda e: e.update(quantity=True), {("quantity", "wrong_type")}),
        (lambda e: e.update(quantity={"n": 1}), {("quantity", "wrong_type")}),
        (lambda e: e.update(item_type=["sword"]), {("item_type", "wrong_type")}),
        (lambda e: e.update(price_cents=-1), {("price_cents", "bad_value")}),
        (lambda e: e.update(quantity=0), {("quantity", "bad_value")}),
        (lambda e: e.update(item_type="bazooka"), {("item_type", "bad_value")}),
        (lambda e: e.update(currency="usd"), {("currency", "bad_value")}),
        (lambda e: e.update(event_id="not-a-uuid"), {("event_id", "bad_value")}),
        (lambda e: e.update(event_ts="2026-11-27 13:45:01"), {("event_ts", "bad_value")}),
        (lambda e: e.update(event_ts="2026-11-27T13:45:01+02:00"), {("event_ts", "bad_value")}),
        (lambda e: e.update(event_ts="2026-13-27T13:45:01Z"), {("event_ts", "bad_value")}),
        (lambda e: e.update(schema_version=2), {("schema_version", "bad_value")}),
        (lambda e: e.update(host="h" * 256), {("host", "bad_value")}),
        (lambda e: e.update(guild_id="red-dragons"), {("guild_id", "unknown_field")}),
    ],
)
def test_each_kind_of_invalid_purchase_fails_with_its_reason(mutate, expected):
    event = a_purchase()
    mutate(event)
    assert reasons(event) == expected


def test_every_problem_is_reported_not_only_the_first():
    event = a_guild_join()
    del event["guild_name"]
    event.update(user_id=5, guild_id="Bad Id!", event_ts="yesterday", extra="x")
    assert reasons(event) == {
        ("guild_name", "missing_field"),
        ("user_id", "wrong_type"),
        ("guild_id", "bad_value"),
        ("event_ts", "bad_value"),
        ("extra", "unknown_field"),
    }


def test_unknown_event_type_still_judges_the_common_fields():
    event = {"event_type": "dance", "user_id": "u1"}
    found = reasons(event)
    assert ("event_type", "unknown_event_type") in found
    assert ("event_id", "missing_field") in found
    assert not any(reason == "unknown_field" for _, reason in found)


def test_non_objects_are_refused():
    assert reasons([1, 2]) == {(None, "not_an_object")}


def test_json_round_trip_is_lossless():
    for event in (a_purchase(), a_guild_join(), a_purchase(host=None, user_agent="Ünïcødé ✓")):
        assert decode_event(encode_event(event)) == event
        assert contract.validate(decode_event(encode_event(event))) == []


def test_timestamps_round_trip_through_their_text():
    assert contract.parse_ts(contract.format_ts(MOMENT)) == MOMENT
    assert contract.parse_ts("2026-11-27T00:00:00Z") == datetime(2026, 11, 27, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, reason", [(b"{not json", Reason.MALFORMED_JSON), (b"\xff\xfe{}", Reason.MALFORMED_JSON),
                                         (b"[]", Reason.NOT_AN_OBJECT), (b'"x"', Reason.NOT_AN_OBJECT)])
def test_decoding_bad_bytes_names_the_reason(raw, reason):
    with pytest.raises(DecodeError) as caught:
        decode_event(raw)
    assert caught.value.reason is reason


def test_json_schema_lists_the_contract_fields_per_type():
    schema = contract.json_schema()
    by_type = {variant["title"]: variant for variant in schema["oneOf"]}
    assert set(by_type) == set(contract.EVENT_TYPES)
    for event_type, variant in by_type.items():
        assert set(variant["properties"]) == {f.name for f in contract.fields_for(event_type)}
        assert variant["additionalProperties"] is False


def test_json_schema_agrees_with_validate():
    validator = jsonschema.Draft202012Validator(contract.json_schema())
    good = [a_purchase(), a_guild_join()]
    bad = [a_purchase(price_cents=-1), a_purchase(item_type="bazooka"), {**a_guild_join(), "quantity": 1}]
    for event in good:
        assert not list(validator.iter_errors(event))
    for event in bad:
        assert list(validator.iter_errors(event)) and contract.validate(event)


def test_client_schema_lets_the_api_fill_its_fields():
    client = contract.json_schema(for_client=True)
    purchase = next(v for v in client["oneOf"] if v["title"] == "purchase_item")
    assert set(purchase["required"]) == {"event_type", "user_id", "item_type", "price_cents", "quantity",
                                         "currency"}


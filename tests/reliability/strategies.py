"""Hypothesis strategies built from the event contract: events a client may send, and ways to break them.

Valid events draw every client field inside its contract rules (patterns, enums, ranges, lengths), so
whatever is drawn must be accepted; each mutation breaks exactly one rule the contract states, so
whatever it yields must be refused with that rule's reason.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from game_events import contract

DAY_START = datetime(2026, 11, 20, tzinfo=timezone.utc)
USER_IDS = st.from_regex(r"\A[A-Za-z0-9_.@-]{1,64}\Z")
GUILD_IDS = st.from_regex(r"\A[a-z0-9][a-z0-9_-]{0,63}\Z")
# Any text the contract allows, including non-ASCII and control characters: it must survive unchanged.
GUILD_NAMES = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=100)


def event_ts_on(day_start: datetime) -> st.SearchStrategy[str]:
    """A timestamp inside the day, with 0 to 6 fraction digits, as the contract writes them."""
    moments = st.integers(0, 86_400_000_000 - 1).map(lambda us: day_start + timedelta(microseconds=us))
    return moments.map(contract.format_ts)


def valid_events(day_start: datetime = DAY_START) -> st.SearchStrategy[dict]:
    common = {"event_id": st.uuids(version=4).map(str), "user_id": USER_IDS, "event_ts": event_ts_on(day_start)}
    purchase = st.fixed_dictionaries({
        **common, "event_type": st.just(contract.PURCHASE_ITEM),
        "item_type": st.sampled_from(contract.ITEM_TYPES), "price_cents": st.integers(0, 100_000_000),
        "quantity": st.integers(1, 1_000), "currency": st.from_regex(r"\A[A-Z]{3}\Z")})
    guild = st.fixed_dictionaries({
        **common, "event_type": st.just(contract.JOIN_GUILD), "guild_id": GUILD_IDS, "guild_name": GUILD_NAMES})
    return st.one_of(purchase, guild)


def _required_client_fields(event: dict) -> list[str]:
    return [f.name for f in contract.fields_for(event["event_type"])
            if f.required and f.source is contract.Source.CLIENT]


@st.composite
def broken_events(draw) -> tuple[dict, str]:
    """(a valid event with one rule broken, the contract reason it must be refused with)."""
    event = dict(draw(valid_events()))
    kind = draw(st.sampled_from(["missing", "wrong_type", "unknown_field", "unknown_type", "bad_value"]))
    if kind == "missing":
        del event[draw(st.sampled_from(_required_client_fields(event)))]
        return event, contract.Reason.MISSING_FIELD
    if kind == "wrong_type":
        # event_type decides which rules apply, so a wrong-typed event_type is an unknown type instead.
        name = draw(st.sampled_from([n for n in _required_client_fields(event) if n != "event_type"]))
        event[name] = draw(st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(), st.integers(),
                                                                                          max_size=1)))
        return event, contract.Reason.WRONG_TYPE
    if kind == "unknown_field":
        event[draw(st.from_regex(r"\Ax_[a-z]{1,10}\Z"))] = draw(st.text(max_size=5))
        return event, contract.Reason.UNKNOWN_FIELD
    if kind == "unknown_type":
        event["event_type"] = draw(st.text(min_size=1, max_size=20).filter(lambda t: t not in contract.EVENT_TYPES))
        return event, contract.Reason.UNKNOWN_EVENT_TYPE
    if event["event_type"] == contract.PURCHASE_ITEM:
        # Within 64 bits: beyond them the API already refuses the number as a wrong type, not a bad value.
        event["quantity"] = draw(st.one_of(st.integers(-2**63, 0), st.integers(1_001, 2**63 - 1)))
    else:
        event["guild_id"] = draw(st.from_regex(r"\A[A-Z_-][a-z0-9]{0,5}\Z"))
    return event, contract.Reason.BAD_VALUE


def fresh_event_id() -> str:
    return str(uuid.uuid4())

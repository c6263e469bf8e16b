"""Fault injection for the generator: exact duplicates, late events, malformed records and outages.

Pure helpers of `game_events.generator` (which owns the random stream they draw from):

- late events belong to the day before (event_ts in its last hours) but arrive early in the day; they
  get their own event_ids, so they are new events for the previous day, never copies of its events;
- duplicates are exact re-sends of the day's events (same event_id, same content), sent later;
- malformed records break the contract in every way the lake's quarantine must recognise;
- an outage takes a share of one provider's players offline for the day: their events of the day are
  not sent, so that provider's traffic drops and the day deviates from the days before it (what the
  report's deviation verdict must flag). Who is offline depends only on (day, seed, provider).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import orjson

_LATE_WINDOW = timedelta(hours=3)  # late events happened in the last 3 hours of the day before


def late_events(rng: random.Random, players: Sequence[Any], day: date, count: int,
                build_event: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """count valid events whose event_ts lies on the day before, received in the day's first hour."""
    midnight = datetime.combine(day, time(0), tzinfo=timezone.utc)
    window_us = int(_LATE_WINDOW.total_seconds() * 1_000_000)
    events = []
    for player in rng.choices(list(players), weights=[p.activity for p in players], k=count):
        event_ts = midnight - timedelta(microseconds=rng.randrange(1, window_us))
        received_at = midnight + timedelta(microseconds=rng.randrange(3_600_000_000))
        events.append(build_event(rng, player, day - timedelta(days=1), event_ts, received_at))
    return events


def place_in_send_order(rng: random.Random, on_day: list[dict[str, Any]], late: list[dict[str, Any]],
                        duplicate_count: int) -> tuple[list[dict[str, Any]], int]:
    """Interleave the day's events (in time order), late events (early in the stream) and duplicates
    (each after its original). Returns the send order and the number of duplicates placed."""
    n = len(on_day)
    keyed: list[tuple[float, dict[str, Any]]] = [(float(i), event) for i, event in enumerate(on_day)]
    early = max(1.0, 0.1 * n)
    keyed += [(rng.uniform(0.0, early), event) for event in late]
    originals = rng.sample(range(n), duplicate_count) if duplicate_count else []
    keyed += [(rng.uniform(i + 0.5, n), dict(on_day[i])) for i in originals]
    keyed.sort(key=lambda pair: pair[0])  # stable: equal keys keep their (deterministic) list order
    return [event for _, event in keyed], len(originals)


def _broken(kind: str, event: dict[str, Any]) -> bytes:
    event = dict(event)
    if kind == "truncated_json":
        text = orjson.dumps(event)
        return text[: len(text) // 2]
    if kind == "not_json":
        return b"GET /purchase/sword HTTP/1.1"
    if kind == "invalid_utf8":
        return b"\xff\xfe" + orjson.dumps(event)
    if kind == "array":
        return orjson.dumps([event])
    if kind == "missing_user_id":
        del event["user_id"]
    elif kind == "unknown_event_type":
        event["event_type"] = "dance"
    elif kind == "bad_timestamp":
        event["event_ts"] = "27/11/2026 13:45"
    elif kind == "wrong_type":
        event["schema_version"] = "1"
    elif kind == "unknown_field":
        event["cheat_mode"] = True
    return orjson.dumps(event)


MALFORMED_KINDS = ("truncated_json", "not_json", "invalid_utf8", "array", "missing_user_id",
                   "unknown_event_type", "bad_timestamp", "wrong_type", "unknown_field")


def malformed_records(rng: random.Random, players: Sequence[Any], day: date, count: int,
                      build_event: Callable[..., dict[str, Any]]) -> list[bytes]:
    """count raw records that each break the contract (kinds cycle through MALFORMED_KINDS)."""
    midnight = datetime.combine(day, time(0), tzinfo=timezone.utc)
    players = list(players)
    records = []
    for index in range(count):
        player = rng.choice(players)
        event_ts = midnight + timedelta(microseconds=rng.randrange(86_400_000_000))
        event = build_event(rng, player, day, event_ts, event_ts + timedelta(milliseconds=50))
        records.append(_broken(MALFORMED_KINDS[index % len(MALFORMED_KINDS)], event))
    return records


@dataclass(frozen=True)
class Outage:
    """`offline_share` of `provider`'s players cannot reach the game on the day (one of the catalog's domains)."""

    provider: str
    offline_share: float = 0.5

    @classmethod
    def parse(cls, text: str) -> Outage:
        """`comcast.com` (half its players offline) or `comcast.com:0.3`, as the CLI takes it."""
        provider, _, share = text.partition(":")
        return cls(provider.strip(), float(share) if share else 0.5)


def offline_players(outage: Outage, players: Sequence[Any], day: date, seed: int) -> set[str]:
    """The user_ids the outage takes offline: each player of the provider with chance offline_share, drawn
    from a stream of its own, so that the rest of the day is exactly the day without the outage."""
    domains = {player.provider.domain for player in players}
    if outage.provider not in domains:
        raise ValueError(f"outage of unknown provider {outage.provider!r}; choose from {', '.join(sorted(domains))}")
    if not 0.0 < outage.offline_share <= 1.0:
        raise ValueError(f"an outage's offline share must be in (0, 1], got {outage.offline_share}")
    rng = random.Random(f"outage:{day.isoformat()}:{seed}:{outage.provider}")
    return {player.user_id for player in players
            if player.provider.domain == outage.provider and rng.random() < outage.offline_share}

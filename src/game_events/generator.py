"""The event generator: one UTC day of players, deterministic, with the ground truth of what it made.

`generate_day(day, n_events, seed)` is pure: the same arguments give the same events, event_ids included,
so re-generating a day only creates duplicates that the pipeline removes. It returns a `GeneratedDay`:

- `.events`    valid events in send order: the day's `n_events` distinct events (every event_ts inside
               the UTC day; fewer with an outage, which drops its offline players' events), plus injected
               exact duplicates and late events (event_ts on the day before);
- `.malformed` raw records that break the contract, to be produced straight to Kafka;
- `.truth`     what the lake and the report should hold for the day (generator_truth.build_truth: business
               figures of player traffic, client figures of every event), written by `write_truth`.

Players are `user1..userK` (K grows with sqrt(n_events)); a player's provider, client and habits depend
only on (seed, user number), so the same players come back every day and trends can be followed.
`send_via_kafka` / `send_via_http` (in generator_send.py) deliver a day. From the shell:

    python -m game_events.cli generate --date 2026-11-27 --events 100000 [--via http|kafka] ...
"""

from __future__ import annotations

import json
import math
import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from game_events import contract
from game_events.generator_catalog import (CLIENTS, CURRENCY, GUILDS, HOURLY_ACTIVITY, ITEM_PRICES_CENTS,
                                           PROVIDERS, Client, Provider, host_for, item_weights)
from game_events.generator_faults import Outage, late_events, malformed_records, offline_players, place_in_send_order
from game_events.generator_send import Delivery, paused_gc, send_via_http, send_via_kafka
from game_events.generator_truth import build_truth, sorted_dict

__all__ = ["GeneratedDay", "Player", "Delivery", "Outage", "generate_day", "build_truth", "write_truth",
           "send_via_kafka", "send_via_http", "players_for"]

_GUILD_IDS = tuple(GUILDS)
_GUILD_WEIGHTS = tuple(1.0 / (rank + 1) for rank in range(len(_GUILD_IDS)))
_MICROS_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class Player:
    user_id: str
    host: str
    provider: Provider
    client: Client
    client_ip: str
    activity: float  # relative number of events per day (heavy-tailed: a few players play a lot)
    buy_propensity: float  # multiplies the provider's purchase share
    guilds: tuple[str, ...]  # the guilds this player joins, favourite first


@dataclass
class GeneratedDay:
    day: date
    seed: int
    n_events: int
    events: list[dict[str, Any]]
    malformed: list[bytes]
    truth: dict[str, Any]
    players: dict[str, Player] = field(repr=False, default_factory=dict)


def players_for(n_events: int, seed: int) -> list[Player]:
    """The players of a day with n_events events: K = 3*sqrt(n), between 10 and 20,000."""
    count = max(10, min(20_000, int(3 * math.sqrt(n_events))))
    return [_player(number, seed) for number in range(1, count + 1)]


def _player(number: int, seed: int) -> Player:
    # Seeded by (seed, number) only, so user7 keeps provider, client and habits from day to day.
    rng = random.Random(f"player:{seed}:{number}")
    provider = rng.choices(PROVIDERS, weights=[p.share for p in PROVIDERS])[0]
    client = rng.choices(CLIENTS, weights=[c.share for c in CLIENTS])[0]
    if rng.random() < 0.1:
        client_ip = f"2001:db8:{rng.randrange(1, 0xffff):x}::"
    else:
        client_ip = f"{provider.ipv4_first_octet}.{rng.randrange(256)}.{rng.randrange(256)}.0"
    guild_count = 1 if rng.random() < 0.7 else 2
    guilds = tuple(dict.fromkeys(rng.choices(_GUILD_IDS, weights=_GUILD_WEIGHTS, k=guild_count)))
    buy_propensity = 0.0 if rng.random() < 0.15 else rng.uniform(0.6, 1.4)
    return Player(user_id=f"user{number}", host=host_for(number, provider), provider=provider, client=client,
                  client_ip=client_ip, activity=rng.paretovariate(1.6), buy_propensity=buy_propensity,
                  guilds=guilds)


def _event_times(rng: random.Random, day: date, n: int) -> list[datetime]:
    """n moments inside the UTC day, following HOURLY_ACTIVITY, in increasing order."""
    midnight = datetime.combine(day, time(0), tzinfo=timezone.utc)
    hours = rng.choices(range(24), weights=HOURLY_ACTIVITY, k=n)
    micros = sorted(hour * _MICROS_PER_HOUR + rng.randrange(_MICROS_PER_HOUR) for hour in hours)
    return [midnight + timedelta(microseconds=m) for m in micros]


def new_event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_event(rng: random.Random, player: Player, day: date, event_ts: datetime,
                received_at: datetime, weekend_boost: float = 0.0) -> dict[str, Any]:
    """One valid event of a player at event_ts: a purchase or a guild join, by the player's habits."""
    common = dict(event_id=new_event_id(rng), event_ts=event_ts, received_at=received_at,
                  user_id=player.user_id, host=player.host, user_agent=player.client.user_agent,
                  accept=player.client.accept, client_ip=player.client_ip)
    purchase_chance = min(0.95, player.provider.purchase_share * player.buy_propensity + weekend_boost)
    if rng.random() < purchase_chance:
        item = rng.choices(contract.ITEM_TYPES, weights=item_weights(player.provider, day))[0]
        # Knives are bought by the handful; everything else mostly one at a time.
        quantity = rng.choice((1, 2, 3, 5)) if item == "knife" else (1 if rng.random() < 0.9 else 2)
        return contract.purchase_item(item_type=item, price_cents=ITEM_PRICES_CENTS[item], quantity=quantity,
                                      currency=CURRENCY, **common)
    guild_id = player.guilds[0] if rng.random() < 0.8 else rng.choice(player.guilds)
    return contract.join_guild(guild_id=guild_id, guild_name=GUILDS[guild_id], **common)


def generate_day(day: date, n_events: int, seed: int = 0, *, duplicates: float = 0.0, late: float = 0.0,
                 malformed: float = 0.0, outage: Outage | None = None) -> GeneratedDay:
    """The day's events (pure, no I/O). Fault rates are fractions of n_events added on top of it; an
    outage removes its offline players' events from the day (its other events stay those of the day without it)."""
    if n_events < 0:
        raise ValueError("n_events must be >= 0")
    for name, rate in (("duplicates", duplicates), ("late", late), ("malformed", malformed)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{name} must be a fraction between 0 and 1, got {rate}")
    with paused_gc():
        return _generate(day, n_events, seed, duplicates, late, malformed, outage)


def _generate(day: date, n_events: int, seed: int, duplicates: float, late: float,
              malformed: float, outage: Outage | None) -> GeneratedDay:
    rng = random.Random(f"day:{day.isoformat()}:{n_events}:{seed}")
    players = players_for(n_events, seed)
    # Some players skip a day; the rest play in proportion to their (heavy-tailed) activity.
    activity = [p.activity if rng.random() >= 0.15 else 0.0 for p in players]
    chosen = rng.choices(players, weights=activity, k=n_events)
    weekend_boost = 0.05 if day.weekday() >= 5 else 0.0
    on_day = []
    for player, event_ts in zip(chosen, _event_times(rng, day, n_events)):
        received_at = event_ts + timedelta(microseconds=rng.randrange(5_000, 2_000_000))
        on_day.append(build_event(rng, player, day, event_ts, received_at, weekend_boost))
    offline = offline_players(outage, players, day, seed) if outage else set()
    lost = [event for event in on_day if event["user_id"] in offline]
    on_day = [event for event in on_day if event["user_id"] not in offline]

    late_ones = late_events(rng, players, day, round(late * n_events), build_event)
    duplicate_count = min(round(duplicates * n_events), n_events)
    send_order, duplicated = place_in_send_order(rng, on_day, late_ones, duplicate_count)
    bad_records = malformed_records(rng, players, day, round(malformed * n_events), build_event)

    by_id = {p.user_id: p for p in players}
    truth = build_truth(day, seed, n_events, on_day, by_id)
    # The late events' types, all of them (lake rows of the day before) and the players' only (its
    # business figures), so that the truth check can add them to that day's expected counts.
    late_by_player = [e for e in late_ones if not by_id[e["user_id"]].client.is_automation]
    truth["injected"] = {
        "duplicates": duplicated, "late": len(late_ones), "late_date": (day - timedelta(days=1)).isoformat(),
        "late_events_by_type": sorted_dict(Counter(e["event_type"] for e in late_ones)),
        "late_player_events_by_type": sorted_dict(Counter(e["event_type"] for e in late_by_player)),
        "malformed": len(bad_records),
        "outage": None if outage is None else {"provider": outage.provider, "offline_share": outage.offline_share,
                                               "players_offline": len({event["user_id"] for event in lost}),
                                               "events_lost": len(lost)},
    }
    return GeneratedDay(day=day, seed=seed, n_events=n_events, events=send_order, malformed=bad_records,
                        truth=truth, players=by_id)


def write_truth(day: GeneratedDay, truth_dir: str | Path) -> Path:
    """Write `<truth_dir>/YYYY-MM-DD.json` atomically (sorted keys) and return its path."""
    truth_dir = Path(truth_dir)
    truth_dir.mkdir(parents=True, exist_ok=True)
    path = truth_dir / f"{day.day.isoformat()}.json"
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(day.truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path

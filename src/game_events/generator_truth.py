"""The generator's ground truth: what the lake and the day's report should hold, from what it sent.

`build_truth(day, seed, n_events, events, players)` counts the day's valid, distinct events (event_ts
inside the day). It knows each event's player, so it knows without any parser the player's provider
(from its own host naming) and client (family, OS and class as the catalog declares them). Two kinds
of figure:

- the business figures count *player* traffic only (clients of class browser and app), as the report's
  business tables do: events_by_type, purchases_*, events/users/revenue_by_provider, revenue_cents,
  unique_users, unique_buyers, guild_joins_by_guild;
- the client figures count every event, automation included: lake_rows_by_type (what the partition
  holds), events/users_by_client_class, events/users_by_client_class_os ({class: {os: n}}) and
  automation_events_by_client_provider ({automation family: {provider: n}}).

Apart from events_by_type and lake_rows_by_type (both event types, zero included), only non-zero groups
appear, as a GROUP BY would give them. The file is written by generator.write_truth as data/truth/D.json.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from game_events import contract

if TYPE_CHECKING:
    from game_events.generator import Player


def sorted_dict(mapping: dict) -> dict:
    """A plain dict with sorted keys (nested dicts too), so the truth file is byte-stable."""
    return {key: sorted_dict(value) if isinstance(value, dict) else value for key, value in sorted(mapping.items())}


def _nested(counts: dict[tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = defaultdict(dict)
    for (outer, inner), value in counts.items():
        nested[outer][inner] = value
    return dict(nested)


def client_figures(events: list[dict[str, Any]], players: dict[str, Player]) -> dict[str, Any]:
    """Every event of the day by client class, class x OS and (automation) client x provider."""
    lake_rows: Counter = Counter()
    class_events: Counter = Counter()
    class_users: dict[str, set] = defaultdict(set)
    class_os_events: Counter = Counter()
    class_os_users: dict[tuple[str, str], set] = defaultdict(set)
    automation: Counter = Counter()
    for event in events:
        player = players[event["user_id"]]
        client, group = player.client, (player.client.client_class, player.client.os)
        lake_rows[event["event_type"]] += 1
        class_events[client.client_class] += 1
        class_users[client.client_class].add(player.user_id)
        class_os_events[group] += 1
        class_os_users[group].add(player.user_id)
        if client.is_automation:
            automation[(client.family, player.provider.domain)] += 1
    return {
        "lake_rows_by_type": {event_type: lake_rows[event_type] for event_type in contract.EVENT_TYPES},
        "events_by_client_class": dict(class_events),
        "users_by_client_class": {name: len(ids) for name, ids in class_users.items()},
        "events_by_client_class_os": _nested(class_os_events),
        "users_by_client_class_os": _nested({group: len(ids) for group, ids in class_os_users.items()}),
        "automation_events_by_client_provider": _nested(automation),
    }


def business_figures(events: list[dict[str, Any]], players: dict[str, Player]) -> dict[str, Any]:
    """The report's business figures: player events only (automation left out)."""
    by_type: Counter = Counter()
    item_stats: dict[str, Counter] = defaultdict(Counter)
    item_buyers: dict[str, set] = defaultdict(set)
    provider_items: dict[str, Counter] = defaultdict(Counter)
    provider_events: Counter = Counter()
    provider_users: dict[str, set] = defaultdict(set)
    provider_revenue: Counter = Counter()
    guild_joins: Counter = Counter()
    guild_joiners: dict[str, set] = defaultdict(set)
    users, buyers = set(), set()
    for event in events:
        player = players[event["user_id"]]
        if player.client.is_automation:
            continue
        user_id, provider = player.user_id, player.provider.domain
        by_type[event["event_type"]] += 1
        users.add(user_id)
        provider_events[provider] += 1
        provider_users[provider].add(user_id)
        if event["event_type"] == contract.PURCHASE_ITEM:
            item, revenue = event["item_type"], event["price_cents"] * event["quantity"]
            item_stats[item].update(purchases=1, units=event["quantity"], revenue_cents=revenue)
            item_buyers[item].add(user_id)
            provider_items[provider][item] += 1
            provider_revenue[provider] += revenue
            buyers.add(user_id)
        else:
            guild_joins[event["guild_id"]] += 1
            guild_joiners[event["guild_id"]].add(user_id)
    return {
        "events_by_type": {event_type: by_type[event_type] for event_type in contract.EVENT_TYPES},
        "purchases_by_item": {item: {**stats, "unique_buyers": len(item_buyers[item])}
                              for item, stats in item_stats.items()},
        "purchases_by_provider_item": {provider: dict(items) for provider, items in provider_items.items()},
        "events_by_provider": dict(provider_events),
        "users_by_provider": {provider: len(ids) for provider, ids in provider_users.items()},
        "revenue_by_provider_cents": dict(provider_revenue),
        "revenue_cents": sum(provider_revenue.values()),
        "unique_users": len(users), "unique_buyers": len(buyers),
        "guild_joins_by_guild": {guild: {"joins": joins, "unique_joiners": len(guild_joiners[guild])}
                                 for guild, joins in guild_joins.items()},
    }


def build_truth(day: date, seed: int, n_events: int, events: list[dict[str, Any]],
                players: dict[str, Player]) -> dict[str, Any]:
    """What the lake and the report should hold for the day, from its valid, distinct events."""
    return sorted_dict({"date": day.isoformat(), "seed": seed, "events_requested": n_events,
                        **business_figures(events, players), **client_figures(events, players)})

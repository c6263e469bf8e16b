"""The ground truth counted the simple way, to check the generator's truth against what it produced."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from game_events import contract
from game_events.generator_catalog import CLIENTS

CLIENT_OF_AGENT = {client.user_agent: client for client in CLIENTS}


def recount(events: list[dict], day: date, provider_of) -> dict:
    """The truth's main figures, counted the simple way: distinct event_ids whose event_ts is on the day.

    Business figures over player events (the catalog's browser and app clients, told by User-Agent),
    client figures over all of them."""
    distinct = {e["event_id"]: e for e in events if contract.parse_ts(e["event_ts"]).date() == day}
    every_event = list(distinct.values())
    on_day = [e for e in every_event if CLIENT_OF_AGENT[e["user_agent"]].client_class != "automation"]
    purchases = [e for e in on_day if e["event_type"] == "purchase_item"]
    by_item = defaultdict(lambda: {"purchases": 0, "units": 0, "revenue_cents": 0, "buyers": set()})
    by_provider_item = defaultdict(Counter)
    for e in purchases:
        stats = by_item[e["item_type"]]
        stats["purchases"] += 1
        stats["units"] += e["quantity"]
        stats["revenue_cents"] += e["price_cents"] * e["quantity"]
        stats["buyers"].add(e["user_id"])
        by_provider_item[provider_of(e)][e["item_type"]] += 1
    joins = Counter(e["guild_id"] for e in on_day if e["event_type"] == "join_guild")
    return {
        "events_by_type": dict(Counter(e["event_type"] for e in on_day)),
        "purchases_by_item": {item: {"purchases": s["purchases"], "units": s["units"],
                                     "revenue_cents": s["revenue_cents"], "unique_buyers": len(s["buyers"])}
                              for item, s in by_item.items()},
        "purchases_by_provider_item": {p: dict(items) for p, items in by_provider_item.items()},
        "events_by_provider": dict(Counter(provider_of(e) for e in on_day)),
        "revenue_cents": sum(e["price_cents"] * e["quantity"] for e in purchases),
        "unique_users": len({e["user_id"] for e in on_day}),
        "unique_buyers": len({e["user_id"] for e in purchases}),
        "guild_joins": dict(joins),
        "lake_rows": len(every_event),
        "events_by_client_class": dict(Counter(CLIENT_OF_AGENT[e["user_agent"]].client_class for e in every_event)),
        "events_by_client_os": dict(Counter((CLIENT_OF_AGENT[e["user_agent"]].client_class,
                                             CLIENT_OF_AGENT[e["user_agent"]].os) for e in every_event)),
        "automation_events_by_client_provider": dict(Counter(
            (CLIENT_OF_AGENT[e["user_agent"]].family, provider_of(e)) for e in every_event
            if CLIENT_OF_AGENT[e["user_agent"]].client_class == "automation")),
    }


def provider_from_host(event: dict) -> str:
    # The generator names hosts user<i>.<provider>; the provider is everything after the first label.
    return event["host"].split(".", 1)[1]

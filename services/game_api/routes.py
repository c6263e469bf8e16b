"""The v1 routes: one event, a batch of events, and the two convenience actions.

    POST /v1/events         one event as JSON                         -> 202 {"event_id": ...}
    POST /v1/events/batch   JSON array or NDJSON, up to the limits    -> 202 {"accepted", "rejected", "errors", ...}
    POST /v1/purchase       {"item_type", ["quantity", "user_id", "event_id", "event_ts"]}
    POST /v1/guilds/join    {"guild_id", ["guild_name", "user_id", "event_id", "event_ts"]}

The convenience routes take only the action's own fields; the API fills the rest (price from the item
catalog, the guild's name, the player from the `user_id` query parameter or the Host header).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from game_events import contract
from game_events.generator_catalog import CURRENCY, GUILDS, ITEM_PRICES_CENTS

from .enrich import user_from_host
from .errors import ApiError
from .intake import (JSON_TYPES, NDJSON_TYPES, accept_batch, accept_one, json_response, parse_batch,
                     parse_object, read_body)

v1 = Blueprint("v1", __name__, url_prefix="/v1")

_IDENTITY_FIELDS = ("user_id", "event_id", "event_ts")


def player_of(body: dict[str, Any] | None = None) -> str | None:
    """The player: the body's user_id, else the user_id query parameter, else the Host's first label."""
    if body and body.get("user_id") is not None:
        return body["user_id"]
    return request.args.get("user_id") or user_from_host(request.headers.get("Host"))


def _only(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = [name for name in body if name not in allowed]
    if unknown:
        problems = [contract.Problem(str(name), contract.Reason.UNKNOWN_FIELD,
                                     f"{name} is not a field of this route (allowed: {', '.join(allowed)})")
                    for name in unknown]
        raise ApiError(422, "contract_violation", "the body has fields this route does not take",
                       reason="unknown_field", problems=[p.to_dict() for p in problems])


def purchase_body(item_type: Any, quantity: Any = 1, **identity: Any) -> dict[str, Any]:
    """A purchase_item body priced from the catalog; 422 for an item the catalog does not sell."""
    if not isinstance(item_type, str) or item_type not in ITEM_PRICES_CENTS:
        problem = contract.Problem("item_type", contract.Reason.BAD_VALUE,
                                   f"item_type must be one of {', '.join(contract.ITEM_TYPES)}")
        raise ApiError(422, "contract_violation", "the event breaks the contract", reason="bad_value",
                       problems=[problem.to_dict()])
    return {"event_type": contract.PURCHASE_ITEM, "item_type": item_type, "quantity": quantity,
            "price_cents": ITEM_PRICES_CENTS[item_type], "currency": CURRENCY, **identity}


def guild_body(guild_id: Any, guild_name: Any = None, **identity: Any) -> dict[str, Any]:
    """A join_guild body; the name comes from the catalog unless the client names a new guild."""
    name = guild_name if guild_name is not None else GUILDS.get(guild_id) if isinstance(guild_id, str) else None
    return {"event_type": contract.JOIN_GUILD, "guild_id": guild_id, "guild_name": name, **identity}


def _identity(body: dict[str, Any]) -> dict[str, Any]:
    identity = {name: body[name] for name in _IDENTITY_FIELDS if name in body}
    identity["user_id"] = player_of(body)
    return identity


@v1.post("/events")
def post_event():
    body = parse_object(read_body(current_app.config["MAX_EVENT_BYTES"], JSON_TYPES))
    event = accept_one(body, route="events")
    return json_response({"event_id": event["event_id"]}, 202)


@v1.post("/events/batch")
def post_batch():
    raw = read_body(current_app.config["MAX_BATCH_BYTES"], JSON_TYPES | NDJSON_TYPES)
    items = parse_batch(raw, current_app.config["MAX_BATCH_EVENTS"])
    return accept_batch(items, route="batch")


@v1.post("/purchase")
def post_purchase():
    body = parse_object(read_body(current_app.config["MAX_EVENT_BYTES"], JSON_TYPES))
    _only(body, ("item_type", "quantity", *_IDENTITY_FIELDS))
    event_body = purchase_body(body.get("item_type"), body.get("quantity", 1), **_identity(body))
    event = accept_one(event_body, route="purchase")
    return json_response({"event_id": event["event_id"]}, 202)


@v1.post("/guilds/join")
def post_guild_join():
    body = parse_object(read_body(current_app.config["MAX_EVENT_BYTES"], JSON_TYPES))
    _only(body, ("guild_id", "guild_name", *_IDENTITY_FIELDS))
    event_body = guild_body(body.get("guild_id"), body.get("guild_name"), **_identity(body))
    event = accept_one(event_body, route="guild_join")
    return json_response({"event_id": event["event_id"]}, 202)

"""The seed project's routes, kept as plain GETs so its old clients (Apache Bench scripts) still run.

    GET /                      the seed's default answer (its "default" event type is not in the contract,
                               so nothing is produced: old scripts used it as a ping)
    GET /purchase/<item_name>  a purchase of one item at the catalog price
    GET /join_a_guild          a guild join (guild_id query parameter, else the default guild)

The player is the `user_id` query parameter if given, else the first label of the Host header
(`user7.comcast.com` -> user7). The answer is the seed's plain text, after the broker acknowledged.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from game_events.generator_catalog import DEFAULT_GUILD_ID

from .intake import accept_one
from .routes import guild_body, player_of, purchase_body

seed = Blueprint("seed", __name__)


def _text(body: str) -> Response:
    return Response(body, status=200, mimetype="text/plain")


@seed.get("/")
def default_response():
    return _text("This is the default response!\n")


@seed.get("/purchase/<item_name>")
def purchase_an_item(item_name: str):
    accept_one(purchase_body(item_name, user_id=player_of()), route="seed_purchase")
    return _text(f"{item_name.capitalize()} Purchased!\n")


@seed.get("/join_a_guild")
def join_a_guild():
    body = guild_body(request.args.get("guild_id", DEFAULT_GUILD_ID), request.args.get("guild_name"),
                      user_id=player_of())
    event = accept_one(body, route="seed_join_guild")
    return _text(f"Joined guild {event['guild_name']}!\n")

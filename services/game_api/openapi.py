"""The OpenAPI 3.1 document of the game API. Event schemas come from the contract's JSON Schema, so the
document cannot drift from what the API validates."""

from __future__ import annotations

from typing import Any

from game_events import contract
from game_events.generator_catalog import GUILDS, ITEM_PRICES_CENTS


def _schema(for_client: bool) -> dict[str, Any]:
    schema = contract.json_schema(for_client=for_client)
    schema.pop("$schema", None)  # OpenAPI 3.1 uses JSON Schema 2020-12 already
    return schema


def _client_field(name: str) -> dict[str, Any]:
    """One field's schema as the contract states it (pattern, range, length), for the convenience routes."""
    return next(v["properties"][name] for v in _schema(for_client=True)["oneOf"] if name in v["properties"])


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_ERRORS = {
    "400": _error("Malformed JSON."),
    "413": _error("Body (or batch) over the limit."),
    "415": _error("Wrong content type."),
    "422": _error("Contract violation: every problem with its field and reason code."),
    "503": _error("Broker unreachable or producer queue full; retry after Retry-After seconds."),
}
_ACCEPTED = {"description": "Acknowledged by the broker.", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"event_id": {"type": "string", "format": "uuid"}}}}}}


def _post(summary: str, schema: dict[str, Any], media: tuple[str, ...] = ("application/json",),
          accepted: dict[str, Any] = _ACCEPTED, rejected: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"post": {"summary": summary,
                     "requestBody": {"required": True, "content": {m: {"schema": schema} for m in media}},
                     "responses": {"202": accepted, **_ERRORS, **({"422": rejected} if rejected else {})}}}


def _get(summary: str, parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters or [],
                    "responses": {"200": {"description": "Plain text, the seed's answer."}, **_ERRORS}}}


def openapi_document(config: dict[str, Any]) -> dict[str, Any]:
    user_param = {"name": "user_id", "in": "query", "required": False,
                  "schema": {"type": "string", "pattern": _client_field("user_id")["pattern"]},
                  "description": "The player; default: the first label of the Host header."}
    identity = {name: _client_field(name) for name in ("user_id", "event_id", "event_ts")}
    purchase = {"type": "object", "required": ["item_type"], "additionalProperties": False, "properties": {
        "item_type": {"enum": list(ITEM_PRICES_CENTS)}, "quantity": _client_field("quantity"), **identity}}
    guild = {"type": "object", "required": ["guild_id"], "additionalProperties": False, "properties": {
        "guild_id": {**_client_field("guild_id"), "examples": list(GUILDS)},
        "guild_name": _client_field("guild_name"), **identity}}
    batch_result = {"description": "Valid events acknowledged; invalid ones listed with index and problems.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchResult"}}}}
    # A batch with no valid event is answered 422 with the same per-event report; a body that is no batch at all
    # (not a list, empty) with an Error.
    batch_rejected = {"description": "No event valid (BatchResult), or the body is not a batch (Error).",
                      "content": {"application/json": {"schema": {"anyOf": [
                          {"$ref": "#/components/schemas/BatchResult"}, {"$ref": "#/components/schemas/Error"}]}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Game events API", "version": str(contract.SCHEMA_VERSION),
                 "description": "Players' events, acknowledged by Kafka before a 2xx is answered."},
        "paths": {
            "/v1/events": _post("One event.", {"$ref": "#/components/schemas/GameEventInput"}),
            "/v1/events/batch": _post(
                f"Up to {config['MAX_BATCH_EVENTS']} events, {config['MAX_BATCH_BYTES']} bytes.",
                {"type": "array", "items": {"$ref": "#/components/schemas/GameEventInput"}},
                ("application/json", "application/x-ndjson"), batch_result, batch_rejected),
            "/v1/purchase": _post("Buy an item at the catalog price.", purchase),
            "/v1/guilds/join": _post("Join a guild.", guild),
            "/": _get("The seed's default answer (produces nothing)."),
            "/purchase/{item_name}": _get("The seed's purchase route.", [user_param, {
                "name": "item_name", "in": "path", "required": True, "schema": {"enum": list(ITEM_PRICES_CENTS)}}]),
            "/join_a_guild": _get("The seed's guild route.", [user_param, {
                "name": "guild_id", "in": "query", "required": False, "schema": _client_field("guild_id")}]),
            "/healthz": _get("Liveness."), "/readyz": _get("Readiness: the broker answers."),
            "/metrics": _get("Prometheus metrics."),
        },
        "components": {"schemas": {
            "GameEventInput": _schema(for_client=True),
            "GameEvent": _schema(for_client=False),
            "Problem": {"type": "object", "properties": {
                "field": {"type": ["string", "null"]}, "reason": {"enum": [str(r) for r in contract.Reason]},
                "message": {"type": "string"}}},
            "Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": {"type": "string"}, "message": {"type": "string"},
                "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}}},
            "BatchResult": {"type": "object", "properties": {
                "accepted": {"type": "integer"}, "rejected": {"type": "integer"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {
                    "index": {"type": "integer"},
                    "problems": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}}}}},
                "event_ids": {"type": "array", "items": {"type": ["string", "null"]}}}},
        }},
    }

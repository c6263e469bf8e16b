"""Reading, checking and producing events inside a request: what every producing route shares.

The order is always: content type (415) -> body size (413, also for chunked bodies) -> JSON (400) ->
contract (422) -> produce and wait for the broker's acknowledgement (503 if it does not come). Nothing
is produced unless it passed the contract, and no 2xx is answered unless the broker acknowledged it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import orjson
from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from game_events import contract
from game_events.serde import DecodeError, decode_json

from .enrich import enrich, request_metadata, stored_form
from .errors import ApiError, unavailable
from .sinks import SinkUnavailable

JSON_TYPES = frozenset({"application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-seq"})


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status=status, mimetype="application/json")


def read_body(limit: int, allowed_types: frozenset[str]) -> bytes:
    if request.mimetype not in allowed_types:
        raise ApiError(415, "unsupported_media_type",
                       f"send the body as {' or '.join(sorted(allowed_types))} (got {request.mimetype or 'none'})")
    # Werkzeug refuses a Content-Length over the limit, but silently cuts a chunked body at it; reading
    # one byte more tells a body that is exactly at the limit from one that is over it.
    request.max_content_length = limit + 1
    too_large = ApiError(413, "body_too_large", f"the body is over the limit of {limit} bytes")
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    return raw


def parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value = decode_json(raw)
    except DecodeError as exc:
        raise ApiError(400, "malformed_json", str(exc)) from None
    if not isinstance(value, dict):
        problem = contract.Problem(None, contract.Reason.NOT_AN_OBJECT, "an event must be a JSON object")
        raise ApiError(422, "contract_violation", "the event breaks the contract",
                       reason=str(problem.reason), problems=[problem.to_dict()])
    return value


def _received_at() -> str:
    return contract.format_ts(datetime.now(timezone.utc))


def check(body: dict[str, Any], metadata: dict[str, Any], received_at: str) -> tuple[dict | None, list]:
    """(stored event, []) when valid, else (None, problems)."""
    event = enrich(body, metadata, received_at)
    problems = contract.validate(event)
    if problems:
        return None, problems
    return stored_form(event), []


def produce(events: list[dict[str, Any]], route: str) -> None:
    """Produce and wait for every acknowledgement; raises a 503 ApiError if any is missing."""
    sink = current_app.extensions["game_api.sink"]
    records = [(event["user_id"], orjson.dumps(event)) for event in events]
    try:
        pending = sink.send_many(records)
    except SinkUnavailable as exc:
        raise unavailable(exc.reason, str(exc), count=len(events)) from None
    if not pending.wait(sink.delivery_timeout_s + 2.0):
        raise unavailable("delivery_timeout", "the broker did not acknowledge in time; retry with the same "
                          "event_id", count=len(events), event_ids=[e["event_id"] for e in events])
    if pending.errors:
        current_app.extensions["game_api.metrics"].accepted(route, pending.delivered)
        raise unavailable("not_delivered", f"the broker refused or did not acknowledge: "
                          f"{', '.join(sorted(pending.errors))}; retry with the same event_id",
                          count=sum(pending.errors.values()), accepted=pending.delivered,
                          event_ids=[e["event_id"] for e in events])
    current_app.extensions["game_api.metrics"].accepted(route, len(events))


def accept_one(body: dict[str, Any], route: str) -> dict[str, Any]:
    """Enrich, validate and produce one event; returns the stored event (422/503 as ApiError)."""
    event, problems = check(body, request_metadata(request.headers, request.remote_addr), _received_at())
    if problems:
        raise ApiError(422, "contract_violation", "the event breaks the contract", count=1,
                       reason=str(problems[0].reason), problems=[p.to_dict() for p in problems])
    produce([event], route)
    return event


def parse_batch(raw: bytes, limit: int) -> list[Any]:
    """The batch's items: a JSON array, or NDJSON (one event per line; a broken line is one bad item)."""
    if request.mimetype in JSON_TYPES:
        try:
            items = decode_json(raw)
        except DecodeError as exc:
            raise ApiError(400, "malformed_json", str(exc)) from None
        if not isinstance(items, list):
            raise ApiError(422, "not_a_list", "a batch sent as application/json is a JSON array of events")
    else:
        items = []
        for line in raw.split(b"\n"):
            line = line.strip()
            if line:
                try:
                    items.append(decode_json(line))
                except DecodeError as exc:
                    items.append(exc)
    if len(items) > limit:
        raise ApiError(413, "batch_too_large", f"the batch has {len(items)} events; the limit is {limit}",
                       count=len(items))
    if not items:
        raise ApiError(422, "empty_batch", "the batch holds no events", count=0)
    return items


def accept_batch(items: list[Any], route: str) -> Response:
    """Produce the valid items; report each invalid one with its index and problems."""
    metadata, received_at = request_metadata(request.headers, request.remote_addr), _received_at()
    valid, errors, event_ids = [], [], []
    for index, item in enumerate(items):
        if isinstance(item, DecodeError):
            problems = [contract.Problem(None, item.reason, str(item))]
            event = None
        elif not isinstance(item, dict):
            problems = [contract.Problem(None, contract.Reason.NOT_AN_OBJECT, "an event must be a JSON object")]
            event = None
        else:
            event, problems = check(item, metadata, received_at)
        if problems:
            errors.append({"index": index, "problems": [p.to_dict() for p in problems]})
            event_ids.append(None)
            current_app.extensions["game_api.metrics"].rejected(str(problems[0].reason))
        else:
            valid.append(event)
            event_ids.append(event["event_id"])
    if valid:
        produce(valid, route)
    answer = {"accepted": len(valid), "rejected": len(errors), "errors": errors, "event_ids": event_ids}
    return json_response(answer, 202 if valid else 422)

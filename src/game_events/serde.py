"""Events on the wire: flat JSON objects as UTF-8 bytes. Kept apart from the contract on purpose.

`encode_event` writes compact JSON with the keys in the order given; `decode_event` refuses anything
that is not a JSON object with a `DecodeError` that carries the contract's reason code.
"""

from __future__ import annotations

from typing import Any

import orjson

from game_events.contract import Reason


class DecodeError(ValueError):
    def __init__(self, reason: Reason, message: str):
        super().__init__(message)
        self.reason = reason


def encode_event(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def decode_json(raw: bytes | str) -> Any:
    """Any JSON value; DecodeError(malformed_json) for bytes that are not UTF-8 JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # also raised for invalid UTF-8
        raise DecodeError(Reason.MALFORMED_JSON, f"malformed JSON: {exc}") from None


def decode_event(raw: bytes | str) -> dict[str, Any]:
    value = decode_json(raw)
    if not isinstance(value, dict):
        raise DecodeError(Reason.NOT_AN_OBJECT, "an event must be a JSON object")
    return value

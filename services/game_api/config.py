"""The game API's configuration: defaults from the environment, overridable by `create_app(config)`.

    GAME_API_SINK                kafka | null (null drops events: the benchmark baseline)   (kafka)
    GAME_API_PROXY_HOPS          trusted proxies in front; >0 honours X-Forwarded-For        (0)
    GAME_API_MAX_EVENT_BYTES     body limit of the single-event routes                       (65536)
    GAME_API_MAX_BATCH_BYTES     body limit of the batch route                               (8388608)
    GAME_API_MAX_BATCH_EVENTS    events per batch                                            (10000)
    GAME_API_DELIVERY_TIMEOUT_MS how long the broker may take to acknowledge                 (5000)
    GAME_API_LINGER_MS           how long the producer waits to fill a batch (a 202 waits it) (2)
    GAME_API_METRICS_DIR         folder where worker processes share their metrics          (none)
plus the Kafka settings of `game_events.settings` (KAFKA_BOOTSTRAP_SERVERS, KAFKA_TOPIC).
"""

from __future__ import annotations

import os
from typing import Any

from game_events.settings import load_settings


def _number(name: str, default, parse, kind: str):
    raw = os.environ.get(name, "").strip()
    try:
        return parse(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be {kind}, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "an integer")


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


def default_config() -> dict[str, Any]:
    settings = load_settings()
    return {
        "SINK": os.environ.get("GAME_API_SINK", "").strip() or "kafka",
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "KAFKA_TOPIC": settings.kafka_topic,
        "PRODUCER_OVERRIDES": {},
        "LINGER_MS": _float("GAME_API_LINGER_MS", 2.0),
        "PROXY_HOPS": _int("GAME_API_PROXY_HOPS", 0),
        "MAX_EVENT_BYTES": _int("GAME_API_MAX_EVENT_BYTES", 64 * 1024),
        "MAX_BATCH_BYTES": _int("GAME_API_MAX_BATCH_BYTES", 8 * 1024 * 1024),
        "MAX_BATCH_EVENTS": _int("GAME_API_MAX_BATCH_EVENTS", 10_000),
        "DELIVERY_TIMEOUT_MS": _int("GAME_API_DELIVERY_TIMEOUT_MS", 5_000),
        "RETRY_AFTER_S": 2,
        "METRICS_DIR": os.environ.get("GAME_API_METRICS_DIR", "").strip() or None,
        # Flask's own limit is the largest of ours; routes narrow it per request.
        "MAX_CONTENT_LENGTH": None,
        "JSON_SORT_KEYS": False,
    }

"""The API's Prometheus metrics: events accepted and rejected (by reason), delivery reports, latency.

Every series is a counter (a histogram is stored as per-bucket counters), so the figures of several
gunicorn workers add up: with `METRICS_DIR` set, each process writes its counters to `<dir>/<pid>.json`
about once a second, and `GET /metrics` sums the other workers' files with its own live counters.
Without it (one process, tests), `/metrics` shows this process only.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

import orjson

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BUCKET_LABELS = tuple(str(b) for b in LATENCY_BUCKETS_S) + ("+Inf",)

HELP = {
    "game_api_events_accepted_total": "Events acknowledged by the broker and answered with 2xx, by route.",
    "game_api_events_rejected_total": "Events refused, by reason (contract reason code or HTTP-level cause).",
    "game_api_deliveries_total": "Producer delivery reports, by result (delivered or librdkafka error).",
    "game_api_requests_total": "Requests answered, by route and status.",
    "game_api_request_seconds": "Time from routing to response, by route.",
}

Key = tuple[str, tuple[tuple[str, str], ...]]


class Metrics:
    def __init__(self, metrics_dir: str | None = None):
        self._lock = threading.Lock()
        self._counters: dict[Key, float] = defaultdict(float)
        self._dir = Path(metrics_dir) if metrics_dir else None
        self._writer: threading.Thread | None = None
        self._writer_pid: int | None = None

    def _add(self, name: str, labels: tuple[tuple[str, str], ...], amount: float = 1.0) -> None:
        with self._lock:
            self._counters[(name, labels)] += amount
        self._ensure_writer()

    def accepted(self, route: str, count: int = 1) -> None:
        self._add("game_api_events_accepted_total", (("route", route),), count)

    def rejected(self, reason: str, count: int = 1) -> None:
        if count:
            self._add("game_api_events_rejected_total", (("reason", reason),), count)

    def delivery(self, result: str, count: int = 1) -> None:
        self._add("game_api_deliveries_total", (("result", result),), count)

    def observe(self, route: str, status: int, seconds: float) -> None:
        bucket = _BUCKET_LABELS[bisect.bisect_left(LATENCY_BUCKETS_S, seconds)]
        with self._lock:
            self._counters[("game_api_requests_total", (("route", route), ("status", str(status))))] += 1
            self._counters[("game_api_request_seconds_bucket", (("route", route), ("le", bucket)))] += 1
            self._counters[("game_api_request_seconds_sum", (("route", route),))] += seconds
            self._counters[("game_api_request_seconds_count", (("route", route),))] += 1
        self._ensure_writer()

    def snapshot(self) -> dict[Key, float]:
        with self._lock:
            return dict(self._counters)

    # --- sharing between worker processes ------------------------------------------------------------
    def _ensure_writer(self) -> None:
        if self._dir is None or self._writer_pid == os.getpid():
            return
        with self._lock:
            if self._writer_pid == os.getpid():
                return
            self._writer_pid = os.getpid()  # a forked worker starts its own writer
            self._dir.mkdir(parents=True, exist_ok=True)
            self._writer = threading.Thread(target=self._write_forever, name="metrics-writer", daemon=True)
            self._writer.start()

    def _write_forever(self) -> None:
        path = self._dir / f"{os.getpid()}.json"
        while True:
            rows = [[name, list(labels), value] for (name, labels), value in self.snapshot().items()]
            partial = path.with_suffix(".tmp")
            partial.write_bytes(orjson.dumps(rows))
            partial.replace(path)
            time.sleep(1.0)

    def _merged(self) -> dict[Key, float]:
        totals: dict[Key, float] = defaultdict(float, self.snapshot())
        if self._dir is not None and self._dir.is_dir():
            for path in self._dir.glob("*.json"):
                if path.stem == str(os.getpid()):
                    continue
                try:
                    rows = orjson.loads(path.read_bytes())
                except (OSError, orjson.JSONDecodeError):
                    continue  # a worker is rewriting it; its figures show on the next scrape
                for name, labels, value in rows:
                    totals[(name, tuple(tuple(pair) for pair in labels))] += value
        return totals

    # --- exposition ----------------------------------------------------------------------------------
    def render(self) -> str:
        """Prometheus text exposition (version 0.0.4)."""
        totals = self._merged()
        lines: list[str] = []
        for family in HELP:
            kind = "histogram" if family == "game_api_request_seconds" else "counter"
            lines += [f"# HELP {family} {HELP[family]}", f"# TYPE {family} {kind}"]
            if kind == "counter":
                lines += [f"{name}{_labels(labels)} {_number(value)}"
                          for (name, labels), value in sorted(totals.items()) if name == family]
            else:
                lines += _histogram_lines(family, totals)
        return "\n".join(lines) + "\n"


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""

    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{key}="{escape(value)}"' for key, value in labels) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _histogram_lines(family: str, totals: dict[Key, float]) -> list[str]:
    routes = sorted({dict(labels)["route"] for (name, labels) in totals if name == f"{family}_count"})
    lines = []
    for route in routes:
        cumulative = 0.0
        for le in _BUCKET_LABELS:  # Prometheus buckets are cumulative; we store them per bucket
            cumulative += totals.get((f"{family}_bucket", (("route", route), ("le", le))), 0.0)
            lines.append(f'{family}_bucket{{route="{route}",le="{le}"}} {_number(cumulative)}')
        lines.append(f'{family}_sum{{route="{route}"}} {_number(totals[(f"{family}_sum", (("route", route),))])}')
        lines.append(f'{family}_count{{route="{route}"}} {_number(totals[(f"{family}_count", (("route", route),))])}')
    return lines

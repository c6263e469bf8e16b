"""Delivering a generated day: straight to Kafka, or through the game API's batch endpoint.

Both return a `Delivery` that counts what was acknowledged and why anything was not; a caller must
treat `not delivery.ok` as failure. Malformed records always go straight to Kafka (the API refuses them).

- `send_via_kafka(day, settings, topic)`: one producer with the project's settings (acks=all,
  idempotence) tuned for throughput; with `delivery.report.only.error` only failures call back, so
  after a complete flush every message without an error report is acknowledged.
- `send_via_http(day, api_url)`: events grouped by player client (Host, User-Agent, Accept are request
  headers, so one batch carries one player's client), batches sent concurrently over keep-alive
  sessions; a 503 is retried after its Retry-After with the same event_ids, so a retry never duplicates
  an event the lake keeps (the pipeline drops repeated event_ids). It first waits for `/readyz`.
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from game_events.contract import ALL_FIELDS, Source
from game_events.settings import Settings, load_settings

if TYPE_CHECKING:
    from game_events.generator import GeneratedDay

# The API sets these from the request; sending them in the body would only be replaced.
API_OWNED_FIELDS = frozenset(f.name for f in ALL_FIELDS if f.source is Source.API)


@dataclass
class Delivery:
    via: str
    events_sent: int = 0  # valid events handed to the transport (duplicates and late events included)
    events_delivered: int = 0  # acknowledged by the broker (kafka) or accepted by the API (http)
    malformed_sent: int = 0
    malformed_delivered: int = 0
    failures: Counter = field(default_factory=Counter)  # reason -> number of records not delivered
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def ok(self) -> bool:
        return (self.failed == 0 and self.events_delivered == self.events_sent
                and self.malformed_delivered == self.malformed_sent)

    def summary(self) -> str:
        rate = self.events_sent / self.seconds if self.seconds else 0.0
        text = (f"via {self.via}: {self.events_delivered:,}/{self.events_sent:,} events delivered, "
                f"{self.malformed_delivered:,}/{self.malformed_sent:,} malformed records, "
                f"{self.seconds:.2f}s ({rate:,.0f} events/s)")
        if self.failures:
            text += "; FAILED: " + ", ".join(f"{reason}={n}" for reason, n in sorted(self.failures.items()))
        return text


@contextmanager
def paused_gc():
    """Hold off the cyclic garbage collector during a bulk loop that creates no cycles: with a day's
    events alive, each of its full passes walks millions of objects (measured: it doubled send time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Progress:
    """Prints done/total and the rate to stderr, at most every `every_s` seconds (thread-safe)."""

    def __init__(self, label: str, total: int, every_s: float = 2.0, stream=sys.stderr):
        self.label, self.total, self.every_s, self.stream = label, total, every_s, stream
        self.started = self.last = time.monotonic()
        self.lock = threading.Lock()

    def update(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s:
            return
        with self.lock:
            self.last = now
            rate = done / (now - self.started)
            print(f"{self.label}: {done:,}/{self.total:,} ({rate:,.0f}/s)", file=self.stream, flush=True)


def _produce_all(producer, topic: str, records, progress: Progress | None) -> None:
    """Produce (key, event dict or raw bytes) records as fast as librdkafka takes them."""
    with paused_gc():
        for done, (key, value) in enumerate(records, start=1):
            if key is not None:
                value = orjson.dumps(value)
            while True:
                try:
                    producer.produce(topic, value=value, key=key)
                    break
                except BufferError:  # the local queue is full: let librdkafka drain it
                    producer.poll(0.05)
            if done % 20_000 == 0:
                producer.poll(0)
                if progress:
                    progress.update(done)


def send_via_kafka(day: GeneratedDay, settings: Settings | None = None, topic: str | None = None, *,
                   events: bool = True, malformed: bool = True, progress: Progress | None = None) -> Delivery:
    """Produce the day's events (key = user_id) and malformed records; wait for every acknowledgement."""
    from confluent_kafka import Producer

    from game_events.kafka import producer_config, wait_for_broker

    settings = settings or load_settings()
    topic = topic or settings.kafka_topic
    wait_for_broker(settings, timeout_s=15)
    delivery, started = Delivery(via="kafka"), time.monotonic()
    failed_events, failed_malformed = Counter(), Counter()

    def on_error(err, msg) -> None:  # called only for failed messages (delivery.report.only.error)
        (failed_events if msg.key() is not None else failed_malformed)[err.name()] += 1

    producer = Producer(producer_config(settings, **{
        "linger.ms": 50, "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000,
        "queue.buffering.max.kbytes": 1_048_576, "delivery.report.only.error": True, "on_delivery": on_error}))
    records = []
    if events:
        records.append(((event["user_id"].encode(), event) for event in day.events))
    if malformed:
        records.append(((None, raw) for raw in day.malformed))  # no key: a broken record has no trusted user_id
    _produce_all(producer, topic, itertools.chain.from_iterable(records), progress)
    unflushed = producer.flush(120)
    delivery.events_sent = len(day.events) if events else 0
    delivery.malformed_sent = len(day.malformed) if malformed else 0
    if unflushed:
        delivery.failures["not_acknowledged_in_time"] += unflushed
    delivery.failures.update(failed_events)
    delivery.failures.update({f"malformed:{reason}": n for reason, n in failed_malformed.items()})
    # Unflushed messages cannot be told apart by kind; count them against the events (the stricter side).
    delivery.events_delivered = max(0, delivery.events_sent - sum(failed_events.values()) - unflushed)
    delivery.malformed_delivered = delivery.malformed_sent - sum(failed_malformed.values())
    delivery.seconds = time.monotonic() - started
    return delivery


def _batches(events: list[dict[str, Any]], batch_size: int) -> list[tuple[dict[str, str], bytes, int]]:
    """(headers, body, count) per batch: one player client per batch, at most batch_size events."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        groups[(event["host"], event["user_agent"], event["accept"])].append(
            {name: value for name, value in event.items() if name not in API_OWNED_FIELDS})
    batches = []
    for (host, user_agent, accept), group in groups.items():
        headers = {"Host": host, "User-Agent": user_agent, "Accept": accept, "Content-Type": "application/json"}
        for start in range(0, len(group), batch_size):
            chunk = group[start:start + batch_size]
            batches.append((headers, orjson.dumps(chunk), len(chunk)))
    return batches


def _post_batch(session_of, url: str, headers: dict[str, str], body: bytes, count: int,
                attempts: int = 6) -> tuple[int, Counter]:
    """POST one batch of count events until it is answered for good.

    Returns (accepted, failures by reason) with accepted + sum(failures) == count."""
    import requests

    reason = "not_sent"
    for attempt in range(attempts):
        try:
            response = session_of().post(url, data=body, headers=headers, timeout=60)
        except requests.RequestException as exc:
            reason = f"http_error:{type(exc).__name__}"
            time.sleep(min(5.0, 0.2 * 2 ** attempt))
            continue
        if response.status_code == 503:  # broker unreachable or queue full: retry, same event_ids
            reason = "http_503"
            time.sleep(min(10.0, float(response.headers.get("Retry-After", 1))))
            continue
        answer = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        if response.status_code not in (202, 422) or "accepted" not in answer:
            return 0, Counter({f"http_{response.status_code}": count})
        accepted = int(answer["accepted"])
        failures = Counter(f"rejected:{error['problems'][0]['reason']}" for error in answer.get("errors", []))
        if accepted + sum(failures.values()) < count:
            failures["not_accepted"] += count - accepted - sum(failures.values())
        return accepted, failures
    return 0, Counter({reason: count})


class ApiUnavailable(RuntimeError):
    """The game API did not answer /readyz with 200 in time."""


def wait_for_api(api_url: str, timeout_s: float = 30.0) -> None:
    """Block until the API is ready (its broker reachable); ApiUnavailable with the last answer if not."""
    import requests

    deadline, last = time.monotonic() + timeout_s, "no answer"
    while time.monotonic() < deadline:
        try:
            response = requests.get(api_url.rstrip("/") + "/readyz", timeout=5)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text.strip()[:200]}"
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.5)
    raise ApiUnavailable(f"the game API at {api_url} is not ready after {timeout_s:.0f}s "
                         f"(is it running? `scripts/game_api.sh up`): {last}")


def send_via_http(day: GeneratedDay, api_url: str | None = None, *, concurrency: int = 8, batch_size: int = 500,
                  settings: Settings | None = None, topic: str | None = None,
                  progress: Progress | None = None, ready_timeout_s: float = 30.0) -> Delivery:
    """POST the day's events to `<api_url>/v1/events/batch`; malformed records go straight to Kafka."""
    import requests

    settings = settings or load_settings()
    api_url = api_url or settings.game_api_url
    wait_for_api(api_url, ready_timeout_s)
    url = api_url.rstrip("/") + "/v1/events/batch"
    delivery, started = Delivery(via="http", events_sent=len(day.events)), time.monotonic()
    local = threading.local()

    def session_of() -> requests.Session:
        if not hasattr(local, "session"):  # one keep-alive connection per sending thread
            local.session = requests.Session()
        return local.session

    batches = _batches(day.events, batch_size)
    sizes: dict[Any, int] = {}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="generate-http") as pool:
        for headers, body, count in batches:
            sizes[pool.submit(_post_batch, session_of, url, headers, body, count)] = count
        done = 0
        for future in as_completed(sizes):
            accepted, failures = future.result()
            delivery.events_delivered += accepted
            delivery.failures.update(failures)
            done += sizes[future]
            if progress:
                progress.update(done)
    if day.malformed:
        straight = send_via_kafka(day, settings, topic, events=False, malformed=True)
        delivery.malformed_sent, delivery.malformed_delivered = straight.malformed_sent, straight.malformed_delivered
        delivery.failures.update(straight.failures)
    delivery.seconds = time.monotonic() - started
    return delivery

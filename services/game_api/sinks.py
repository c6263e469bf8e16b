"""Where accepted events go: the real Kafka sink, or a no-op sink for the benchmark baseline.

`KafkaSink` owns one confluent-kafka Producer per process (created lazily, and again after a fork, since
librdkafka's threads do not survive one) with the project's producer settings: acks=all, idempotence,
lz4 compression, batching. A request produces, then waits on its `Pending` until the broker has
acknowledged (or refused) each of its messages: that is what makes a 202 truthful, while many requests
share the producer's batches. Delivery callbacks are served by a poller, in one of two ways:

- in a gevent worker (GAME_API_WORKER_CLASS=gevent; `threading` is monkey-patched), a greenlet on the
  event loop calls `poll(0)` about every `COOPERATIVE_POLL_S` while messages are in flight, so a report
  wakes its request without any OS-thread hand-off or GIL contest;
- elsewhere (gthread workers, the default; the Flask test client) an OS thread blocks in `poll()`.

The broker's reachability is tracked from librdkafka's own reports (all brokers down / a broker up in the
statistics), so requests fail fast with 503 while it is away instead of each waiting for a timeout.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from confluent_kafka import KafkaError, Producer

from game_events.kafka import producer_config
from game_events.settings import load_settings

_open_sinks: weakref.WeakSet = weakref.WeakSet()

# How often the cooperative poller serves delivery reports while messages are in flight: short against the
# broker's round trip, long enough that an idle-but-waiting worker does not spin.
COOPERATIVE_POLL_S = 0.0005


def cooperative() -> bool:
    """True in a gevent worker (threading monkey-patched): blocking C calls would stop the event loop."""
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


class SinkUnavailable(Exception):
    """Nothing (more) can be produced right now: `reason` is broker_unavailable or queue_full."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Pending:
    """The delivery reports of one request's messages. `wait()` returns once every report is in.

    The wake-up is one lock, held from creation and released by the last report: acquiring it is the
    wait (a single futex wait in a thread, a cooperative wait under gevent), cheaper than an Event.
    """

    __slots__ = ("_lock", "_remaining", "_sealed", "_done", "_count_delivery", "delivered", "errors")

    def __init__(self, count_delivery: Callable[[str, int], None]):
        self._lock = threading.Lock()
        self._remaining, self._sealed = 0, False
        self._done = threading.Lock()
        self._done.acquire()
        self._count_delivery = count_delivery
        self.delivered = 0
        self.errors: Counter = Counter()  # librdkafka error name -> messages not delivered

    def add(self) -> None:
        with self._lock:
            self._remaining += 1

    def cancel(self) -> None:
        """One add() whose produce() raised: no report will come for it."""
        with self._lock:
            self._remaining -= 1

    def seal(self) -> None:
        """No more messages will be added."""
        with self._lock:
            self._sealed = True
            finished = self._remaining == 0
        if finished:
            self._finish()

    def report(self, err: KafkaError | None, _msg: Any = None) -> None:
        """The delivery callback (runs on the poller, once per message: kept to the bare counting)."""
        with self._lock:
            if err is None:
                self.delivered += 1
            else:
                self.errors[err.name()] += 1
            self._remaining -= 1
            finished = self._sealed and self._remaining == 0
        if finished:
            self._finish()

    def _finish(self) -> None:
        """Every report is in: count them in the metrics (once per request, not per message), wake the waiter."""
        if self.delivered:
            self._count_delivery("delivered", self.delivered)
        for result, count in self.errors.items():
            self._count_delivery(result, count)
        self._done.release()

    def wait(self, timeout_s: float) -> bool:
        if self._done.acquire(timeout=timeout_s):
            self._done.release()  # a second wait() returns at once too
            return True
        return False


class KafkaSink:
    def __init__(self, config: dict[str, Any], count_delivery: Callable[[str, int], None]):
        self.topic: str = config["KAFKA_TOPIC"]
        self.delivery_timeout_s = config["DELIVERY_TIMEOUT_MS"] / 1000
        settings = dataclasses.replace(load_settings(), kafka_bootstrap_servers=config["KAFKA_BOOTSTRAP_SERVERS"])
        self._config = producer_config(settings, **{
            # Every 202 waits for its batch to fill and be acknowledged: the linger is paid by each request
            # (BENCHMARKS.md: 10 ms held the single-event route at 64 connections to 64 / ~20 ms), while a
            # shorter one costs the broker more requests per message.
            "linger.ms": config["LINGER_MS"],
            "message.timeout.ms": config["DELIVERY_TIMEOUT_MS"],
            "reconnect.backoff.max.ms": 1000,  # notice a returning broker within a second or so
            "statistics.interval.ms": 1000,
            "log.connection.close": False,
            **config["PRODUCER_OVERRIDES"],
            "error_cb": self._on_error, "stats_cb": self._on_stats})
        self._count_delivery = count_delivery
        self._lock = threading.Lock()
        self._producer: Producer | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._wake: threading.Event | None = None  # the cooperative poller's alarm clock
        self._fatal = False
        self.broker_down = False
        self.queue_limit = int(self._config.get("queue.buffering.max.messages", 100_000))
        # What /readyz shows, so a check can read the guarantees off the running process.
        self.delivery_settings = {name: self._config[name] for name in ("acks", "enable.idempotence")}
        self._ready_until = 0.0
        _open_sinks.add(self)

    # --- librdkafka callbacks (poller thread) ---------------------------------------------------------
    def _on_error(self, err: KafkaError) -> None:
        if err.code() == KafkaError._ALL_BROKERS_DOWN:
            self.broker_down = True
        if err.fatal():  # the idempotent producer cannot continue: start a new one on the next request
            self._fatal = True

    def _on_stats(self, stats_json: str) -> None:
        brokers = orjson.loads(stats_json).get("brokers", {}).values()
        if any(b.get("state") == "UP" for b in brokers):
            self.broker_down = False

    # --- the producer --------------------------------------------------------------------------------
    def _producer_for_this_process(self) -> Producer:
        producer = self._producer
        if producer is not None and self._pid == os.getpid() and not self._fatal:
            return producer
        with self._lock:
            if self._producer is None or self._pid != os.getpid() or self._fatal:
                self._stop = threading.Event()
                self._producer, self._pid, self._fatal = Producer(self._config), os.getpid(), False
                if cooperative():
                    import gevent

                    self._wake = threading.Event()
                    gevent.spawn(self._poll_cooperatively, self._producer, self._stop, self._wake)
                else:
                    threading.Thread(target=self._poll_forever, args=(self._producer, self._stop),
                                     name="kafka-poller", daemon=True).start()
            return self._producer

    @staticmethod
    def _poll_forever(producer: Producer, stop: threading.Event) -> None:
        while not stop.is_set():
            producer.poll(0.1)

    @staticmethod
    def _poll_cooperatively(producer: Producer, stop: threading.Event, wake: threading.Event) -> None:
        """The poller as a greenlet: poll(0) never blocks the loop; sleep briefly while messages are in
        flight (len counts them and unserved reports), else until send_many wakes it."""
        import gevent

        while not stop.is_set():
            producer.poll(0)
            if len(producer):
                gevent.sleep(COOPERATIVE_POLL_S)
            else:
                wake.clear()
                wake.wait(1.0)  # also serves error and statistics callbacks about once a second

    def send_many(self, records: Sequence[tuple[str, bytes]]) -> Pending:
        """Produce (key, value) records; the returned Pending collects their delivery reports."""
        if self.broker_down:
            raise SinkUnavailable("broker_unavailable", "the Kafka broker is unreachable; retry later")
        producer = self._producer_for_this_process()
        if len(producer) + len(records) > self.queue_limit:  # refuse whole, rather than half a batch
            raise SinkUnavailable("queue_full", "the producer queue is full; retry later")
        pending = Pending(self._count_delivery)
        for key, value in records:
            pending.add()
            try:
                producer.produce(self.topic, value=value, key=key, on_delivery=pending.report)
            except BufferError:
                pending.cancel()
                pending.seal()
                raise SinkUnavailable("queue_full", "the producer queue is full; retry later") from None
        pending.seal()
        if self._wake is not None:
            self._wake.set()
        return pending

    def ready(self, timeout_s: float = 2.0) -> bool:
        """Does the broker answer a metadata request for our topic (cached for a second)?"""
        if time.monotonic() < self._ready_until:
            return True
        producer = self._producer_for_this_process()
        try:
            if cooperative():  # a metadata request may block for timeout_s: keep it off the event loop
                import gevent

                metadata = gevent.get_hub().threadpool.apply(producer.list_topics, (self.topic,), {"timeout": timeout_s})
            else:
                metadata = producer.list_topics(self.topic, timeout=timeout_s)
            topic = metadata.topics[self.topic]
        except Exception:  # any failure to get metadata means: not ready
            return False
        if topic.error is not None or not topic.partitions:
            return False
        self.broker_down = False
        self._ready_until = time.monotonic() + 1.0
        return True

    def close(self, timeout_s: float = 10.0) -> int:
        """Flush what is queued and stop the poller; returns the messages left undelivered."""
        producer, self._producer = self._producer, None
        if producer is None or self._pid != os.getpid():
            return 0
        self._stop.set()
        return producer.flush(timeout_s)


class NullSink:
    """Accepts and drops everything: measures the API without the broker (benchmark baseline only)."""

    topic = "null"
    delivery_timeout_s = 1.0
    delivery_settings: dict[str, Any] = {}
    broker_down = False

    def __init__(self, config: dict[str, Any], count_delivery: Callable[[str, int], None]):
        self._count_delivery = count_delivery

    def send_many(self, records: Sequence[tuple[str, bytes]]) -> Pending:
        pending = Pending(self._count_delivery)
        for _ in records:
            pending.add()
            pending.report(None)
        pending.seal()
        return pending

    def ready(self, timeout_s: float = 2.0) -> bool:
        return True

    def close(self, timeout_s: float = 10.0) -> int:
        return 0


SINKS = {"kafka": KafkaSink, "null": NullSink}


def close_all(timeout_s: float = 10.0) -> None:
    """Flush every open Kafka sink of this process (gunicorn's worker_exit hook and atexit call it)."""
    for sink in list(_open_sinks):
        sink.close(timeout_s)

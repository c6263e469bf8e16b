"""Generator -> Kafka: events/s and MB/s of `generate --via kafka` against a bare produce loop.

The subject is game_events.generator.send_via_kafka, the function behind `cli generate --via kafka`
(serialises each event dict with orjson, produces with the project's producer settings, waits for every
acknowledgement). The ceiling is a bare confluent-kafka loop producing the same events, serialised
beforehand, with the same producer configuration: what librdkafka and the broker take when Python
does nothing else. Each repeat writes to a fresh topic; baseline and subject alternate.
"""

from __future__ import annotations

import time
import uuid
from datetime import date

import orjson
from confluent_kafka import Producer

from bench.services import log
from game_events.generator import generate_day, send_via_kafka
from game_events.generator_send import paused_gc
from game_events.kafka import delete_topic, ensure_topic, producer_config
from game_events.settings import load_settings

# send_via_kafka's own throughput overrides of the project's producer settings (generator_send.py).
BULK_OVERRIDES = {"linger.ms": 50, "batch.size": 1_000_000, "queue.buffering.max.messages": 1_000_000,
                  "queue.buffering.max.kbytes": 1_048_576, "delivery.report.only.error": True}


def bare_produce(topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Seconds to produce pre-serialised (key, value) messages and have them all acknowledged."""
    failed = []
    producer = Producer(producer_config(load_settings(), **BULK_OVERRIDES,
                                        on_delivery=lambda err, msg: failed.append(err)))
    started = time.monotonic()
    with paused_gc():
        for key, value in messages:
            while True:
                try:
                    producer.produce(topic, value=value, key=key)
                    break
                except BufferError:
                    producer.poll(0.05)
    if producer.flush(120) or failed:
        raise RuntimeError(f"the bare produce loop lost messages: {failed[:3]}")
    return time.monotonic() - started


def run(events: int, repeats: int) -> tuple[list, dict]:
    settings = load_settings()
    started = time.monotonic()
    day = generate_day(date(2026, 11, 27), events, seed=1)
    generate_s = time.monotonic() - started
    messages = [(event["user_id"].encode(), orjson.dumps(event)) for event in day.events]
    megabytes = sum(len(value) for _, value in messages) / 1e6
    subject, baseline = [], []
    for repeat in range(repeats):
        for samples, send in ((baseline, lambda t: bare_produce(t, messages)),
                              (subject, lambda t: _send_day(day, settings, t))):
            topic = f"bench-gen-{uuid.uuid4().hex[:8]}"
            ensure_topic(topic, settings=settings)
            seconds = send(topic)
            samples.append(seconds)
            delete_topic(topic, settings)
        log(f"generator #{repeat + 1}: {events / subject[-1]:,.0f} ev/s (bare loop {events / baseline[-1]:,.0f})")
    raw = {"events": events, "megabytes": megabytes, "generate_day_s": generate_s,
           "send_seconds": subject, "bare_loop_seconds": baseline}
    figures = [
        {"id": "generator_rate", "stage": "Generator → Kafka", "what": "send_via_kafka, events/s", "unit": "ev/s",
         "samples": [events / s for s in subject],
         "baseline": {"what": "bare produce loop", "samples": [events / s for s in baseline]},
         "targets": [{"op": ">=", "value": 300_000, "on": "value"}]},
        {"id": "generator_mb", "stage": "Generator → Kafka", "what": "send_via_kafka, MB/s (JSON values)", "unit": "MB/s",
         "samples": [megabytes / s for s in subject],
         "baseline": {"what": "bare produce loop", "samples": [megabytes / s for s in baseline]}, "targets": []},
    ]
    return figures, raw


def _send_day(day, settings, topic: str) -> float:
    delivery = send_via_kafka(day, settings, topic, malformed=False)
    if not delivery.ok:
        raise RuntimeError(f"the generator lost messages: {delivery.summary()}")
    return delivery.seconds

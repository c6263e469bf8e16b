"""Read a whole topic back, exactly: every message up to the high watermarks taken at the start."""

from __future__ import annotations

import time

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from game_events.kafka import topic_watermarks
from game_events.settings import load_settings


_SETTLING = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE,
             KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._TIMED_OUT}


def high_watermarks(topic: str, timeout_s: float = 15.0) -> dict[int, int]:
    """partition -> high watermark. A topic created a moment ago may still answer "not leader" while its
    leadership settles; that is retried, anything else is raised."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return {m.partition: m.high for m in topic_watermarks(topic)}
        except KafkaException as exc:
            if exc.args[0].code() not in _SETTLING or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def read_topic(topic: str, timeout_s: float = 30.0) -> list:
    """All messages now in the topic (confluent_kafka Message objects), in partition/offset order."""
    marks = high_watermarks(topic)
    consumer = Consumer({"bootstrap.servers": load_settings().kafka_bootstrap_servers,
                         "group.id": f"{topic}-reader", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p, high in marks.items() if high > 0])
    remaining = {p for p, high in marks.items() if high > 0}
    messages, deadline = [], time.monotonic() + timeout_s
    try:
        while remaining and time.monotonic() < deadline:
            batch = consumer.consume(10_000, timeout=0.5)
            for msg in batch:
                assert msg.error() is None, msg.error()
                messages.append(msg)
                if msg.offset() + 1 >= marks[msg.partition()]:
                    remaining.discard(msg.partition())
    finally:
        consumer.close()
    assert not remaining, f"partitions {sorted(remaining)} of {topic} were not read to their end in time"
    return sorted(messages, key=lambda m: (m.partition(), m.offset()))


def read_events(topic: str) -> list[dict]:
    return [orjson.loads(m.value()) for m in read_topic(topic)]


def message_count(topic: str) -> int:
    """Messages ever written to a fresh topic (nothing is deleted during a test)."""
    return sum(high_watermarks(topic).values())

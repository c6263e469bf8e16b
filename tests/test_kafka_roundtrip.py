"""The real broker: what is produced with the project's producer settings comes back, exactly."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, Producer

from game_events.kafka import ensure_topic, producer_config, topic_watermarks

N = 1_000


def produce_keyed(topic: str, n: int) -> dict[bytes, bytes]:
    sent = {f"key-{i}".encode(): f'{{"n": {i}}}'.encode() for i in range(n)}
    failures = []
    producer = Producer(producer_config())
    for key, value in sent.items():
        producer.produce(topic, key=key, value=value,
                         on_delivery=lambda err, msg: failures.append(err) if err else None)
        producer.poll(0)
    assert producer.flush(30) == 0
    assert failures == []
    return sent


def consume_all(topic: str, expected: int, timeout_s: float = 30) -> list:
    consumer = Consumer({"bootstrap.servers": producer_config()["bootstrap.servers"],
                         "group.id": f"{topic}-reader", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe([topic])
    messages, deadline = [], time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if len(messages) >= expected:
                    break  # one empty poll after the last expected message: nothing more is coming
                continue
            assert msg.error() is None, msg.error()
            messages.append(msg)
    finally:
        consumer.close()
    return messages


def test_keyed_messages_come_back_exactly(fresh_topic):
    sent = produce_keyed(fresh_topic, N)
    received = consume_all(fresh_topic, N)
    assert len(received) == N
    assert {m.key(): m.value() for m in received} == sent
    # Keys decide partitions: every copy of a key sits in one partition, and all 3 partitions are used.
    assert len({m.partition() for m in received}) == 3
    marks = topic_watermarks(fresh_topic)
    assert sum(m.high - m.low for m in marks) == N


def test_ensure_topic_is_idempotent(fresh_topic):
    assert ensure_topic(fresh_topic, partitions=3) is False
    assert [m.partition for m in topic_watermarks(fresh_topic)] == [0, 1, 2]

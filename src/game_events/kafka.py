"""Kafka helpers on confluent-kafka: producer settings, the topic, broker readiness, watermarks.

Run by hand:  python -m game_events.cli topic ensure   |   python -m game_events.cli broker wait
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from game_events.settings import Settings, load_settings


class BrokerUnavailable(RuntimeError):
    """The bootstrap servers did not answer in time."""


def producer_config(settings: Settings | None = None, **overrides: object) -> dict[str, object]:
    """The one producer configuration: nothing acknowledged is ever lost or duplicated by a retry."""
    settings = settings or load_settings()
    config: dict[str, object] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "acks": "all",
        "enable.idempotence": True,
        "compression.type": "lz4",
        "linger.ms": 5,
        "batch.size": 256 * 1024,
        "queue.buffering.max.messages": 200_000,
        # How long a message may wait for the broker before its delivery callback reports failure.
        "message.timeout.ms": 30_000,
    }
    config.update(overrides)
    return config


def admin_client(settings: Settings | None = None, **overrides: object) -> AdminClient:
    settings = settings or load_settings()
    return AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers, **overrides})


def wait_for_broker(settings: Settings | None = None, timeout_s: float = 60.0) -> int:
    """Block until the cluster answers a metadata request; return its broker count."""
    settings = settings or load_settings()
    # Refused connections are expected while the broker starts; only the final verdict is worth a line.
    admin = admin_client(settings, log_level=0)
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            metadata = admin.list_topics(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            return len(metadata.brokers)
        except KafkaException as exc:
            last_error = exc
            time.sleep(0.5)
    raise BrokerUnavailable(
        f"Kafka at {settings.kafka_bootstrap_servers} did not answer within {timeout_s:.0f}s "
        f"(is it running? `make kafka-up`): {last_error}")


def ensure_topic(name: str | None = None, partitions: int | None = None, replication: int | None = None,
                 settings: Settings | None = None, config: dict[str, str] | None = None) -> bool:
    """Create the topic unless it exists. Returns True if this call created it."""
    settings = settings or load_settings()
    name = name or settings.kafka_topic
    admin = admin_client(settings)
    if name in admin.list_topics(timeout=10).topics:
        return False
    config = dict(config or {})
    if settings.kafka_topic_min_insync_replicas:  # with acks=all: how many copies a write needs
        config.setdefault("min.insync.replicas", str(settings.kafka_topic_min_insync_replicas))
    topic = NewTopic(name, num_partitions=partitions or settings.kafka_topic_partitions,
                     replication_factor=replication or settings.kafka_topic_replication, config=config)
    future = admin.create_topics([topic], operation_timeout=30)[name]
    try:
        future.result()
    except KafkaException as exc:
        if exc.args and exc.args[0].name() == "TOPIC_ALREADY_EXISTS":  # a concurrent caller won
            return False
        raise
    # Metadata reaches every broker asynchronously; wait until the topic is visible with leaders.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        meta = admin.list_topics(topic=name, timeout=5).topics.get(name)
        if meta and meta.error is None and meta.partitions and all(p.leader >= 0 for p in meta.partitions.values()):
            break
        time.sleep(0.2)
    return True


def delete_topic(name: str, settings: Settings | None = None) -> None:
    admin = admin_client(settings)
    admin.delete_topics([name], operation_timeout=30)[name].result()


@dataclass(frozen=True)
class PartitionWatermarks:
    partition: int
    low: int  # oldest offset still held (retention deletes below it)
    high: int  # offset the next message will get


def topic_watermarks(name: str | None = None, settings: Settings | None = None,
                     timeout_s: float = 10.0) -> list[PartitionWatermarks]:
    """Low/high watermarks per partition, sorted by partition.

    Retries retriable errors (a partition leader that is still being elected right after the topic was
    created or a broker restarted) until `timeout_s`.
    """
    from confluent_kafka import Consumer

    settings = settings or load_settings()
    name = name or settings.kafka_topic
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers,
                         "group.id": "game-events-watermarks", "enable.auto.commit": False})
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                return _read_watermarks(consumer, name, timeout_s)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                retriable = getattr(error, "retriable", lambda: False)()
                if not retriable or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()


def _read_watermarks(consumer, name: str, timeout_s: float) -> list[PartitionWatermarks]:
    meta = consumer.list_topics(topic=name, timeout=timeout_s).topics.get(name)
    if meta is None or meta.error is not None:
        raise KafkaException(meta.error if meta else f"topic {name} not found")
    result = []
    for partition in sorted(meta.partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(name, partition), timeout=timeout_s)
        result.append(PartitionWatermarks(partition, low, high))
    return result

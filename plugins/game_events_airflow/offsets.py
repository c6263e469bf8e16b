"""KafkaOffsetsSensor: the DAG's "check Kafka topic offsets" step as a reusable Airflow sensor.

Per partition of a topic it reports the low/high watermarks, the lake's ledger offset, what is new
since the last ingest and the consumer lag (optionally also a Kafka consumer group's lag), logs that
as a small table and returns it as XCom. It reads the broker through the Kafka provider's hooks and
a Kafka connection (`kafka_default`); the offsets logic itself is game_events.daily.offsets_report.

    KafkaOffsetsSensor(task_id="check_offsets", topic="events", expect_new=True)

Outcomes: success with the report as soon as something is new; skipped when nothing is new and
nothing was expected (or nothing arrived within `timeout`, ~a minute: another run already ingested
it); failed when the broker is unreachable (retried) or retention deleted messages the lake never
read (no retry: AirflowFailException). It pokes rather than defers: the wait is one minute at most,
about what a hand-over to the triggerer and back costs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from airflow.providers.apache.kafka.hooks.base import KafkaBaseHook
from airflow.providers.apache.kafka.hooks.client import KafkaAdminClientHook
from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowSkipException
from confluent_kafka import Consumer, KafkaException, TopicPartition

from game_events.daily import MessagesLost, NothingNew, format_offsets_table, offsets_report
from game_events.kafka import PartitionWatermarks


class BrokerUnreachable(RuntimeError):
    """The connection's bootstrap servers did not answer (a plain error: Airflow retries the task)."""


class KafkaOffsetsHook(KafkaBaseHook):
    """A consumer on a Kafka connection that only reads metadata and offsets; it never subscribes.

    The provider's KafkaBaseHook builds the configuration from the connection's extra (bootstrap.servers,
    security settings, callbacks); a consumer needs a group id, which a metadata reader never commits to.
    """

    def __init__(self, kafka_config_id: str = KafkaBaseHook.default_conn_name, group_id: str | None = None):
        super().__init__(kafka_config_id=kafka_config_id)
        self.group_id = group_id or "game-events-offsets-check"

    def _get_client(self, config: dict[str, Any]) -> Consumer:
        return Consumer({**config, "group.id": self.group_id, "enable.auto.commit": False})

    def watermarks(self, topic: str, timeout_s: float = 10.0) -> list[PartitionWatermarks]:
        consumer = self.get_conn
        meta = consumer.list_topics(topic=topic, timeout=timeout_s).topics.get(topic)
        if meta is None or meta.error is not None:
            raise KafkaException(meta.error if meta else f"topic {topic} not found")
        return [PartitionWatermarks(p, *consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s))
                for p in sorted(meta.partitions)]

    def group_offsets(self, topic: str, partitions: Sequence[int], timeout_s: float = 10.0) -> dict[int, int]:
        """The group's committed offsets; partitions it never committed are left out."""
        committed = self.get_conn.committed([TopicPartition(topic, p) for p in partitions], timeout=timeout_s)
        return {tp.partition: tp.offset for tp in committed if tp.offset >= 0}


def broker_reachable(kafka_config_id: str, timeout_s: float) -> None:
    """Raise BrokerUnreachable unless the connection's cluster answers a metadata request in time."""
    hook = KafkaAdminClientHook(kafka_config_id=kafka_config_id)
    servers = hook.get_connection(kafka_config_id).extra_dejson.get("bootstrap.servers")
    deadline, last_error = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        try:
            hook.get_conn.list_topics(timeout=min(5.0, max(0.5, deadline - time.monotonic())))
            return
        except KafkaException as exc:
            last_error = exc
            time.sleep(0.5)
    raise BrokerUnreachable(f"Kafka at {servers} (connection {kafka_config_id!r}) did not answer within "
                            f"{timeout_s:.0f}s: {last_error}")


class KafkaOffsetsSensor(BaseSensorOperator):
    """Wait until a topic holds messages the lake has not ingested; return the per-partition report.

    :param topic: the topic to check (templated).
    :param expect_new: whether messages are expected (templated, e.g. "{{ params.generate }}"); when
        False and nothing is new, the task skips at once instead of waiting.
    :param kafka_config_id: the Kafka connection, `kafka_default` by default.
    :param consumer_group: optionally a Kafka consumer group whose lag to report as well (`group_lag`).
    :param broker_timeout: seconds to wait for the broker before failing.
    """

    template_fields: Sequence[str] = ("topic", "expect_new", "consumer_group")

    def __init__(self, *, topic: str, expect_new: bool | str = True, kafka_config_id: str = "kafka_default",
                 consumer_group: str | None = None, broker_timeout: float = 15.0, poke_interval: float = 5,
                 timeout: float = 60, mode: str = "poke", **kwargs):
        super().__init__(poke_interval=poke_interval, timeout=timeout, mode=mode, **kwargs)
        self.topic, self.expect_new, self.kafka_config_id = topic, expect_new, kafka_config_id
        self.consumer_group, self.broker_timeout = consumer_group, broker_timeout

    def _expecting(self) -> bool:
        # Rendered templates are strings ("True"/"False") unless the DAG renders native objects.
        return self.expect_new if isinstance(self.expect_new, bool) else str(self.expect_new).lower() == "true"

    def poke(self, context) -> PokeReturnValue:
        from game_events import lake

        broker_reachable(self.kafka_config_id, self.broker_timeout)
        hook = KafkaOffsetsHook(self.kafka_config_id, group_id=self.consumer_group)
        try:
            marks = hook.watermarks(self.topic)
            group = hook.group_offsets(self.topic, [m.partition for m in marks]) if self.consumer_group else None
        finally:
            hook.get_conn.close()
        try:
            report = offsets_report(self.topic, marks, lake.committed_offsets(self.topic), group,
                                    expect_new=self._expecting())
        except MessagesLost as exc:
            raise AirflowFailException(f"check_offsets: {exc}") from None
        except NothingNew as exc:
            if not self._expecting():
                raise AirflowSkipException(f"{exc}; nothing was expected, so the ingest is skipped") from None
            self.log.info("%s; waiting for messages in flight", exc)
            return PokeReturnValue(is_done=False)
        self.log.info("Offsets of topic %r:\n%s", self.topic, format_offsets_table(report))
        return PokeReturnValue(is_done=True, xcom_value=report)

    def execute(self, context) -> Any:
        try:
            return super().execute(context)
        except AirflowSensorTimeout:
            # Generated events that never arrived were ingested by another run (a re-run or backfill).
            raise AirflowSkipException(f"no new messages on {self.topic!r} within {self.timeout:.0f}s: "
                                       "already ingested, so the ingest is skipped") from None

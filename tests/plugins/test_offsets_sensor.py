"""KafkaOffsetsSensor (plugins/game_events_airflow/offsets.py) called directly against the real broker:
the report it returns as XCom, skipping, waiting, retention loss, an unreachable broker, a consumer group.

The DAG file's own check_offsets is also run with its templates rendered the way a worker renders them for
a run (RuntimeTaskInstance.get_template_context, then render_templates), so its `{{ params.generate }}` is
tested as the DAG writes it.

The sensor reads the broker through the `kafka_default` connection (AIRFLOW_CONN_KAFKA_DEFAULT, set from
KAFKA_BOOTSTRAP_SERVERS by scripts/airflow-env.sh) and the ledger from GAME_EVENTS_DATA_DIR.
Run: .venv/bin/python -m pytest tests/plugins/test_offsets_sensor.py   (with the broker up)
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone

import pytest
from airflow.models import DagBag
from airflow.sdk.api.datamodels._generated import DagRun, TIRunContext
from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from confluent_kafka import Consumer, Producer, TopicPartition
from game_events_airflow.offsets import BrokerUnreachable, KafkaOffsetsSensor

from game_events import lake
from game_events.kafka import admin_client, producer_config
from game_events.settings import PROJECT_ROOT
from tests.api.servers import free_port


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GAME_EVENTS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def produce(topic: str, per_partition: dict[int, int], settings) -> None:
    producer = Producer(producer_config(settings))
    for partition, count in per_partition.items():
        for i in range(count):
            producer.produce(topic, value=json.dumps({"i": i}).encode(), partition=partition)
    assert producer.flush(30) == 0


def commit_ledger(topic: str, offsets: dict[int, int]) -> None:
    """What filtered_writes leaves behind: a manifest whose offset spans end where the lake stopped."""
    spans = [{"topic": topic, "partition": p, "from": 0, "to": to} for p, to in offsets.items()]
    lake.write_manifest({"run_id": "earlier", "requested_date": "2026-11-19", "offsets": spans})


def sensor(topic: str, **kwargs) -> KafkaOffsetsSensor:
    return KafkaOffsetsSensor(task_id="check_offsets", topic=topic, **kwargs)


def dags_check_offsets(topic: str, conf: dict, monkeypatch) -> tuple[KafkaOffsetsSensor, dict]:
    """The DAG file's check_offsets on `topic`, rendered as a worker renders it for a run triggered with `conf`;
    returns the rendered task and the run's template context."""
    monkeypatch.setenv("KAFKA_TOPIC", topic)  # the DAG reads its topic from the settings at parse time
    dag = DagBag(dag_folder=str(PROJECT_ROOT / "dags")).dags["game_events_daily"]
    task, day = dag.get_task("check_offsets"), datetime(2026, 11, 20, tzinfo=timezone.utc)
    run = DagRun(dag_id=dag.dag_id, run_id="manual__test", logical_date=day, data_interval_start=day,
                 data_interval_end=day, run_after=day, start_date=day, end_date=None, run_type="manual",
                 state="running", conf=conf, consumed_asset_events=[], partition_key=None)
    ti = RuntimeTaskInstance.model_construct(
        id=uuid.uuid4(), task_id=task.task_id, dag_id=dag.dag_id, run_id=run.run_id, try_number=1,
        dag_version_id=uuid.uuid4(), map_index=-1, task=task, max_tries=0, start_date=day,
        _ti_context_from_server=TIRunContext(dag_run=run, max_tries=0))
    context = ti.get_template_context()
    ti.render_templates(context)
    return ti.task, context


def test_the_report_counts_what_is_new_since_the_ledger(fresh_topic, settings):
    produce(fresh_topic, {0: 5, 1: 3}, settings)
    commit_ledger(fresh_topic, {0: 2})
    report = sensor(fresh_topic).execute(context={})
    assert report == {"topic": fresh_topic, "new_messages": 6, "partitions": [
        {"partition": 0, "low": 0, "high": 5, "ingested": 2, "new": 3, "lag": 3},
        {"partition": 1, "low": 0, "high": 3, "ingested": 0, "new": 3, "lag": 3},
        {"partition": 2, "low": 0, "high": 0, "ingested": 0, "new": 0, "lag": 0}]}


def test_expected_messages_that_never_come_skip_after_the_timeout(fresh_topic, settings):
    produce(fresh_topic, {0: 2}, settings)
    commit_ledger(fresh_topic, {0: 2})  # another run already ingested them
    started = time.monotonic()
    with pytest.raises(AirflowSkipException, match="within 2s: already ingested"):
        sensor(fresh_topic, expect_new=True, timeout=2, poke_interval=1).execute(context={})
    assert 2 <= time.monotonic() - started < 30


def test_messages_deleted_by_retention_before_ingest_fail_without_retry(fresh_topic, settings):
    produce(fresh_topic, {1: 6}, settings)
    admin = admin_client(settings)  # kept referenced: its futures die with it
    deleted = admin.delete_records([TopicPartition(fresh_topic, 1, 4)])
    deleted[TopicPartition(fresh_topic, 1, 4)].result(timeout=30)  # what retention does: low watermark -> 4
    with pytest.raises(AirflowFailException, match=r"partition 1: next unread offset 0.*\(4 messages deleted\)"):
        sensor(fresh_topic).execute(context={})


def test_an_unreachable_broker_fails_with_a_clear_message(monkeypatch):
    nowhere = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("AIRFLOW_CONN_KAFKA_NOWHERE",
                       json.dumps({"conn_type": "kafka", "extra": {"bootstrap.servers": nowhere}}))
    with pytest.raises(BrokerUnreachable, match=f"Kafka at {nowhere} \\(connection 'kafka_nowhere'\\) did not answer"):
        sensor("events", kafka_config_id="kafka_nowhere", broker_timeout=2).execute(context={})


def test_a_consumer_groups_lag_is_reported_too(fresh_topic, settings):
    produce(fresh_topic, {0: 10, 2: 4}, settings)
    group = f"{fresh_topic}-readers"
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": group})
    consumer.commit(offsets=[TopicPartition(fresh_topic, 0, 7)], asynchronous=False)
    consumer.close()
    report = sensor(fresh_topic, consumer_group=group).execute(context={})
    assert [(p["partition"], p["lag"], p["group_lag"]) for p in report["partitions"]] == [(0, 10, 3), (1, 0, 0),
                                                                                          (2, 4, 4)]


def test_nothing_new_and_generate_off_skips_at_once(fresh_topic, monkeypatch):
    task, context = dags_check_offsets(fresh_topic, {"generate": False}, monkeypatch)
    assert (task.topic, task.expect_new) == (fresh_topic, "False")
    started = time.monotonic()
    with pytest.raises(AirflowSkipException, match="nothing was expected"):
        task.execute(context=context)
    assert time.monotonic() - started < 20


def test_nothing_new_and_generate_on_waits_for_the_messages(fresh_topic, monkeypatch):
    task, context = dags_check_offsets(fresh_topic, {}, monkeypatch)  # the trigger form's default: generate
    assert (task.topic, task.expect_new) == (fresh_topic, "True")
    task.timeout, task.poke_interval = 3, 1  # the DAG waits a minute; the outcome is the same
    started = time.monotonic()
    with pytest.raises(AirflowSkipException, match="within 3s: already ingested"):
        task.execute(context=context)
    assert 3 <= time.monotonic() - started < 30

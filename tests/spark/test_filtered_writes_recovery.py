"""filtered_writes under failure: crashes at each commit step, concurrent runs, and retention loss.

Real Kafka, real Spark, the job's own main() run in-process on the session fixture (spark-submit start-up
would multiply the file's time by five; test_filtered_writes.py covers the spark-submit path). A crash is
simulated by the job's failpoints, which raise a BaseException that no cleanup code catches, like a kill.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections import Counter
from datetime import date

import pytest
from confluent_kafka import TopicPartition

from game_events import lake
from game_events.generator import generate_day, send_via_kafka
from game_events.kafka import admin_client, delete_topic, ensure_topic, topic_watermarks
from spark import filtered_writes
from tests.spark.test_filtered_writes import content_hash, produce
from tests.factories import a_purchase

D1, D2 = "2026-11-26", "2026-11-27"
RUN_FIGURES = ("counts", "per_date", "offsets", "dates_written", "restated_dates")


def run(spark, settings, day: str, run_id: str) -> int:
    return filtered_writes.main(["--date", day, "--topic", settings.kafka_topic, "--data-dir",
                                 str(settings.data_dir), "--run-id", run_id], spark=spark)


def hashes(settings) -> tuple[str, str]:
    return content_hash(settings.events_dir), content_hash(settings.quarantine_dir)


@pytest.fixture
def topic(broker, settings, request):
    name = f"test-fwr-{uuid.uuid4().hex[:12]}"
    ensure_topic(name, partitions=getattr(request, "param", 3), settings=settings)
    yield name
    delete_topic(name, settings)


def lake_at(settings, tmp_path, name: str, topic: str):
    return dataclasses.replace(settings, kafka_topic=topic, data_dir=tmp_path / name)


def send_day(settings, day: str, late: float) -> None:
    generated = generate_day(date.fromisoformat(day), 400, seed=2, duplicates=0.05, late=late, malformed=0.03)
    assert send_via_kafka(generated, settings, settings.kafka_topic).failures == Counter()


def test_a_retry_after_a_crash_at_any_step_equals_a_clean_run(spark, topic, settings, tmp_path, monkeypatch):
    clean, crashy = lake_at(settings, tmp_path, "clean", topic), lake_at(settings, tmp_path, "crashy", topic)
    send_day(clean, D1, late=0.0)
    assert run(spark, clean, D1, "d1") == 0 and run(spark, crashy, D1, "d1") == 0
    before = hashes(crashy)
    send_day(clean, D2, late=0.05)  # late events restate D1
    assert run(spark, clean, D2, "d2") == 0

    for point in ("before_publish", f"after_swap:{D1}", "before_commit"):
        monkeypatch.setenv(filtered_writes.FAILPOINT_ENV, point)
        with pytest.raises(filtered_writes.InjectedCrash):
            run(spark, crashy, D2, f"crash-{point}")
        live_dates = {p.name for p in crashy.events_dir.iterdir()}
        assert all(name.startswith("event_date=") for name in live_dates)  # no half-written folder visible
        if point == "before_publish":
            assert hashes(crashy) == before  # nothing published: D1 is exactly as it was
        assert len(lake.read_manifests(settings=crashy)) == 1  # nothing committed
    monkeypatch.delenv(filtered_writes.FAILPOINT_ENV)
    assert run(spark, crashy, D2, "d2") == 0

    assert hashes(crashy) == hashes(clean)
    retried, reference = lake.read_manifests(settings=crashy)[-1], lake.read_manifests(settings=clean)[-1]
    assert {k: retried[k] for k in RUN_FIGURES} == {k: reference[k] for k in RUN_FIGURES}
    assert lake.reconcile(retried) == [] and retried["restated_dates"] == [D1]
    assert not any(lake.staging_root(crashy).iterdir())


def test_concurrent_runs_give_what_sequential_runs_give(spark, topic, settings, tmp_path):
    together, one_by_one = lake_at(settings, tmp_path, "together", topic), lake_at(settings, tmp_path, "seq", topic)
    send_day(together, D1, late=0.02)
    send_day(together, D2, late=0.02)
    results: dict[str, int] = {}
    threads = [threading.Thread(target=lambda d=day: results.__setitem__(d, run(spark, together, d, f"c-{d}")))
               for day in (D1, D2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {D1: 0, D2: 0}
    assert run(spark, one_by_one, D1, "s-d1") == 0 and run(spark, one_by_one, D2, "s-d2") == 0

    assert hashes(together) == hashes(one_by_one)
    manifests = lake.read_manifests(settings=together)
    assert all(lake.reconcile(m) == [] for m in manifests)
    total = sum(m.high for m in topic_watermarks(topic, together))
    assert sum(m["counts"]["read"] for m in manifests) == total  # every message read exactly once


@pytest.mark.parametrize("topic", [1], indirect=True)
def test_messages_lost_to_retention_fail_the_run_and_write_nothing(spark, topic, settings, tmp_path, capsys):
    lake_settings = lake_at(settings, tmp_path, "lake", topic)
    produce(lake_settings, [a_purchase(event_id=f"00000000-0000-4000-8000-{n:012d}") for n in range(10)])
    assert run(spark, lake_settings, D1, "first") == 0
    produce(lake_settings, [a_purchase(event_id=f"00000000-0000-4000-8000-{n:012d}") for n in range(10, 30)])
    admin = admin_client(lake_settings)  # kept referenced: its futures never resolve once it is collected
    for future in admin.delete_records([TopicPartition(topic, 0, 25)]).values():
        future.result(timeout=30)  # what retention would do: Kafka now starts partition 0 at offset 25
    before = hashes(lake_settings)
    capsys.readouterr()  # forget the first run's output

    assert run(spark, lake_settings, D2, "after-loss") == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "retention loss" in error and "partition 0: next unread offset 10" in error and "15 messages" in error
    assert hashes(lake_settings) == before and len(lake.read_manifests(settings=lake_settings)) == 1

"""Cases 1 and 15 (long): kill -9 of a broker under live traffic, and a sustained load, both checked in the lake.

Case 1 runs its own throw-away broker (scripts/kafka.sh in a temporary folder, free ports): the suite's
shared broker is never killed. The lake is built by filtered_writes under spark-submit, the same command
the DAG's task runs. Marked long: `make test-reliability` runs them, `make test` does not.

    .venv/bin/python -m pytest tests/reliability/test_broker_and_load.py -m long -s
    RELIABILITY_LOAD_SECONDS=300 ... (case 15's duration; default 120 s at 500 events/s)
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
import uuid
from collections import Counter

import orjson
import pytest

from game_events import lake
from game_events.kafka import ensure_topic
from tests.api.servers import Broker, game_api_server
from tests.reliability.clients import HEADERS, Client, an_event
from tests.reliability.jobs import lake_rows, run_job
from tests.reliability.strategies import DAY_START

pytestmark = pytest.mark.long
D = "2026-11-20"


def traffic(client: Client, stop: threading.Event, threads: int = 6) -> list[threading.Thread]:
    """Clients posting events until stop is set (each thread its own numbers, so every event is new)."""
    def loop(first: int):
        number = first
        while not stop.is_set():
            client.post(an_event(DAY_START, number))
            number += threads
            time.sleep(0.01)
    workers = [threading.Thread(target=loop, args=(10_000 + i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    return workers


def test_kill_9_of_the_broker_loses_no_acknowledged_event(tmp_path, settings):  # case 1
    broker = Broker(tmp_path / "kafka")
    broker.up()
    topic = f"rel-kill-{uuid.uuid4().hex[:8]}"
    lake_settings = dataclasses.replace(settings, kafka_bootstrap_servers=broker.bootstrap, kafka_topic=topic,
                                        data_dir=tmp_path / "data")
    try:
        ensure_topic(topic, partitions=3, settings=lake_settings)
        with game_api_server(tmp_path / "api", topic, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap) as url:
            client, stop = Client(url), threading.Event()
            workers = traffic(client, stop)
            time.sleep(8)
            broker_pid = int((tmp_path / "kafka" / "kafka.pid").read_text())
            os.kill(broker_pid, signal.SIGKILL)
            killed_at = time.monotonic()
            time.sleep(12)
            restart_at = time.monotonic()
            broker.up()  # same state folder: the topic and its acknowledged messages are back
            time.sleep(8)
            stop.set()
            for worker in workers:
                worker.join(timeout=60)
        job = run_job(lake_settings, D, "after-broker-kill")
        assert job.returncode == 0, job.stderr[-3000:]
    finally:
        broker.down()

    answers = client.answers
    during = Counter(a.status for a in answers if a.sent_at > killed_at and a.answered_at < restart_at)
    rows = lake_rows(lake_settings.events_dir)
    stored = [row["event_id"] for row in rows]
    missing = client.accepted_ids() - set(stored)
    print(f"broker kill: {len(answers)} requests, statuses {dict(Counter(a.status for a in answers))}; "
          f"during the outage {dict(during)}; {len(client.accepted_ids())} accepted, {len(stored)} rows in the "
          f"lake, {len(missing)} accepted but missing, {len(stored) - len(set(stored))} duplicates")
    assert during and set(during) == {503}  # answered during the outage: 503 only, never a 2xx
    assert client.accepted_ids() and missing == set()
    assert len(stored) == len(set(stored))
    assert Counter(a.status for a in answers if a.answered_at > restart_at + 5)[202] > 0  # traffic resumed


def paced_batches(url: str, rate: int, seconds: float, batch: int = 10, threads: int = 16):
    """POST batches of `batch` events at `rate` events/s for `seconds`; returns (answers, event_ids sent)."""
    import requests
    from concurrent.futures import ThreadPoolExecutor

    local, statuses, accepted, lock = threading.local(), Counter(), [], threading.Lock()

    def post(number: int) -> None:
        events = [an_event(DAY_START, number * batch + i) for i in range(batch)]
        if not hasattr(local, "session"):  # one keep-alive connection per sending thread
            local.session = requests.Session()
        try:
            answer = local.session.post(f"{url}/v1/events/batch", data=orjson.dumps(events), headers=HEADERS, timeout=30)
            status, body = answer.status_code, answer.json() if answer.status_code == 202 else {}
        except requests.RequestException:
            status, body = 0, {}
        with lock:
            statuses[status] += batch
            accepted.extend(event_id for event_id in body.get("event_ids", []) if event_id)

    requests_per_s, started = rate / batch, time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        for number in range(int(seconds * requests_per_s)):
            delay = started + number / requests_per_s - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(post, number)
    return statuses, set(accepted), time.monotonic() - started


def test_sustained_load_loses_nothing(tmp_path, broker, settings):  # case 15
    rate, seconds = 500, float(os.environ.get("RELIABILITY_LOAD_SECONDS", "120"))
    topic = f"rel-load-{uuid.uuid4().hex[:8]}"
    lake_settings = dataclasses.replace(settings, kafka_topic=topic, data_dir=tmp_path / "data")
    ensure_topic(topic, partitions=3, settings=lake_settings)
    with game_api_server(tmp_path / "api", topic, KAFKA_BOOTSTRAP_SERVERS=broker) as url:
        statuses, accepted, elapsed = paced_batches(url, rate, seconds)
    job = run_job(lake_settings, D, "after-load")
    assert job.returncode == 0, job.stderr[-3000:]
    stored = {row["event_id"] for row in lake_rows(lake_settings.events_dir)}
    sent = sum(statuses.values())
    errors = sent - statuses[202]
    print(f"load: {sent} events in {elapsed:.0f} s ({sent / elapsed:.0f}/s), statuses {dict(statuses)}, "
          f"error rate {errors / sent:.5%}, {len(accepted)} accepted, {len(stored)} in the lake, "
          f"manifest read {lake.read_manifests(settings=lake_settings)[-1]['counts']['read']}")
    assert sent / elapsed >= 0.9 * rate  # the load was really applied
    assert errors / sent < 0.001
    assert accepted <= stored and len(accepted) == statuses[202]

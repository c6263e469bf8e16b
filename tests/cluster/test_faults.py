"""Faults on the clusters: a Kafka broker killed during generation, a Spark worker killed during
filtered_writes. Neither loses an accepted event or changes the lake.

One day goes through the game API into a fresh topic (replication 3, min.insync.replicas 2) while
kafka-2 is killed with SIGKILL; filtered_writes then runs once in local mode (the reference) and once
on the Spark cluster while the worker whose executor ran the first task is killed with SIGKILL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import date

import orjson
import pytest

from game_events.generator import generate_day
from game_events.kafka import admin_client, ensure_topic
from game_events.settings import PROJECT_ROOT
from game_events.spark_submit import submit_command
from tests.api.servers import game_api_server
from tests.api.topic_reader import high_watermarks, read_topic
from tests.cluster.conftest import cluster_script
from tests.cluster.helpers import STATE_DIR, cluster_pid, lake_hash, spark_submit

DAY, EVENTS, SEED = date(2026, 11, 14), 4000, 7
FILTERED_WRITES = PROJECT_ROOT / "spark" / "filtered_writes.py"


def _generate_while_killing_a_broker(topic: str, api_url: str, truth_dir) -> tuple[subprocess.CompletedProcess, bool]:
    """Run the generator through the API; SIGKILL kafka-2 once the first events are on the topic."""
    command = [sys.executable, "-m", "game_events.cli", "generate", "--date", DAY.isoformat(), "--events",
               str(EVENTS), "--seed", str(SEED), "--via", "http", "--api-url", api_url, "--topic", topic,
               "--truth-dir", str(truth_dir)]
    generator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while sum(high_watermarks(topic).values()) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_during_generation = generator.poll() is None
    os.kill(cluster_pid("kafka-2"), signal.SIGKILL)
    output, _ = generator.communicate(timeout=300)
    return subprocess.CompletedProcess(command, generator.returncode, output), killed_during_generation


@pytest.fixture(scope="module")
def generated_day(cluster, tmp_path_factory):
    base = tmp_path_factory.mktemp("faults")
    topic = f"cluster-faults-{uuid.uuid4().hex[:8]}"
    ensure_topic(topic, partitions=3, replication=3)
    try:
        with game_api_server(base / "game_api", topic) as api_url:
            generation, killed_during_generation = _generate_while_killing_a_broker(topic, api_url, base / "truth")
    finally:
        cluster_script("up")  # brings kafka-2 back (its data folder kept), waits for 3 brokers
    return topic, base, generation, killed_during_generation


def test_a_broker_killed_during_generation_loses_no_accepted_event(generated_day):
    topic, _, generation, killed_during_generation = generated_day
    assert killed_during_generation, "the generator finished before the broker was killed"
    assert generation.returncode == 0, generation.stdout[-3000:]
    print("generator, kafka-2 killed during it:", generation.stdout.strip().splitlines()[-1])
    sent_ids = {event["event_id"] for event in generate_day(DAY, EVENTS, SEED).events}
    on_topic = {orjson.loads(message.value())["event_id"] for message in read_topic(topic, timeout_s=60)}
    assert sent_ids <= on_topic and len(sent_ids) == EVENTS
    # kafka-2 is back and in sync: every partition has its three replicas again.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        partitions = admin_client().list_topics(topic, timeout=10).topics[topic].partitions.values()
        if all(len(partition.isrs) == 3 for partition in partitions):
            break
        time.sleep(1)
    assert all(len(partition.replicas) == 3 and len(partition.isrs) == 3 for partition in partitions)


def _kill_the_first_busy_worker(started_at: float, timeout_s: float = 300) -> str | None:
    """SIGKILL the worker whose executor of an app started after `started_at` ran a task first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for worker in ("worker-1", "worker-2"):
            for log in (STATE_DIR / "spark" / f"work-{worker[-1]}").glob("app-*/*/stderr"):
                if log.stat().st_mtime >= started_at and "Running task" in log.read_text(errors="replace"):
                    os.kill(cluster_pid(worker), signal.SIGKILL)
                    return worker
        time.sleep(0.1)
    return None


def test_a_worker_killed_during_filtered_writes_changes_nothing(generated_day):
    topic, base, generation, _ = generated_day
    assert generation.returncode == 0
    args = ["--date", DAY.isoformat(), "--topic", topic]
    spark_submit(FILTERED_WRITES, [*args, "--data-dir", str(base / "single")], master="local[2]")
    started_at = time.time()
    with open(base / "cluster-driver.log", "w") as driver_log:
        job = subprocess.Popen(submit_command(FILTERED_WRITES, [*args, "--data-dir", str(base / "cluster")]),
                               stdout=subprocess.PIPE, stderr=driver_log, text=True, cwd=PROJECT_ROOT)
        try:
            killed = _kill_the_first_busy_worker(started_at)
            stdout, _ = job.communicate(timeout=600)
        finally:
            cluster_script("up")  # the killed worker back
    driver = (base / "cluster-driver.log").read_text()
    assert job.returncode == 0, driver[-4000:]
    assert killed, "no executor ran a task"
    lost = re.search(r".*(Lost executor|Executor \d+ (lost|removed)|worker lost).*", driver, re.IGNORECASE)
    assert lost, driver[-3000:]
    print("driver:", lost.group(0).strip())
    single, on_cluster = lake_hash(base / "single", DAY), lake_hash(base / "cluster", DAY)
    print(f"killed {killed}; lake {DAY}: single node {single}, cluster {on_cluster}")
    assert on_cluster == single and single[0] == EVENTS

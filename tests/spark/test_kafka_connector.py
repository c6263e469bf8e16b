"""Spark's Kafka connector against the real broker: in-process and through the project's spark-submit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from game_events.settings import load_settings
from game_events.spark_submit import submit_command
from tests.test_kafka_roundtrip import N, consume_all, produce_keyed

APPS = Path(__file__).parent / "apps"


def test_spark_batch_read_returns_every_message(spark, fresh_topic):
    produce_keyed(fresh_topic, N)
    expected = {(m.key(), m.value(), m.partition(), m.offset()) for m in consume_all(fresh_topic, N)}
    rows = (spark.read.format("kafka")
            .option("kafka.bootstrap.servers", load_settings().kafka_bootstrap_servers)
            .option("subscribe", fresh_topic)
            .option("startingOffsets", "earliest")
            .option("endingOffsets", "latest")
            .load()
            .select("key", "value", "partition", "offset")
            .collect())
    got = {(bytes(r.key), bytes(r.value), r.partition, r.offset) for r in rows}
    assert len(rows) == N
    assert got == expected


def test_spark_submit_helper_runs_a_job_with_the_connector(fresh_topic, tmp_path):
    produce_keyed(fresh_topic, 50)
    out = tmp_path / "count.json"
    settings = load_settings()
    command = submit_command(APPS / "count_topic.py", [settings.kafka_bootstrap_servers, fresh_topic, str(out)],
                             master="local[1]")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(out.read_text()) == {"rows": 50, "spark_version": "4.2.0"}


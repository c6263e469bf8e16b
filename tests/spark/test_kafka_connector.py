"""Spark's Kafka connector against the real broker: in-process and through the project's spark-submit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from game_events.settings import load_settings
from game_events.spark_submit import class_archive, driver_java_options, submit_command
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



def test_the_driver_starts_from_the_class_archive_make_setup_trained(fresh_topic, tmp_path):
    """Spark's and the connector's classes come mapped from the archive, not read from their jars."""
    assert class_archive().is_file(), "make setup trains it (python -m game_events.cli spark-class-archive)"
    produce_keyed(fresh_topic, 5)
    app, loaded = APPS / "count_topic.py", tmp_path / "classes.log"
    command = submit_command(app, [load_settings().kafka_bootstrap_servers, fresh_topic, str(tmp_path / "count.json")],
                             master="local[1]")
    logged = f"{driver_java_options()} -Xlog:class+load=info:file={loaded}"
    command[command.index(str(app)):command.index(str(app))] = ["--conf", f"spark.driver.extraJavaOptions={logged}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # Lines like "[0.7s][info][class,load] org.apache.spark.SparkContext source: shared objects file (top)";
    # "(top)" is the archive trained by make setup, the JDK's own archive has no suffix.
    sources = dict(line.split("] ", 1)[1].split(" source: ", 1) for line in loaded.read_text().splitlines()
                   if " source: " in line)
    for name in ("org.apache.spark.SparkContext", "org.apache.spark.sql.kafka010.KafkaSourceProvider",
                 "org.apache.kafka.clients.consumer.KafkaConsumer"):
        assert sources.get(name) == "shared objects file (top)", (name, sources.get(name))
    from_jars = [name for name, source in sources.items() if source.startswith(("jar:", "file:"))]
    assert len(from_jars) < len(sources) // 10, from_jars[:20]

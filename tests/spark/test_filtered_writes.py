"""filtered_writes end to end: generated days -> real Kafka -> the job under spark-submit -> the lake.

One scenario, three spark-submit runs (each costs ~15 s of start-up, so the tests share them):
day 1 (with duplicates, late events for the day before, malformed records, and two events on either side
of midnight) is sent and processed with --date D1; day 2 (whose late events belong to D1) is sent and
processed with --date D2; then D2 is run again with nothing new. The tests check the lake against the
generator's truth and the manifests against reconcile().
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import orjson
import pyarrow.dataset as ds
import pytest
from confluent_kafka import Producer

from game_events import contract, lake
from game_events.generator import generate_day, send_via_kafka
from game_events.kafka import delete_topic, ensure_topic, producer_config
from game_events.serde import DecodeError, decode_event
from game_events.settings import PROJECT_ROOT, Settings
from game_events.spark_submit import submit_command
from tests.api.topic_reader import read_topic
from tests.factories import a_guild_join, a_purchase

JOB = PROJECT_ROOT / "spark" / "filtered_writes.py"
D0, D1, D2 = "2026-11-25", "2026-11-26", "2026-11-27"
BEFORE_MIDNIGHT = a_purchase(event_id="11111111-1111-4111-8111-111111111111", event_ts="2026-11-26T23:59:59.999Z")
AT_MIDNIGHT = a_guild_join(event_id="22222222-2222-4222-8222-222222222222", event_ts="2026-11-27T00:00:00.000Z")


def run_job(settings: Settings, day: str, run_id: str) -> subprocess.CompletedProcess:
    args = ["--date", day, "--bootstrap-servers", settings.kafka_bootstrap_servers, "--topic", settings.kafka_topic,
            "--data-dir", str(settings.data_dir), "--run-id", run_id]
    return subprocess.run(submit_command(JOB, args, settings, master="local[2]"), capture_output=True, text=True,
                          timeout=600)


def produce(settings: Settings, events: list[dict]) -> None:
    producer = Producer(producer_config(settings))
    for event in events:
        producer.produce(settings.kafka_topic, key=event["user_id"].encode(), value=orjson.dumps(event))
    assert producer.flush(30) == 0


def contract_problems(raw: bytes) -> tuple[str, list[str]]:
    """(reason, problems) the contract's Python validator gives a raw record, as the quarantine stores them."""
    try:
        problems = [f"{p.reason}:{p.field}" for p in contract.validate(decode_event(raw))]
    except DecodeError as exc:
        problems = [str(exc.reason)]
    return problems[0].split(":")[0], problems


def lake_rows(root: Path) -> list[dict]:
    if not root.exists():
        return []
    return ds.dataset(root, format="parquet", partitioning="hive").to_table().to_pylist()


def content_hash(root: Path) -> str:
    """Order-independent: the hash of the sorted rows, so file names and row order do not matter."""
    rows = sorted(repr(sorted(row.items())) for row in lake_rows(root))
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@pytest.fixture(scope="module")
def scenario(broker, tmp_path_factory, settings):
    topic = f"test-fw-{uuid.uuid4().hex[:12]}"
    ensure_topic(topic, partitions=3, settings=settings)
    lake_settings = dataclasses.replace(settings, kafka_topic=topic, data_dir=tmp_path_factory.mktemp("data"))
    day1 = generate_day(date.fromisoformat(D1), 3000, seed=1, duplicates=0.05, late=0.02, malformed=0.02)
    day2 = generate_day(date.fromisoformat(D2), 3000, seed=1, duplicates=0.05, late=0.03, malformed=0.02)
    outcome = {"day1": day1, "day2": day2, "settings": lake_settings, "runs": []}
    try:
        assert send_via_kafka(day1, lake_settings, topic).failures == Counter()
        produce(lake_settings, [BEFORE_MIDNIGHT, AT_MIDNIGHT])
        outcome["runs"].append(run_job(lake_settings, D1, "run-d1"))
        outcome["after_d1"] = lake_rows(lake_settings.events_dir)
        assert send_via_kafka(day2, lake_settings, topic).failures == Counter()
        outcome["runs"].append(run_job(lake_settings, D2, "run-d2"))
        outcome["hash_after_d2"] = content_hash(lake_settings.events_dir), content_hash(lake_settings.quarantine_dir)
        outcome["runs"].append(run_job(lake_settings, D2, "rerun-d2"))
        outcome["hash_after_rerun"] = content_hash(lake_settings.events_dir), content_hash(lake_settings.quarantine_dir)
        yield outcome
    finally:
        delete_topic(topic, settings)


def test_every_run_succeeds_and_prints_its_manifest(scenario):
    for result in scenario["runs"]:
        assert result.returncode == 0, result.stderr[-3000:]
        assert Path(result.stdout.strip().splitlines()[-1]).is_file()
    manifests = lake.read_manifests(settings=scenario["settings"])
    assert [m["run_id"] for m in manifests] == ["run-d1", "run-d2", "rerun-d2"]
    assert all(lake.reconcile(m) == [] for m in manifests)


def test_per_date_rows_equal_the_generator_truth(scenario):
    day1, day2 = scenario["day1"].truth, scenario["day2"].truth
    expected = Counter()
    for (day, truth) in ((D1, day1), (D2, day2)):
        expected.update({(day, t): n for t, n in truth["lake_rows_by_type"].items()})
    expected.update({(D0, t): n for t, n in day1["injected"]["late_events_by_type"].items()})
    expected.update({(D1, t): n for t, n in day2["injected"]["late_events_by_type"].items()})
    expected.update({(D1, "purchase_item"): 1, (D2, "join_guild"): 1})  # the two midnight events
    rows = lake_rows(scenario["settings"].events_dir)
    assert Counter((str(r["event_date"]), r["event_type"]) for r in rows) == expected


def test_no_event_id_appears_twice(scenario):
    ids = [row["event_id"] for row in lake_rows(scenario["settings"].events_dir)]
    assert len(ids) == len(set(ids))


def test_events_on_either_side_of_midnight_land_in_their_own_day(scenario):
    dates = {r["event_id"]: str(r["event_date"]) for r in scenario["after_d1"]}
    assert dates[BEFORE_MIDNIGHT["event_id"]] == D1 and dates[AT_MIDNIGHT["event_id"]] == D2


def test_quarantine_holds_every_malformed_record_with_a_reason(scenario):
    refused = lake_rows(scenario["settings"].quarantine_dir)
    injected = scenario["day1"].truth["injected"]["malformed"] + scenario["day2"].truth["injected"]["malformed"]
    assert len(refused) == injected
    assert {row["reason"] for row in refused} <= {str(r) for r in contract.Reason}
    assert set(scenario["day1"].malformed) | set(scenario["day2"].malformed) == {r["raw_value"] for r in refused}
    # Each refused record's coordinates are where the broker holds it, and its problems are the contract's.
    topic = scenario["settings"].kafka_topic
    in_kafka = {m.value(): (m.topic(), m.partition(), m.offset()) for m in read_topic(topic)}
    assert {r["raw_value"]: (r["topic"], r["kafka_partition"], r["kafka_offset"]) for r in refused} == {
        r["raw_value"]: in_kafka[r["raw_value"]] for r in refused}
    assert {r["raw_value"]: (r["reason"], r["problems"]) for r in refused} == {
        r["raw_value"]: contract_problems(r["raw_value"]) for r in refused}


def test_manifests_count_duplicates_late_events_and_restatement(scenario):
    first, second, _ = lake.read_manifests(settings=scenario["settings"])
    day1, day2 = scenario["day1"], scenario["day2"]
    assert first["counts"]["read"] == len(day1.events) + len(day1.malformed) + 2
    assert first["counts"]["duplicates"] == day1.truth["injected"]["duplicates"]
    assert first["counts"]["quarantined"] == len(day1.malformed)
    assert first["restated_dates"] == [] and first["per_date"][D2]["written_rows"] == 1
    assert second["restated_dates"] == [D1]
    assert second["per_date"][D1]["late_events"] == day2.truth["injected"]["late"]
    assert second["counts"]["duplicates"] == day2.truth["injected"]["duplicates"]
    assert second["per_date"][D2]["written_rows"] == sum(day2.truth["lake_rows_by_type"].values()) + 1


def test_each_run_reads_only_what_the_previous_left(scenario):
    first, second, rerun = lake.read_manifests(settings=scenario["settings"])
    assert all(span["from"] == 0 for span in first["offsets"])
    assert [s["from"] for s in second["offsets"]] == [s["to"] for s in first["offsets"]]
    assert [s["from"] for s in rerun["offsets"]] == [s["to"] for s in rerun["offsets"]]
    assert rerun["counts"]["read"] == 0 and rerun["dates_written"] == []


def test_a_rerun_with_nothing_new_changes_nothing(scenario):
    assert scenario["hash_after_rerun"] == scenario["hash_after_d2"]


def test_parquet_columns_are_the_lake_schema(scenario):
    folder = lake.event_partition_dir(D1, "purchase_item", scenario["settings"])
    schema = ds.dataset(folder, format="parquet").schema
    stored = [name for name, _ in lake.LAKE_COLUMNS if name not in lake.PARTITION_COLUMNS]
    assert schema.names == stored
    assert str(schema.field("event_ts").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("kafka_partition").type) == "int32" and str(schema.field("is_bot").type) == "bool"

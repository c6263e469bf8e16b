"""Cases 3, 4, 5, 7, 8, 9 (Spark side), 12 (round trip) and 14 on one lake: API -> Kafka -> filtered_writes.

One scenario (module fixture): through the running API (gunicorn, one trusted proxy hop) go 600 events of
day D, of which 5 % of the requests are retried with the same event_id, 100 events drawn by hypothesis from
the contract, and two events either side of midnight; a corpus of bad records goes straight into Kafka.
filtered_writes then runs under spark-submit for D. The tests below read its output; the last three change
the lake (a re-run, a kill -9 of the Spark driver, retention loss), so they run in file order, after the rest.

    .venv/bin/python -m pytest tests/reliability/test_pipeline_faults.py
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timezone

import orjson
import pytest
from confluent_kafka import Producer, TopicPartition
from hypothesis import HealthCheck, given, settings as hypothesis_settings

from game_events import contract, lake
from game_events.kafka import admin_client, producer_config
from tests.api.topic_reader import read_topic
from tests.reliability.clients import Client, an_event
from tests.reliability.conftest import CLIENT_IP
from tests.reliability.jobs import content_hash, date_hashes, kill_when, lake_rows, run_job, start_job
from tests.reliability.strategies import DAY_START, fresh_event_id, valid_events

D, NEXT_DAY = "2026-11-20", "2026-11-21"
RUN_FIGURES = ("counts", "per_date", "offsets", "dates_written", "restated_dates")
BEFORE_MIDNIGHT = {**an_event(DAY_START, 1), "event_ts": "2026-11-20T23:59:59.999Z"}
AT_MIDNIGHT = {**an_event(DAY_START, 2), "event_ts": "2026-11-21T00:00:00.000Z"}


def straight_corpus() -> list[bytes]:
    """Bad records a producer that bypasses the API could write: each must be quarantined with a reason."""
    good = an_event(DAY_START, 3) | {"received_at": "2026-11-20T10:00:00Z", "schema_version": 1}
    return [orjson.dumps(good)[:30], b"not json at all", b"\xff\xfe\xfd" + orjson.dumps(good), b"", b"[1, 2]",
            orjson.dumps({k: v for k, v in good.items() if k != "user_id"}), orjson.dumps({**good, "quantity": "2"}),
            orjson.dumps({**good, "event_type": "sell_item"}), orjson.dumps({**good, "user_id": "u" * 100_000}),
            orjson.dumps({**good, "price_cents": 10**18}), orjson.dumps({**good, "debug": True}), b"null"]


def send_hypothesis_events(client: Client) -> list[dict]:
    sent: list[dict] = []

    @given(event=valid_events())
    @hypothesis_settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def post(event):
        event = {**event, "event_id": fresh_event_id()}  # hypothesis replays examples: ids stay unique
        assert client.post(event) == 202, event
        sent.append(event)

    post()
    return sent


@pytest.fixture(scope="module")
def scenario(api_url, lake_settings):
    client = Client(api_url)
    day_events = [an_event(DAY_START, n) for n in range(10, 610)]
    assert set(client.post_all(day_events)) == {202}
    retried = day_events[::20]  # 30 of 600 requests (5 %), re-sent after their 202, same event_id
    assert set(client.post_all(retried)) == {202}
    drawn = send_hypothesis_events(client)
    assert set(client.post_all([BEFORE_MIDNIGHT, AT_MIDNIGHT])) == {202}
    producer = Producer(producer_config(lake_settings))
    for record in straight_corpus():
        producer.produce(lake_settings.kafka_topic, value=record)
    assert producer.flush(30) == 0
    job = run_job(lake_settings, D, "run-d")
    assert job.returncode == 0, job.stderr[-3000:]
    manifest = lake.read_manifests(settings=lake_settings)[-1]
    print(f"scenario: {client.accepted_requests()} requests accepted, {len(client.accepted_ids())} distinct events, "
          f"{len(retried)} retries, {len(straight_corpus())} bad records into Kafka; manifest counts {manifest['counts']}")
    return {"client": client, "retried": retried, "drawn": drawn, "manifest": manifest,
            "rows": lake_rows(lake_settings.events_dir)}


def test_client_retries_leave_no_duplicates(scenario):  # case 3
    rows, client = scenario["rows"], scenario["client"]
    ids = [row["event_id"] for row in rows]
    assert len(ids) == len(set(ids)) == len(client.accepted_ids())
    assert scenario["manifest"]["per_date"][D]["duplicates"] == len(scenario["retried"]) == 30
    assert scenario["manifest"]["counts"]["duplicates"] == client.accepted_requests() - len(client.accepted_ids())


def test_events_either_side_of_midnight_land_in_their_days(scenario):  # case 7
    day_of = {row["event_id"]: str(row["event_date"]) for row in scenario["rows"]}
    assert day_of[BEFORE_MIDNIGHT["event_id"]] == D and day_of[AT_MIDNIGHT["event_id"]] == NEXT_DAY


def test_valid_plus_quarantined_equals_read_and_every_refusal_has_a_reason(scenario, lake_settings):  # case 9
    counts = scenario["manifest"]["counts"]
    in_kafka = len(read_topic(lake_settings.kafka_topic))
    assert counts["read"] == in_kafka == counts["valid"] + counts["quarantined"]
    assert counts["quarantined"] == len(straight_corpus())  # the API let none of its bad input through
    quarantined = lake_rows(lake_settings.quarantine_dir)
    assert len(quarantined) == len(straight_corpus())
    assert all(row["reason"] in {str(r) for r in contract.Reason} for row in quarantined)


def test_every_accepted_event_survives_unchanged(scenario):  # case 12
    stored = {row["event_id"]: row for row in scenario["rows"]}
    for event in scenario["drawn"]:
        row = stored[event["event_id"]]
        for name, value in event.items():
            if name == "event_ts":
                expected = contract.parse_ts(value).astimezone(timezone.utc)
                assert row[name].replace(tzinfo=timezone.utc) == expected, (name, value, row[name])
            else:
                assert row[name] == value, (name, value, row[name])


def test_no_raw_client_ip_in_kafka_lake_or_logs(scenario, lake_settings, api_state):  # case 14
    assert {row["client_ip"] for row in scenario["rows"]} == {"203.0.113.0"}  # anonymised, and present
    raw = CLIENT_IP.encode()
    assert not [m.offset() for m in read_topic(lake_settings.kafka_topic) if raw in (m.value() or b"")]
    leaks = [str(p) for root in (lake_settings.data_dir, api_state) for p in root.rglob("*")
             if p.is_file() and raw in p.read_bytes()]
    assert leaks == [] and CLIENT_IP not in repr(scenario["rows"])


def test_rerunning_a_finished_day_changes_nothing(scenario, lake_settings):  # case 5
    before = date_hashes(lake_settings.events_dir)
    job = run_job(lake_settings, D, "rerun-d")
    assert job.returncode == 0, job.stderr[-3000:]
    assert date_hashes(lake_settings.events_dir) == before and set(before) == {D, NEXT_DAY}
    assert lake.read_manifests(settings=lake_settings)[-1]["counts"]["read"] == 0
    print(f"rerun of {D}: hashes {before}")


def test_kill_9_of_the_spark_driver_while_it_writes(scenario, api_url, lake_settings, tmp_path):  # case 4
    assert set(Client(api_url).post_all([an_event(DAY_START, n) for n in range(1000, 1300)])) == {202}
    clean = dataclasses.replace(lake_settings, data_dir=tmp_path / "clean")
    shutil.copytree(lake_settings.data_dir, clean.data_dir)  # the same lake, for a run nobody kills
    before, manifests_before = date_hashes(lake_settings.events_dir), len(lake.read_manifests(settings=lake_settings))
    staging = lake.staging_root(lake_settings)

    job = start_job(lake_settings, D, "killed")
    driver = kill_when(job, lambda: any(staging.glob("*/events/**/*.parquet")) or any(staging.glob("*/events/_temporary")))
    assert job.returncode != 0 and not driver.is_running()
    assert date_hashes(lake_settings.events_dir) == before  # readers still see the previous D, whole
    assert len(lake.read_manifests(settings=lake_settings)) == manifests_before  # nothing committed

    # Airflow's retry runs the same command again: same arguments, same run id (the DAG passes {{ run_id }}).
    retry, reference = run_job(lake_settings, D, "killed"), run_job(clean, D, "clean")
    assert retry.returncode == 0 and reference.returncode == 0, retry.stderr[-2000:] + reference.stderr[-2000:]
    after = date_hashes(lake_settings.events_dir)
    assert after == date_hashes(clean.events_dir) and after[D] != before[D]
    retried, clean_run = lake.read_manifests(settings=lake_settings)[-1], lake.read_manifests(settings=clean)[-1]
    assert {k: retried[k] for k in RUN_FIGURES} == {k: clean_run[k] for k in RUN_FIGURES}
    assert not any(staging.iterdir())  # the retry removed what the killed run left
    print(f"kill -9 of driver pid {driver.pid}: D before {before[D][:12]}, after retry {after[D][:12]} = clean run")


def test_messages_lost_to_retention_fail_clearly_and_touch_nothing(scenario, api_url, lake_settings):  # case 8
    assert set(Client(api_url).post_all([an_event(DAY_START, n) for n in range(2000, 2060)])) == {202}
    marks = {m.partition(): m.offset() + 1 for m in read_topic(lake_settings.kafka_topic)}
    admin = admin_client(lake_settings)  # what retention does: the log now starts past unread messages
    for future in admin.delete_records([TopicPartition(lake_settings.kafka_topic, p, high)
                                        for p, high in marks.items()]).values():
        future.result(timeout=30)
    before = date_hashes(lake_settings.events_dir), content_hash(lake_settings.quarantine_dir)
    job = run_job(lake_settings, D, "after-loss")
    assert job.returncode == 2
    # spark-submit's PythonRunner passes the Python driver's stderr on to its own stdout.
    output = (job.stdout + job.stderr).splitlines()
    error = [line for line in output if line.startswith("filtered_writes: error:")]
    assert len(error) == 1 and "retention loss" in error[0] and "Nothing was written" in error[0], output[-20:]
    assert (date_hashes(lake_settings.events_dir), content_hash(lake_settings.quarantine_dir)) == before
    print(error[0])

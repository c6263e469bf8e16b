"""The generator against the real broker: what it sends is what the topic holds, and the truth file
matches a recount from the topic; the CLI is deterministic and says when delivery failed."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import orjson
import pytest

from game_events import contract
from game_events.generator import generate_day, send_via_http, send_via_kafka
from game_events.generator_send import ApiUnavailable
from game_events.serde import DecodeError, decode_event
from tests.api.servers import free_port
from tests.api.topic_reader import read_topic
from tests.api.truth_recount import provider_from_host, recount

DAY = date(2026, 11, 27)


def split_topic(topic: str) -> tuple[list[dict], list[bytes]]:
    """(valid events, broken records) as the lake's filter would see them."""
    valid, broken = [], []
    for message in read_topic(topic):
        try:
            event = decode_event(message.value())
        except DecodeError:
            broken.append(message.value())
            continue
        (broken.append(message.value()) if contract.validate(event) else valid.append(event))
    return valid, broken


def assert_truth_matches_topic(truth: dict, events: list[dict]) -> None:
    counted = recount(events, DAY, provider_from_host)
    assert truth["events_by_type"] == counted["events_by_type"]
    assert truth["purchases_by_item"] == counted["purchases_by_item"]
    assert truth["purchases_by_provider_item"] == counted["purchases_by_provider_item"]
    assert truth["events_by_provider"] == counted["events_by_provider"]
    assert (truth["revenue_cents"], truth["unique_users"], truth["unique_buyers"]) == (
        counted["revenue_cents"], counted["unique_users"], counted["unique_buyers"])
    assert {g: v["joins"] for g, v in truth["guild_joins_by_guild"].items()} == counted["guild_joins"]


def test_send_via_kafka_delivers_exactly_what_was_generated(fresh_topic, settings):
    day = generate_day(DAY, 3_000, seed=5, duplicates=0.02, late=0.02, malformed=0.01)
    delivery = send_via_kafka(day, settings, fresh_topic)
    assert delivery.ok, delivery.summary()
    assert (delivery.events_delivered, delivery.malformed_delivered) == (3_120, 30)
    valid, broken = split_topic(fresh_topic)
    assert sorted(broken) == sorted(day.malformed)
    assert sorted(e["event_id"] for e in valid) == sorted(e["event_id"] for e in day.events)
    assert_truth_matches_topic(day.truth, valid)
    late = {e["event_id"] for e in valid if contract.parse_ts(e["event_ts"]).date() != DAY}
    assert len(late) == day.truth["injected"]["late"] == 60


def test_cli_generate_twice_gives_the_same_events_and_truth(fresh_topic, tmp_path):
    command = [sys.executable, "-m", "game_events.cli", "generate", "--date", "2026-11-27", "--events", "500",
               "--seed", "9", "--duplicates", "0.1", "--topic", fresh_topic, "--truth-dir", str(tmp_path)]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120)
    truth_text = (tmp_path / "2026-11-27.json").read_text()
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "550/550 events delivered" in first.stdout
    assert (tmp_path / "2026-11-27.json").read_text() == truth_text
    truth = json.loads(truth_text)
    assert truth == generate_day(DAY, 500, seed=9, duplicates=0.1).truth
    messages = read_topic(fresh_topic)
    assert len(messages) == 1_100
    ids = [orjson.loads(m.value())["event_id"] for m in messages]
    assert len(set(ids)) == 500  # the second run only added duplicates
    assert_truth_matches_topic(truth, [orjson.loads(m.value()) for m in messages])


def test_cli_fails_loudly_when_nothing_can_be_delivered(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "game_events.cli", "generate", "--date", "2026-11-27", "--events", "10",
         "--via", "http", "--api-url", f"http://127.0.0.1:{free_port()}", "--api-ready-timeout", "1",
         "--truth-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "not ready" in result.stderr


def test_send_via_http_refuses_an_api_that_is_not_there(settings):
    with pytest.raises(ApiUnavailable):
        send_via_http(generate_day(DAY, 10), f"http://127.0.0.1:{free_port()}", settings=settings,
                      ready_timeout_s=1.0)

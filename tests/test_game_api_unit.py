"""Pure parts of the game API: enrichment, address anonymisation, the player from Host, metrics text,
the delivery wait."""

from __future__ import annotations

import os
import threading

import orjson
import pytest

from services.game_api.enrich import anonymise_ip, enrich, request_metadata, stored_form, user_from_host
from services.game_api.metrics import Metrics
from services.game_api.sinks import Pending, cooperative

RECEIVED = "2026-11-27T10:00:00.000000Z"


@pytest.mark.parametrize("address, anonymised", [
    ("203.0.113.77", "203.0.113.0"),
    ("::ffff:198.51.100.9", "198.51.100.0"),
    ("2001:db8:abcd:12:34::1", "2001:db8:abcd::"),
    ("  10.1.2.3 ", "10.1.2.0"),
    ("256.1.2.3", None),
    ("not-an-ip", None),
    (None, None),
])
def test_client_addresses_are_anonymised(address, anonymised):
    assert anonymise_ip(address) == anonymised


@pytest.mark.parametrize("host, user", [
    ("user7.comcast.com", "user7"), ("user3.virginmedia.co.uk:5000", "user3"), ("localhost:5000", "localhost"),
    ("127.0.0.1:5000", None), ("[::1]:5000", None), ("", None), (None, None), ("bad user.att.com", None),
])
def test_player_from_host(host, user):
    assert user_from_host(host) == user


def test_metadata_takes_only_allow_listed_headers_and_cuts_long_ones():
    headers = {"Host": "user7.comcast.com", "User-Agent": "x" * 600, "Cookie": "secret", "Accept": "*/*"}
    assert request_metadata(headers, "198.51.100.200") == {
        "host": "user7.comcast.com", "user_agent": "x" * 512, "accept": "*/*", "client_ip": "198.51.100.0"}
    assert request_metadata({}, None) == {"host": None, "user_agent": None, "accept": None, "client_ip": None}


def test_enrich_fills_what_is_missing_and_replaces_what_the_api_owns():
    metadata = {"host": "h", "user_agent": "ua", "accept": None, "client_ip": "10.0.0.0"}
    body = {"event_type": "join_guild", "user_id": "u", "guild_id": "g", "guild_name": "G",
            "received_at": "2000-01-01T00:00:00Z", "host": "forged"}
    event = enrich(body, metadata, RECEIVED)
    assert event["received_at"] == event["event_ts"] == RECEIVED
    assert event["host"] == "h" and event["schema_version"] == 1
    assert len(event["event_id"]) == 36
    kept = enrich({**body, "event_id": "e" * 8, "event_ts": "2026-11-27T09:00:00Z", "schema_version": 1},
                  metadata, RECEIVED)
    assert (kept["event_id"], kept["event_ts"]) == ("e" * 8, "2026-11-27T09:00:00Z")
    assert list(stored_form(event))[:3] == ["event_id", "event_type", "event_ts"]


def test_metrics_render_cumulative_histograms_and_sum_other_workers(tmp_path):
    metrics = Metrics(str(tmp_path))
    metrics.accepted("events", 3)
    metrics.rejected("bad_value")
    metrics.rejected("nothing", 0)
    for seconds in (0.0005, 0.004, 0.004, 20.0):
        metrics.observe("v1.post_event", 202, seconds)
    other_worker = [["game_api_events_accepted_total", [["route", "events"]], 4],
                    ["game_api_request_seconds_bucket", [["route", "v1.post_event"], ["le", "0.001"]], 1],
                    ["game_api_request_seconds_count", [["route", "v1.post_event"]], 1],
                    ["game_api_request_seconds_sum", [["route", "v1.post_event"]], 0.0002]]
    (tmp_path / f"{os.getpid() + 1}.json").write_bytes(orjson.dumps(other_worker))
    text = metrics.render()
    assert 'game_api_events_accepted_total{route="events"} 7' in text
    assert 'game_api_events_rejected_total{reason="bad_value"} 1' in text
    assert "nothing" not in text
    assert 'game_api_request_seconds_bucket{route="v1.post_event",le="0.001"} 2' in text
    assert 'game_api_request_seconds_bucket{route="v1.post_event",le="0.005"} 4' in text
    assert 'game_api_request_seconds_bucket{route="v1.post_event",le="10.0"} 4' in text
    assert 'game_api_request_seconds_bucket{route="v1.post_event",le="+Inf"} 5' in text
    assert 'game_api_request_seconds_count{route="v1.post_event"} 5' in text
    assert "# TYPE game_api_request_seconds histogram" in text


def test_pending_wakes_its_waiter_only_after_the_last_report_even_when_reports_beat_the_seal():
    results = []
    pending = Pending(lambda result, count: results.append((result, count)))
    pending.add()
    pending.add()
    pending.report(None)  # a report may arrive before the request sealed its Pending
    pending.seal()
    assert pending.wait(0.01) is False  # one report still missing
    waiter = threading.Thread(target=lambda: results.append(pending.wait(10.0)))
    waiter.start()
    pending.report(_Refused("_MSG_TIMED_OUT"))
    waiter.join(10.0)
    assert results == [("delivered", 1), ("_MSG_TIMED_OUT", 1), True]  # counted once, when the last is in
    assert (pending.delivered, dict(pending.errors)) == (1, {"_MSG_TIMED_OUT": 1})
    assert pending.wait(0.0) is True  # waiting again on a finished Pending returns at once


def test_an_empty_pending_is_done_when_sealed():
    pending = Pending(lambda result, count: None)
    assert pending.wait(0.0) is False
    pending.seal()
    assert pending.wait(0.0) is True


def test_outside_a_gevent_worker_the_poller_is_a_thread():
    assert cooperative() is False  # the test process is not monkey-patched


class _Refused:
    """The part of confluent_kafka.KafkaError a delivery report uses."""

    def __init__(self, name: str):
        self._name = name

    def name(self) -> str:
        return self._name

"""The API as it runs in the stack: gunicorn with two workers against the real broker, and a broker of
this test's own that goes away and comes back (503, then recovery)."""

from __future__ import annotations

import http.client
import time
import uuid
from datetime import date
from urllib.parse import urlsplit

import orjson
import pytest
import requests

from game_events.generator import generate_day, send_via_http
from game_events.kafka import delete_topic, ensure_topic
from services.game_api import create_app
from tests.api.servers import Broker, game_api_server
from tests.api.topic_reader import read_events
from tests.api.truth_recount import provider_from_host, recount

DAY = date(2026, 11, 27)
GOOD = {"event_type": "join_guild", "user_id": "user1", "guild_id": "red-dragons", "guild_name": "Red Dragons"}


@pytest.fixture(scope="module")
def served(broker, settings, tmp_path_factory):
    """(base URL, topic) of gunicorn serving the API on a topic of its own."""
    topic = f"test-api-{uuid.uuid4().hex[:12]}"
    ensure_topic(topic, partitions=3, settings=settings)
    with game_api_server(tmp_path_factory.mktemp("api"), topic, GAME_API_MAX_EVENT_BYTES="4096") as url:
        yield url, topic
    delete_topic(topic, settings)


def post_chunked(url: str, path: str, chunks: list[bytes]) -> tuple[int, dict]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("POST", path, body=iter(chunks), encode_chunked=True,
                       headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    status, body = response.status, orjson.loads(response.read())
    connection.close()
    return status, body


def test_body_limits_hold_for_chunked_and_sized_bodies(served):
    url, topic = served
    status, body = post_chunked(url, "/v1/events", [b'{"pad": "', b"x" * 3_000, b"x" * 3_000, b'"}'])
    assert (status, body["error"]) == (413, "body_too_large")
    status, body = post_chunked(url, "/v1/events", [orjson.dumps(GOOD)[:10], orjson.dumps(GOOD)[10:]])
    assert status == 202
    [stored] = [e for e in read_events(topic) if e["event_id"] == body["event_id"]]
    assert {k: stored[k] for k in GOOD} == GOOD  # the chunks, put together, are the event that was sent
    sized = requests.post(url + "/v1/events", data=b"{" + b" " * 5_000 + b"}",
                          headers={"Content-Type": "application/json"}, timeout=10)
    assert (sized.status_code, sized.json()["error"]) == (413, "body_too_large")


def test_generator_through_gunicorn_matches_its_truth(served, settings):
    url, topic = served
    before = {e["event_id"] for e in read_events(topic)}
    day = generate_day(DAY, 2_000, seed=21, duplicates=0.05, late=0.02)
    delivery = send_via_http(day, url, settings=settings, topic=topic, batch_size=40)
    assert delivery.ok, delivery.summary()
    events = [e for e in read_events(topic) if e["event_id"] not in before]
    assert len(events) == len(day.events) == 2_140
    sent = {e["event_id"]: e for e in day.events}
    for event in events:  # the API kept the generator's fields and took the Host/User-Agent it was sent with
        original = sent[event["event_id"]]
        assert {k: event[k] for k in ("event_ts", "host", "user_agent", "accept", "user_id")} == {
            k: original[k] for k in ("event_ts", "host", "user_agent", "accept", "user_id")}
    counted = recount(events, DAY, provider_from_host)
    assert counted["events_by_type"] == day.truth["events_by_type"]
    assert counted["purchases_by_provider_item"] == day.truth["purchases_by_provider_item"]
    assert counted["revenue_cents"] == day.truth["revenue_cents"]


def test_seed_routes_and_metrics_of_both_workers(served):
    url, _ = served
    session = requests.Session()
    for _ in range(20):  # spread over both workers' keep-alive connections
        answer = session.get(url + "/purchase/helmet", headers={"Host": "user8.cox.com"}, timeout=10)
        assert (answer.status_code, answer.text) == (200, "Helmet Purchased!\n")
    time.sleep(1.5)  # each worker publishes its counters about once a second
    text = requests.get(url + "/metrics", timeout=10).text
    line = next(l for l in text.splitlines() if l.startswith('game_api_events_accepted_total{route="seed_purchase"}'))
    assert line.endswith(" 20")


def test_broker_down_gives_503_then_recovers(tmp_path, monkeypatch):
    broker = Broker(tmp_path / "kafka")
    broker.up()
    try:
        from dataclasses import replace

        from game_events.settings import load_settings

        settings = replace(load_settings(), kafka_bootstrap_servers=broker.bootstrap)
        ensure_topic("events", partitions=1, settings=settings)
        app = create_app({"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "KAFKA_TOPIC": "events",
                          "DELIVERY_TIMEOUT_MS": 3_000})
        client = app.test_client()
        first = client.post("/v1/events", json=GOOD)
        assert first.status_code == 202

        broker.down()
        started = time.monotonic()
        # Each refused attempt carries an event_id of its own, so the topic can be searched for it.
        refused_id, fast_id = str(uuid.uuid4()), str(uuid.uuid4())
        refused = client.post("/v1/events", json={**GOOD, "event_id": refused_id})
        assert (refused.status_code, refused.headers["Retry-After"]) == (503, "2")
        assert time.monotonic() - started < 10
        assert client.get("/readyz").status_code == 503
        fast = client.post("/v1/events", json={**GOOD, "event_id": fast_id})
        assert (fast.status_code, fast.json["error"]) == (503, "broker_unavailable")  # known down: refused at once

        broker.up()
        retried = {**GOOD, "event_id": str(uuid.uuid4())}
        deadline = time.monotonic() + 60
        answer = client.post("/v1/events", json=retried)
        while answer.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            answer = client.post("/v1/events", json=retried)  # a client retry keeps its event_id
        assert (answer.status_code, answer.json) == (202, {"event_id": retried["event_id"]})
        assert client.get("/readyz").status_code == 200
        app.extensions["game_api.sink"].close()
        text = client.get("/metrics").data.decode()
        assert 'game_api_events_rejected_total{reason="broker_unavailable"}' in text
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap)
        stored = [e["event_id"] for e in read_events("events")]
        # Exactly the two acknowledged events, once each: the refused attempts left nothing behind.
        assert sorted(stored) == sorted([first.json["event_id"], retried["event_id"]])
    finally:
        broker.down()

"""The game API against the real broker: every route produces the expected enriched event, bad input
gets its status and produces nothing, retries keep their event_id. (Flask test client, real Kafka.)"""

from __future__ import annotations

import uuid

import jsonschema
import orjson
import pytest

from game_events import contract
from services.game_api import create_app
from tests.api.topic_reader import message_count, read_events, read_topic

HEADERS = {"Host": "user7.comcast.com", "User-Agent": "GuildQuest/3.2.1 (iPhone; iOS 18.1)",
           "Accept": "application/json", "Cookie": "session=secret", "Authorization": "Bearer secret"}
CLIENT = ("203.0.113.77", 5555)


@pytest.fixture
def app(fresh_topic, settings):
    app = create_app({"KAFKA_TOPIC": fresh_topic, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                      "MAX_BATCH_EVENTS": 50, "MAX_BATCH_BYTES": 50_000, "MAX_EVENT_BYTES": 4_096})
    yield app
    app.extensions["game_api.sink"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, path: str, body, headers=HEADERS, **kwargs):
    return client.post(path, data=orjson.dumps(body), content_type="application/json", headers=headers,
                       environ_base={"REMOTE_ADDR": CLIENT[0]}, **kwargs)


def test_single_event_comes_back_enriched(client, fresh_topic):
    body = {"event_type": "purchase_item", "user_id": "user7", "item_type": "sword", "price_cents": 1299,
            "quantity": 2, "currency": "USD", "event_ts": "2026-11-27T13:45:01.123456Z",
            "host": "forged.example", "client_ip": "1.2.3.4"}  # API-owned fields: the client's are replaced
    answer = post(client, "/v1/events", body)
    assert answer.status_code == 202
    [message] = read_topic(fresh_topic)
    event = orjson.loads(message.value())
    assert message.key() == b"user7"
    assert event["event_id"] == answer.json["event_id"]
    assert uuid.UUID(event["event_id"])
    assert contract.validate(event) == []
    assert list(event) == [f.name for f in contract.fields_for("purchase_item")]
    assert {k: event[k] for k in ("event_type", "user_id", "item_type", "price_cents", "quantity", "currency",
                                  "event_ts", "schema_version")} == {**{k: body[k] for k in body if k not in (
                                      "host", "client_ip")}, "schema_version": 1}
    assert event["host"] == "user7.comcast.com"
    assert event["user_agent"] == HEADERS["User-Agent"] and event["accept"] == "application/json"
    assert event["client_ip"] == "203.0.113.0"
    assert "secret" not in message.value().decode()  # only allow-listed headers, never cookies or tokens
    assert contract.parse_ts(event["received_at"]) >= contract.parse_ts(body["event_ts"])


def test_api_fills_event_ts_and_keeps_a_client_event_id_on_retry(client, fresh_topic):
    event_id = str(uuid.uuid4())
    body = {"event_id": event_id, "event_type": "join_guild", "user_id": "user9", "guild_id": "night-owls",
            "guild_name": "Night Owls"}
    first, retry = post(client, "/v1/events", body), post(client, "/v1/events", body)
    assert first.status_code == retry.status_code == 202
    assert first.json == retry.json == {"event_id": event_id}
    events = read_events(fresh_topic)
    assert [e["event_id"] for e in events] == [event_id, event_id]
    assert all(e["event_ts"] == e["received_at"] for e in events)  # absent event_ts = receive time


def test_convenience_routes_fill_price_guild_name_and_player(client, fresh_topic):
    bought = post(client, "/v1/purchase", {"item_type": "knife", "quantity": 3})
    joined = post(client, "/v1/guilds/join", {"guild_id": "iron-wolves", "user_id": "user42"})
    assert bought.status_code == joined.status_code == 202
    events = {e["event_id"]: e for e in read_events(fresh_topic)}
    purchase, join = events[bought.json["event_id"]], events[joined.json["event_id"]]
    assert (purchase["user_id"], purchase["item_type"], purchase["quantity"], purchase["price_cents"],
            purchase["currency"]) == ("user7", "knife", 3, 349, "USD")
    assert (join["user_id"], join["guild_id"], join["guild_name"]) == ("user42", "iron-wolves", "Iron Wolves")


def test_seed_get_routes_still_work(client, fresh_topic):
    assert client.get("/", headers=HEADERS).data == b"This is the default response!\n"
    bought = client.get("/purchase/sword", headers={"Host": "user3.virginmedia.co.uk"})
    joined = client.get("/join_a_guild?user_id=user5&guild_id=night-owls", headers=HEADERS)
    assert (bought.status_code, bought.data) == (200, b"Sword Purchased!\n")
    assert (joined.status_code, joined.data) == (200, b"Joined guild Night Owls!\n")
    events = sorted(read_events(fresh_topic), key=lambda e: e["event_type"])
    assert [(e["event_type"], e["user_id"], e["host"]) for e in events] == [
        ("join_guild", "user5", "user7.comcast.com"), ("purchase_item", "user3", "user3.virginmedia.co.uk")]
    assert events[1]["price_cents"] == 1299


@pytest.mark.parametrize("path, data, content_type, status, error, says", [
    ("/v1/events", b'{"event_type": "purchase_item",', "application/json", 400, "malformed_json",
     "malformed JSON: unexpected end of data"),
    ("/v1/events", b"\xff\xfe{}", "application/json", 400, "malformed_json", "not valid UTF-8"),
    ("/v1/events", b'{"event_type": "join_guild"}', "text/plain", 415, "unsupported_media_type",
     "send the body as application/json (got text/plain)"),
    ("/v1/events", b'{"event_type": "join_guild"}', None, 415, "unsupported_media_type",
     "send the body as application/json (got none)"),
    ("/v1/events", b"[1, 2]", "application/json", 422, "contract_violation", "the event breaks the contract"),
    ("/v1/events", b'{"a": "' + b"x" * 5_000 + b'"}', "application/json", 413, "body_too_large",
     "the body is over the limit of 4096 bytes"),
    ("/v1/events/batch", b"{}", "application/json", 422, "not_a_list", "a JSON array of events"),
    ("/v1/events/batch", b"[" + b",".join([b"{}"] * 51) + b"]", "application/json", 413, "batch_too_large",
     "the batch has 51 events; the limit is 50"),
    ("/v1/events/batch", b"[]", "application/json", 422, "empty_batch", "the batch holds no events"),
    ("/v1/purchase", b'{"item_type": "axe"}', "application/json", 422, "contract_violation",
     "the event breaks the contract"),
    ("/v1/purchase", b'{"item_type": ["sword"]}', "application/json", 422, "contract_violation",
     "the event breaks the contract"),
    ("/v1/purchase", b'{"item_type": "sword", "price_cents": 1}', "application/json", 422, "contract_violation",
     "the body has fields this route does not take"),
    ("/v1/guilds/join", b'{"guild_id": "brand-new"}', "application/json", 422, "contract_violation",
     "the event breaks the contract"),
])
def test_bad_input_is_refused_and_produces_nothing(client, fresh_topic, path, data, content_type, status, error,
                                                   says):
    answer = client.post(path, data=data, content_type=content_type, headers=HEADERS)
    assert (answer.status_code, answer.json["error"]) == (status, error)
    assert says in answer.json["message"]
    assert message_count(fresh_topic) == 0


def test_contract_violations_list_every_problem(client, fresh_topic):
    body = {"event_type": "purchase_item", "user_id": "user 7", "item_type": "axe", "price_cents": "12",
            "quantity": 0, "currency": "USD", "cheat": True}
    answer = post(client, "/v1/events", body)
    assert answer.status_code == 422
    assert {(p["field"], p["reason"]) for p in answer.json["problems"]} == {
        ("user_id", "bad_value"), ("item_type", "bad_value"), ("price_cents", "wrong_type"),
        ("quantity", "bad_value"), ("cheat", "unknown_field")}
    assert client.get("/purchase/sword", headers={"Host": "127.0.0.1:5000"}).json["problems"] == [
        {"field": "user_id", "reason": "missing_field", "message": "user_id is required"}]
    assert message_count(fresh_topic) == 0


def test_batch_accepts_the_valid_and_reports_the_invalid(client, fresh_topic):
    good = {"event_type": "join_guild", "user_id": "user1", "guild_id": "red-dragons", "guild_name": "Red Dragons"}
    bad = {"event_type": "join_guild", "user_id": "user1"}
    answer = post(client, "/v1/events/batch", [good, bad, good, 7])
    assert answer.status_code == 202
    assert (answer.json["accepted"], answer.json["rejected"]) == (2, 2)
    assert [e["index"] for e in answer.json["errors"]] == [1, 3]
    assert answer.json["errors"][1]["problems"][0]["reason"] == "not_an_object"
    ndjson = b"\n".join([orjson.dumps(good), b"{broken", b"", orjson.dumps(good)]) + b"\n"
    answer = client.post("/v1/events/batch", data=ndjson, content_type="application/x-ndjson", headers=HEADERS)
    assert (answer.status_code, answer.json["accepted"], answer.json["rejected"]) == (202, 2, 1)
    assert answer.json["errors"][0] == {"index": 1, "problems": [answer.json["errors"][0]["problems"][0]]}
    assert answer.json["errors"][0]["problems"][0]["reason"] == "malformed_json"
    events = read_events(fresh_topic)
    assert len(events) == 4 and all(e["host"] == "user7.comcast.com" for e in events)
    all_bad = post(client, "/v1/events/batch", [bad])
    assert (all_bad.status_code, all_bad.json["accepted"]) == (422, 0)


def test_full_producer_queue_answers_503(fresh_topic, settings):
    app = create_app({"KAFKA_TOPIC": fresh_topic, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                      "PRODUCER_OVERRIDES": {"queue.buffering.max.messages": 2}})
    good = {"event_type": "join_guild", "user_id": "user1", "guild_id": "red-dragons", "guild_name": "Red Dragons"}
    answer = post(app.test_client(), "/v1/events/batch", [good] * 3)
    assert (answer.status_code, answer.json["error"]) == (503, "queue_full")
    assert answer.headers["Retry-After"] == "2"
    app.extensions["game_api.sink"].close()
    assert message_count(fresh_topic) == 0


def test_metrics_count_accepted_rejected_and_latency(client):
    post(client, "/v1/purchase", {"item_type": "sword"})
    post(client, "/v1/purchase", {"item_type": "axe"})
    client.post("/v1/events", data=b"{", content_type="application/json")
    text = client.get("/metrics").data.decode()
    assert 'game_api_events_accepted_total{route="purchase"} 1' in text
    assert 'game_api_events_rejected_total{reason="bad_value"} 1' in text
    assert 'game_api_events_rejected_total{reason="malformed_json"} 1' in text
    assert 'game_api_deliveries_total{result="delivered"} 1' in text
    assert 'game_api_request_seconds_count{route="v1.post_purchase"} 2' in text
    assert 'game_api_request_seconds_bucket{route="v1.post_purchase",le="+Inf"} 2' in text


def test_ops_routes(client, fresh_topic):
    assert client.get("/healthz").json == {"status": "alive"}
    assert client.get("/readyz").json == {"status": "ready", "topic": fresh_topic,
                                          "producer": {"acks": "all", "enable.idempotence": True}}
    assert client.get("/nowhere").status_code == 404
    assert client.get("/v1/events").json["error"] == "method_not_allowed"


@pytest.mark.parametrize("proxy_hops, stored_ip", [(0, "203.0.113.0"), (1, "198.51.100.0")])
def test_x_forwarded_for_counts_only_behind_a_configured_proxy(fresh_topic, settings, proxy_hops, stored_ip):
    app = create_app({"KAFKA_TOPIC": fresh_topic, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
                      "PROXY_HOPS": proxy_hops})
    answer = post(app.test_client(), "/v1/purchase", {"item_type": "shield"},
                  headers={**HEADERS, "X-Forwarded-For": "198.51.100.23"})
    assert answer.status_code == 202
    app.extensions["game_api.sink"].close()
    [event] = read_events(fresh_topic)
    assert event["client_ip"] == stored_ip


# What GameEventInput must say, written out by hand from the README's event table (not from the contract module).
COMMON_INPUT = {"event_id", "event_type", "event_ts", "received_at", "user_id", "host", "user_agent", "accept",
                "client_ip", "schema_version"}
EXPECTED_INPUT = {
    "purchase_item": (COMMON_INPUT | {"item_type", "price_cents", "quantity", "currency"},
                      {"event_type", "user_id", "item_type", "price_cents", "quantity", "currency"}),
    "join_guild": (COMMON_INPUT | {"guild_id", "guild_name"}, {"event_type", "user_id", "guild_id", "guild_name"}),
}
PURCHASE = {"event_type": "purchase_item", "user_id": "user7", "item_type": "sword", "price_cents": 1299,
            "quantity": 1, "currency": "USD"}
GUILD_JOIN = {"event_type": "join_guild", "user_id": "user7", "guild_id": "red-dragons", "guild_name": "Red Dragons"}
# Hand-checked client bodies: True = a valid event (accepted), False = one the contract refuses.
LABELLED_BODIES = {
    "purchase": (PURCHASE, True),
    "guild join": (GUILD_JOIN, True),
    "edges": ({**PURCHASE, "price_cents": 0, "quantity": 1000, "schema_version": 1,
               "event_id": "0b6c1f8e-3d52-4c59-9a1e-4b7d2f3a6c10", "event_ts": "2026-11-27T13:45:01Z"}, True),
    "quantity 0": ({**PURCHASE, "quantity": 0}, False),
    "quantity 1001": ({**PURCHASE, "quantity": 1001}, False),
    "quantity text": ({**PURCHASE, "quantity": "1"}, False),
    "quantity 1.5": ({**PURCHASE, "quantity": 1.5}, False),
    "price -1": ({**PURCHASE, "price_cents": -1}, False),
    "price over 10^8": ({**PURCHASE, "price_cents": 100_000_001}, False),
    "currency lower": ({**PURCHASE, "currency": "usd"}, False),
    "item unknown": ({**PURCHASE, "item_type": "bazooka"}, False),
    "no item": ({k: v for k, v in PURCHASE.items() if k != "item_type"}, False),
    "schema_version 2": ({**PURCHASE, "schema_version": 2}, False),
    "event_id no uuid": ({**PURCHASE, "event_id": "not-a-uuid"}, False),
    "event_ts no zone": ({**PURCHASE, "event_ts": "2026-11-27 13:45:01"}, False),
    "user_id space": ({**PURCHASE, "user_id": "user 7"}, False),
    "unknown field": ({**PURCHASE, "coupon": "X"}, False),
    "guild field on purchase": ({**PURCHASE, "guild_id": "red-dragons"}, False),
    "guild_id upper": ({**GUILD_JOIN, "guild_id": "Red Dragons"}, False),
    "guild_name 101": ({**GUILD_JOIN, "guild_name": "x" * 101}, False),
    "unknown type": ({**PURCHASE, "event_type": "sell_item"}, False),
}


def test_the_openapi_document_states_the_routes_and_the_contract_the_server_enforces(app, client):
    document = client.get("/openapi.json").json
    assert document["openapi"] == "3.1.0"
    assert {path: sorted(item) for path, item in document["paths"].items()} == {
        "/v1/events": ["post"], "/v1/events/batch": ["post"], "/v1/purchase": ["post"], "/v1/guilds/join": ["post"],
        "/": ["get"], "/purchase/{item_name}": ["get"], "/join_a_guild": ["get"], "/healthz": ["get"],
        "/readyz": ["get"], "/metrics": ["get"]}
    # Every route Flask serves (but the document itself and static files) is in the document.
    served = {rule.rule.replace("<", "{").replace(">", "}"): sorted(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
              for rule in app.url_map.iter_rules() if rule.endpoint not in ("static", "ops.openapi")}
    assert served == {path: sorted(item) for path, item in document["paths"].items()}
    event_input = document["components"]["schemas"]["GameEventInput"]
    variants = {variant["title"]: variant for variant in event_input["oneOf"]}
    assert {title: (set(v["properties"]), set(v["required"])) for title, v in variants.items()} == EXPECTED_INPUT
    assert all(v["additionalProperties"] is False for v in variants.values())
    # Each hand-labelled body: the document's schema and the server both judge it as labelled.
    validator = jsonschema.Draft202012Validator(event_input)
    judged = {name: (validator.is_valid(body), post(client, "/v1/events", body).status_code)
              for name, (body, _) in LABELLED_BODIES.items()}
    assert judged == {name: (valid, 202 if valid else 422) for name, (_, valid) in LABELLED_BODIES.items()}

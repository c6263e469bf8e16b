"""filtered_writes' pure transforms on small DataFrames: dating, typing, de-duplication, enrichment."""

from __future__ import annotations

from datetime import date, datetime

import orjson
import pytest
from pyspark.sql import functions as F

from game_events import lake
from game_events.lake import OffsetRange
from spark.ingest.enrich import enrich_events, host_provider, lookup_tables, user_agent_fields
from spark.ingest.transforms import (classify_records, dedupe_events, in_offset_ranges, quarantined_records,
                                     to_lake_columns, valid_events)
from tests.factories import a_guild_join, a_purchase

KAFKA_TS = datetime(2026, 12, 1, 8, 0)  # when the broker got the records (a later day on purpose)
UUIDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(10)]


def records_frame(spark, raws: list[bytes]):
    rows = [("events", 0, offset, KAFKA_TS, bytearray(raw)) for offset, raw in enumerate(raws)]
    return spark.createDataFrame(
        rows, "topic string, kafka_partition int, kafka_offset long, kafka_timestamp timestamp, raw_value binary")


def test_events_land_in_the_utc_day_of_their_event_ts(spark):
    last_moment = a_purchase(event_id=UUIDS[1], event_ts="2026-11-26T23:59:59.999Z")
    first_moment = a_guild_join(event_id=UUIDS[2], event_ts="2026-11-27T00:00:00.000000Z")
    with_offset = a_purchase(event_id=UUIDS[3], event_ts="2026-11-27T23:59:59.999999+00:00")
    records = classify_records(records_frame(spark, [orjson.dumps(e) for e in (last_moment, first_moment, with_offset)]))
    dated = {row.event_id: (row.event_date, row.event_ts) for row in valid_events(records).collect()}
    assert dated[UUIDS[1]] == (date(2026, 11, 26), datetime(2026, 11, 26, 23, 59, 59, 999000))
    assert dated[UUIDS[2]] == (date(2026, 11, 27), datetime(2026, 11, 27))
    assert dated[UUIDS[3]][0] == date(2026, 11, 27)


def test_refused_records_keep_raw_bytes_coordinates_and_a_reason(spark):
    bad_field = orjson.dumps(a_purchase(price_cents=-5, event_ts="2026-11-20T10:00:00Z"))
    raws = [b"\xff not json", bad_field, orjson.dumps(a_purchase(event_ts="yesterday"))]
    refused = {row.kafka_offset: row for row in quarantined_records(classify_records(records_frame(spark, raws))).collect()}
    assert bytes(refused[0].raw_value) == b"\xff not json" and refused[0].reason == "malformed_json"
    assert refused[0].event_date == KAFKA_TS.date()  # no event_ts to go by: the day Kafka got it
    assert refused[1].reason == "bad_value" and refused[1].problems == ["bad_value:price_cents"]
    assert refused[1].event_date == date(2026, 11, 20)  # a valid event_ts dates even a refused record
    assert refused[2].event_date == KAFKA_TS.date() and refused[2].topic == "events"
    schema = quarantined_records(classify_records(records_frame(spark, raws))).schema
    assert [(f.name, f.dataType.simpleString()) for f in schema] == list(lake.QUARANTINE_COLUMNS)


def lake_rows(spark, rows: list[tuple]):
    return spark.createDataFrame(
        rows, "event_id string, event_date date, received_at timestamp, kafka_partition int, kafka_offset long")


def test_dedupe_keeps_the_earliest_received_copy(spark):
    day = date(2026, 11, 27)
    new = lake_rows(spark, [
        (UUIDS[1], day, datetime(2026, 11, 27, 10, 0, 2), 0, 10),
        (UUIDS[1], day, datetime(2026, 11, 27, 10, 0, 1), 2, 99),  # received first: wins
        (UUIDS[2], day, datetime(2026, 11, 27, 11), 1, 7),
        (UUIDS[2], day, datetime(2026, 11, 27, 11), 1, 5),  # same received_at: lower offset wins
        (UUIDS[3], day, datetime(2026, 11, 27, 12), 0, 11),
        (UUIDS[3], date(2026, 11, 28), datetime(2026, 11, 28, 12), 0, 12),  # another date: another event
    ])
    kept = {(r.event_id, r.event_date): (r.kafka_partition, r.kafka_offset)
            for r in dedupe_events(new.limit(0), new).collect()}
    assert kept == {(UUIDS[1], day): (2, 99), (UUIDS[2], day): (1, 5), (UUIDS[3], day): (0, 11),
                    (UUIDS[3], date(2026, 11, 28)): (0, 12)}


def test_dedupe_prefers_rows_already_in_the_lake(spark):
    day = date(2026, 11, 27)
    existing = lake_rows(spark, [(UUIDS[4], day, datetime(2026, 11, 27, 9), 0, 3)])
    resent = lake_rows(spark, [(UUIDS[4], day, datetime(2026, 11, 27, 8), 1, 500)])
    assert [(r.kafka_partition, r.kafka_offset) for r in dedupe_events(existing, resent).collect()] == [(0, 3)]


@pytest.mark.parametrize("host, provider", [
    ("user7.comcast.com", "comcast.com"), ("user3.virginmedia.co.uk", "virginmedia.co.uk"),
    ("USER7.Comcast.COM:5000", "comcast.com"), ("127.0.0.1:5000", "127.0.0.1"), ("[::1]:5000", "::1"),
    ("localhost", "localhost"), (None, None), ("", None),
])
def test_host_provider_is_the_registered_domain(host, provider):
    assert host_provider(host) == provider


# Real User-Agent strings of each class, with what a person reading them knows they are (hand-checked,
# not produced by the code under test). Deliberately not the generator's catalog strings only.
CLIENT_EXAMPLES = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
     "Safari/537.36", "Chrome", "Windows", "browser"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox", "Linux", "browser"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
     "Safari/605.1.15", "Safari", "Mac OS X", "browser"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.0 Mobile/15E148 Safari/604.1", "Mobile Safari", "iOS", "browser"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile "
     "Safari/537.36", "Chrome Mobile", "Android", "browser"),
    ("GuildQuest/3.2.1 (iPhone; iOS 18.1; Scale/3.00) CFNetwork/1568.100.1 Darwin/24.0.0",
     "GuildQuest app", "iOS", "app"),
    ("GuildQuest/3.3.0 (iPad; iOS 17.5; Scale/2.00) CFNetwork/1496.0.7 Darwin/23.5.0", "GuildQuest app", "iOS", "app"),
    ("GuildQuest/3.2.1 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007) okhttp/4.12.0",
     "GuildQuest app", "Android", "app"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "Other", "automation"),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot", "Other", "automation"),
    ("curl/8.5.0", "curl", "Other", "automation"),
    ("python-requests/2.31.0", "Python Requests", "Other", "automation"),
    ("Go-http-client/1.1", "Go-http-client", "Other", "automation"),
    ("Wget/1.21.4", "Wget", "Other", "automation"),
    ("okhttp/4.12.0", "okhttp", "Other", "automation"),  # a bare HTTP library, not the game's Android app
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 "
     "Safari/537.36", "HeadlessChrome", "Linux", "automation"),
]


@pytest.mark.parametrize("user_agent, family, system, client_class", CLIENT_EXAMPLES,
                         ids=[f"{cls}:{family}/{system}" for _, family, system, cls in CLIENT_EXAMPLES])
def test_user_agent_fields_classify_real_clients(user_agent, family, system, client_class):
    fields = user_agent_fields(user_agent)
    assert (fields.family, fields.os, fields.client_class) == (family, system, client_class)
    assert fields.is_bot is (client_class == "automation")


def test_user_agent_fields_of_the_games_apps_name_their_device_not_a_headset():
    assert user_agent_fields(CLIENT_EXAMPLES[5][0]).device == "iPhone"
    assert user_agent_fields(CLIENT_EXAMPLES[7][0]).device == "Samsung SM-S918B"


def test_user_agent_fields_without_an_agent_are_empty():
    iphone = CLIENT_EXAMPLES[3][0]
    assert user_agent_fields(iphone) == ("Mobile Safari", "iOS", "iPhone", "browser", False)
    assert user_agent_fields(None) == (None, None, None, None, False)


def test_enriched_rows_have_exactly_the_lake_columns(spark):
    events = [a_purchase(event_id=UUIDS[5], user_agent="Googlebot/2.1 (+http://www.google.com/bot.html)"),
              a_guild_join(event_id=UUIDS[6], host=None, user_agent=None)]
    valid = valid_events(classify_records(records_frame(spark, [orjson.dumps(e) for e in events])))
    hosts, agents = valid.agg(F.collect_set("host"), F.collect_set("user_agent")).first()
    host_lookup, agent_lookup = lookup_tables(spark, list(hosts), list(agents))
    rows = to_lake_columns(enrich_events(valid, host_lookup, agent_lookup))
    assert [(f.name, f.dataType.simpleString()) for f in rows.schema] == list(lake.LAKE_COLUMNS)
    by_id = {row.event_id: row for row in rows.collect()}
    assert by_id[UUIDS[5]].host_provider == "comcast.com" and by_id[UUIDS[5]].is_bot is True
    assert by_id[UUIDS[5]].client_class == "automation"
    assert by_id[UUIDS[5]].price_cents == 1299 and by_id[UUIDS[5]].event_type == "purchase_item"
    assert by_id[UUIDS[6]].host_provider is None and by_id[UUIDS[6]].is_bot is False
    assert by_id[UUIDS[6]].ua_family is None and by_id[UUIDS[6]].client_class is None
    assert by_id[UUIDS[6]].guild_id == "red-dragons"
    assert by_id[UUIDS[6]].event_ts == datetime(2026, 11, 27, 13, 45, 1, 123456)


def test_in_offset_ranges_selects_half_open_ranges(spark):
    rows = spark.createDataFrame([(p, o) for p in (0, 1) for o in range(6)], "kafka_partition int, kafka_offset long")
    ranges = [OffsetRange("events", 0, 2, 4), OffsetRange("events", 1, 5, 5)]
    picked = rows.where(in_offset_ranges(ranges)).collect()
    assert sorted((r.kafka_partition, r.kafka_offset) for r in picked) == [(0, 2), (0, 3)]


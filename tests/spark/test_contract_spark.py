"""The Spark schema is derived from the contract and parses contract JSON as the contract means it."""

from __future__ import annotations

from datetime import datetime, timezone

from pyspark.sql import functions as F

from game_events import contract
from game_events.serde import encode_event
from tests.factories import a_guild_join, a_purchase


def test_struct_type_lists_the_contract_fields_in_order():
    schema = contract.spark_schema()
    assert tuple(schema.fieldNames()) == contract.FIELD_NAMES


def test_from_json_with_the_contract_schema_keeps_every_value(spark):
    events = [a_purchase(), a_guild_join()]
    raw = spark.createDataFrame([(encode_event(e).decode(),) for e in events], "value string")
    parsed = raw.select(F.from_json("value", contract.spark_schema()).alias("e")).select("e.*").collect()
    purchase, guild = (row.asDict() for row in parsed)
    assert purchase["price_cents"] == 1299 and purchase["quantity"] == 2 and purchase["guild_id"] is None
    assert guild["guild_id"] == "red-dragons" and guild["item_type"] is None
    # Spark returns naive datetimes in the session time zone, which spark_conf pins to UTC.
    assert purchase["event_ts"].replace(tzinfo=timezone.utc) == datetime(2026, 11, 27, 13, 45, 1, 123456,
                                                                          tzinfo=timezone.utc)

"""Pure DataFrame -> DataFrame steps of filtered_writes, from Kafka records to lake rows.

    messages  = to_messages(kafka_batch)             # raw bytes + Kafka coordinates
    records   = classify_records(messages)           # + reason, problems (validation.py), typed fields, date
    valid     = valid_events(records)                # typed contract fields + event_date + coordinates
    refused   = quarantined_records(records)         # QUARANTINE_COLUMNS
    keys      = copy_keys(existing, valid, ranges)   # the dedupe keys of lake rows and new rows
    groups    = copy_groups(keys)                    # copies per (event_date, event_id)
    winners   = contested_winners(keys, contested)   # which copy wins, for the keys with several
    kept      = dedupe_events(existing, enriched, winners)  # one row per (event_date, event_id)

Schemas are explicit: the lake's columns come from game_events.lake.LAKE_COLUMNS (itself derived from
the contract), and `to_lake_columns` casts to exactly those, in that order.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from game_events.contract import ALL_FIELDS
from game_events.lake import LAKE_COLUMNS, QUARANTINE_COLUMNS, OffsetRange
from spark.ingest.validation import check_records

__all__ = ["check_records", "classify_records", "contested_winners", "copy_groups", "copy_keys", "dedupe_events", "in_offset_ranges", "quarantined_records", "to_lake_columns",
           "to_messages", "valid_events"]


def to_messages(kafka_batch: DataFrame) -> DataFrame:
    """The Kafka source's rows as raw records with their coordinates."""
    return kafka_batch.select(
        F.col("topic"),
        F.col("partition").cast("int").alias("kafka_partition"),
        F.col("offset").alias("kafka_offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.col("value").alias("raw_value"),
    )


def classify_records(messages: DataFrame) -> DataFrame:
    """Every record checked and dated: coordinates, raw_value (refused records only: the quarantine stores
    them), reason/problems (validation.py), typed contract fields, event_date.

    Valid events are dated by the UTC date of event_ts; refused records by that date when event_ts is a
    sound timestamp, else by the Kafka timestamp (when the broker got them).
    """
    return check_records(messages)


def valid_events(records: DataFrame) -> DataFrame:
    """Records without problems: typed contract fields, event_date and Kafka coordinates."""
    return records.where(F.col("reason").isNull()).select(
        *(f.name for f in ALL_FIELDS), "event_date", "kafka_partition", "kafka_offset")


def quarantined_records(records: DataFrame) -> DataFrame:
    """Refused records with raw value, Kafka coordinates, reason and all problems (QUARANTINE_COLUMNS)."""
    refused = records.where(F.col("reason").isNotNull())
    return refused.select(*(F.col(name).cast(kind) for name, kind in QUARANTINE_COLUMNS))


def copy_keys(existing: DataFrame, new: DataFrame, ranges: list[OffsetRange] | None = None) -> DataFrame:
    """The dedupe keys of existing lake rows (from_lake 0) and new rows (1), with what orders the copies.

    `earlier` is 1 for an existing row outside this run's offset `ranges` (a retry after a crash finds
    its own rows in the lake, inside the ranges: those are not duplicates of earlier runs).
    """
    published_earlier = ~in_offset_ranges(ranges) if ranges else F.lit(True)
    key = ["event_date", "event_id"]
    return (existing.select(*key, F.lit(0).alias("from_lake"), "received_at", "kafka_partition", "kafka_offset",
                            published_earlier.cast("int").alias("earlier"))
            .unionByName(new.select(*key, F.lit(1).alias("from_lake"), "received_at", "kafka_partition",
                                    "kafka_offset", F.lit(0).alias("earlier"))))


def copy_groups(keys: DataFrame) -> DataFrame:
    """Per (event_date, event_id): copies, new copies, and whether an earlier run published it.

    Integer aggregates only, so Spark's fast hash aggregation does it on a narrow shuffle of the keys.
    """
    return keys.groupBy("event_date", "event_id").agg(
        F.count(F.lit(1)).alias("copies"), F.sum("from_lake").alias("new_copies"),
        F.max("earlier").alias("earlier_copies"))


def contested_winners(keys: DataFrame, contested: DataFrame) -> DataFrame:
    """For the keys with more than one copy (usually none, always few): which copy wins (see dedupe_events)."""
    order = Window.partitionBy("event_date", "event_id").orderBy(
        "from_lake", "received_at", "kafka_partition", "kafka_offset")
    return (keys.join(F.broadcast(contested.select("event_date", "event_id")), on=["event_date", "event_id"],
                      how="inner")
            .withColumn("copy_rank", F.row_number().over(order))
            .where(F.col("copy_rank") == 1)
            .select("event_date", "event_id",
                    F.struct("from_lake", "kafka_partition", "kafka_offset").alias("winner")))


def dedupe_events(existing: DataFrame, new: DataFrame, winners: DataFrame | None = None) -> DataFrame:
    """One row per (event_date, event_id): rows already in the lake first, then the earliest received_at,
    ties broken by Kafka partition and offset.

    Rows already published win because they reached Kafka before anything a later run reads, and
    keeping them keeps published figures stable. Copies of an event are exact re-sends with the same
    event_ts, so they share a date and a date-local key finds them all. The winners are found on the keys
    alone (copy_groups, contested_winners) and the rows filtered against that small table, so the wide rows
    are never shuffled; pass `winners` when they are already computed.
    """
    if winners is None:
        keys = copy_keys(existing, new)
        winners = contested_winners(keys, copy_groups(keys).where(F.col("copies") > 1))
    candidates = existing.withColumn("from_lake", F.lit(0)).unionByName(new.withColumn("from_lake", F.lit(1)))
    winner = F.col("winner")
    is_winner = (winner.isNull() | ((winner.from_lake == F.col("from_lake"))
                                    & (winner.kafka_partition == F.col("kafka_partition"))
                                    & (winner.kafka_offset == F.col("kafka_offset"))))
    return (candidates.join(F.broadcast(winners), on=["event_date", "event_id"], how="left")
            .where(is_winner)
            .drop("winner", "from_lake"))


def to_lake_columns(events: DataFrame) -> DataFrame:
    """Exactly the lake's columns (LAKE_COLUMNS), in order, with their types."""
    return events.select(*(F.col(name).cast(kind).alias(name) for name, kind in LAKE_COLUMNS))


def in_offset_ranges(ranges: list[OffsetRange]) -> Column:
    """True for rows whose (kafka_partition, kafka_offset) lies in one of the ranges."""
    condition = F.lit(False)
    for span in ranges:
        if span.end > span.start:
            condition = condition | ((F.col("kafka_partition") == span.partition)
                                     & F.col("kafka_offset").between(span.start, span.end - 1))
    return condition

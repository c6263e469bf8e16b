"""Pure DataFrame -> DataFrame steps of filtered_writes, from Kafka records to lake rows.

    messages  = to_messages(kafka_batch)             # raw bytes + Kafka coordinates
    records   = classify_records(messages)           # + reason, problems (validation.py), typed fields, date
    valid     = valid_events(records)                # typed contract fields + event_date + coordinates
    refused   = quarantined_records(records)         # QUARANTINE_COLUMNS
    kept      = dedupe_events(existing, enriched)    # one row per (event_date, event_id)

Schemas are explicit: the lake's columns come from game_events.lake.LAKE_COLUMNS (itself derived from
the contract), and `to_lake_columns` casts to exactly those, in that order.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from game_events.contract import ALL_FIELDS, Kind
from game_events.lake import LAKE_COLUMNS, QUARANTINE_COLUMNS, OffsetRange
from spark.ingest.validation import check_records, event_ts_date

__all__ = ["check_records", "classify_records", "dedupe_events", "in_offset_ranges", "quarantined_records", "to_lake_columns",
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


def _typed_field(name: str, kind: Kind) -> Column:
    value = F.col("parsed").getField(name)
    return F.try_to_timestamp(value).alias(name) if kind is Kind.TIMESTAMP else value.alias(name)


def _record_date() -> Column:
    """Valid events: the UTC date of event_ts. Refused records: that date when event_ts is a valid
    timestamp, else the date of the Kafka timestamp (when the broker got them)."""
    event_ts_text = F.col("parsed.event_ts")
    event_ts_is_bad = F.array_contains(F.col("problems"), "bad_value:event_ts") | F.array_contains(
        F.col("problems"), "wrong_type:event_ts")
    from_event_ts = F.when(~event_ts_is_bad, event_ts_date(event_ts_text))
    return F.when(F.col("reason").isNull(), from_event_ts).otherwise(
        F.coalesce(from_event_ts, F.to_date(F.col("kafka_timestamp"))))


def classify_records(messages: DataFrame) -> DataFrame:
    """Every record checked and dated: coordinates, reason/problems, typed fields, event_date.

    The raw bytes are kept only for refused records (the quarantine stores them); valid ones are
    fully described by their typed fields, and dropping the bytes halves what the job caches.
    """
    checked = check_records(messages)
    return checked.select(
        "topic", "kafka_partition", "kafka_offset", "kafka_timestamp",
        F.when(F.col("reason").isNotNull(), F.col("raw_value")).alias("raw_value"),
        "reason", "problems",
        *(_typed_field(f.name, f.kind) for f in ALL_FIELDS),
        _record_date().alias("event_date"),
    )


def valid_events(records: DataFrame) -> DataFrame:
    """Records without problems: typed contract fields, event_date and Kafka coordinates."""
    return records.where(F.col("reason").isNull()).select(
        *(f.name for f in ALL_FIELDS), "event_date", "kafka_partition", "kafka_offset")


def quarantined_records(records: DataFrame) -> DataFrame:
    """Refused records with raw value, Kafka coordinates, reason and all problems (QUARANTINE_COLUMNS)."""
    refused = records.where(F.col("reason").isNotNull())
    return refused.select(*(F.col(name).cast(kind) for name, kind in QUARANTINE_COLUMNS))


def dedupe_events(existing: DataFrame, new: DataFrame) -> DataFrame:
    """One row per (event_date, event_id): rows already in the lake first, then the earliest received_at,
    ties broken by Kafka partition and offset.

    Rows already published win because they reached Kafka before anything a later run reads, and
    keeping them keeps published figures stable. Copies of an event are exact re-sends with the same
    event_ts, so they share a date and a date-local key finds them all.
    """
    candidates = existing.withColumn("from_lake", F.lit(0)).unionByName(new.withColumn("from_lake", F.lit(1)))
    first_copy = Window.partitionBy("event_date", "event_id").orderBy(
        "from_lake", "received_at", "kafka_partition", "kafka_offset")
    return (candidates
            .withColumn("copy_rank", F.row_number().over(first_copy))
            .where(F.col("copy_rank") == 1)
            .drop("copy_rank", "from_lake"))


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

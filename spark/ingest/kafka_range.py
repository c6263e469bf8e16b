"""Read an exact offset range of the events topic with Spark's Kafka source (a bounded batch read).

`assign` + `startingOffsets`/`endingOffsets` JSON pin the read to the planned ranges (see
game_events.lake.plan_offset_ranges), so the job never reads what an earlier run read, nor more than the
high watermarks it snapshotted. failOnDataLoss stays on: if retention deletes messages between planning
and reading, Spark fails the run rather than silently skipping them.
"""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession

from game_events.lake import OffsetRange
from game_events.settings import Settings

# Bigger fetches than the consumer's defaults (1 MB per partition, 50 MB per request): a day's batch read
# is one long sequential scan, and the defaults make it many small round trips.
SOURCE_OPTIONS = {"kafka.max.partition.fetch.bytes": str(16 << 20), "kafka.fetch.max.bytes": str(64 << 20),
                  "kafka.receive.buffer.bytes": str(4 << 20)}


def read_offset_ranges(spark: SparkSession, settings: Settings, ranges: list[OffsetRange]) -> DataFrame:
    """The Kafka source's rows (key, value, topic, partition, offset, timestamp, ...) for non-empty ranges."""
    spans = [span for span in ranges if span.end > span.start]
    if not spans:
        raise ValueError("no messages to read in the planned ranges")
    topic = spans[0].topic
    # More tasks than partitions: 3 partitions on 2 cores would otherwise leave a core idle half the time.
    min_partitions = max(len(spans), 2 * spark.sparkContext.defaultParallelism)
    return (spark.read.format("kafka")
            .option("kafka.bootstrap.servers", settings.kafka_bootstrap_servers)
            .option("assign", json.dumps({topic: [span.partition for span in spans]}))
            .option("startingOffsets", json.dumps({topic: {str(s.partition): s.start for s in spans}}))
            .option("endingOffsets", json.dumps({topic: {str(s.partition): s.end for s in spans}}))
            .option("failOnDataLoss", "true")
            .option("minPartitions", str(min_partitions))
            .options(**SOURCE_OPTIONS)
            .load())

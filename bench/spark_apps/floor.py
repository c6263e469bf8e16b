"""Spark's own floor for filtered_writes: the same Kafka read and Parquet layout with none of our work.

    scripts/bin/spark-submit <game_events.spark_submit.submit_command args> bench/spark_apps/floor.py \\
        --topic T --bootstrap-servers H:P --out DIR [--read-only]

Kafka source (the whole topic, with filtered_writes' source options) -> `from_json` with the contract's plain Spark schema -> Parquet partitioned
by event_date (the UTC date of event_ts) and event_type. No validation, no de-duplication, no
quarantine, no ledger. `--read-only` measures the Kafka source alone (it sums the value lengths, which
makes Spark fetch every message). Prints `floor: <what> N rows in S s` (S without Spark start-up).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from game_events.contract import spark_schema  # noqa: E402
from spark.ingest.kafka_range import SOURCE_OPTIONS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="floor.py")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--read-only", action="store_true")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("bench.floor").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    started = time.monotonic()
    source = (spark.read.format("kafka")
              .option("kafka.bootstrap.servers", args.bootstrap_servers)
              .option("subscribe", args.topic)
              .option("startingOffsets", "earliest").option("endingOffsets", "latest")
              .option("minPartitions", str(2 * spark.sparkContext.defaultParallelism))
              .options(**SOURCE_OPTIONS)
              .load())
    if args.read_only:
        what, rows = "kafka read", source.agg(F.count(F.lit(1)), F.sum(F.length("value"))).first()[0]
    else:
        events = source.select(F.from_json(F.col("value").cast("string"), spark_schema()).alias("e")).select("e.*")
        dated = events.withColumn("event_date", F.to_date("event_ts"))
        dated.write.mode("overwrite").partitionBy("event_date", "event_type").parquet(args.out)
        what, rows = "kafka -> from_json -> parquet", spark.read.parquet(args.out).count()
    elapsed = time.monotonic() - started
    spark.stop()
    print(f"floor: {what}: {rows} rows in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

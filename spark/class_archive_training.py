"""The training run for the driver JVM's class-data archive (AppCDS; see game_events.spark_submit).

    scripts/bin/spark-submit <submit_command args, archive_out=PATH> spark/class_archive_training.py
    # normally through `make setup`, which runs:
    .venv/bin/python -m game_events.cli spark-class-archive

A JVM started with -XX:ArchiveClassesAtExit writes every class it loaded into one file; a later JVM
started with -XX:SharedArchiveFile maps them in instead of finding, parsing and verifying each class
again. So this run touches what the jobs touch, on a small
generated day and without a broker: the Kafka source's classes, the validation (JSON parsing, regexes,
timestamps, the Python workers over Arrow), Parquet written by partition and read back, shuffles, a
window, broadcast joins, observed metrics and SQL over views. A class it misses is loaded as usual.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:  # spark-submit puts only this file's folder on sys.path
    sys.path.insert(0, str(PROJECT_ROOT))

from pyspark.sql import Observation, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.window import Window  # noqa: E402

from game_events import serde  # noqa: E402
from game_events.generator import generate_day  # noqa: E402
from spark.ingest.enrich import enrich_events, lookup_tables  # noqa: E402
from spark.ingest.validation import COORDINATES, clean_records, exact_records, gate_records  # noqa: E402


def train(spark: SparkSession, folder: Path) -> None:
    # The Kafka source's and client's classes: resolving the relation, and a consumer that is made and closed
    # without ever connecting, need no broker.
    spark.read.format("kafka").option("kafka.bootstrap.servers", "127.0.0.1:9").option("subscribe", "x").load().schema
    jvm = spark.sparkContext._jvm
    config = jvm.java.util.HashMap()
    for key, value in (("bootstrap.servers", "127.0.0.1:9"), ("group.id", "class-archive-training"),
                       ("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer"),
                       ("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer")):
        config.put(key, value)
    jvm.org.apache.kafka.clients.consumer.KafkaConsumer(config).close()
    day = generate_day(date(2026, 1, 1), 200, seed=1, malformed=0.05)
    rows = [(serde.encode_event(event),) for event in day.events] + [(raw,) for raw in day.malformed]
    # As filtered_writes does it: the gate over records read from files, staged by route, the rest in Python.
    spark.createDataFrame(rows, "raw_value binary").withColumn("kafka_offset", F.monotonically_increasing_id()
                                                               ).write.parquet(str(folder / "raw"))
    observed = Observation("training")
    gated = gate_records(spark.read.parquet(str(folder / "raw")).select(
        F.lit("training").alias("topic"), F.lit(0).alias("kafka_partition"), "kafka_offset",
        F.current_timestamp().alias("kafka_timestamp"), "raw_value"))
    gated.observe(observed, F.count(F.lit(1)).alias("rows")).withColumn(
        "route", F.when(F.col("is_clean"), "clean").otherwise("exact")).write.partitionBy("route").parquet(
        str(folder / "gated"))
    staged = spark.read.parquet(str(folder / "gated"))
    clean = clean_records(staged.where("route = 'clean'").drop("route"))
    exact = exact_records(staged.where("route = 'exact'").select(*COORDINATES, "raw_value"))
    clean.unionByName(exact).write.partitionBy("event_date").parquet(str(folder / "checked"))
    valid = spark.read.parquet(str(folder / "checked")).where(F.col("reason").isNull())
    hosts = [row.host for row in valid.select("host").distinct().collect()]
    agents = [row.user_agent for row in valid.select("user_agent").distinct().collect()]
    enriched = enrich_events(valid, *lookup_tables(spark, hosts, agents))
    latest = Window.partitionBy("event_id").orderBy(F.col("kafka_offset").desc_nulls_last())
    enriched.withColumn("rank", F.row_number().over(latest)).where("rank = 1").drop("rank").write.partitionBy(
        "event_date", "event_type").parquet(str(folder / "events"))
    spark.read.parquet(str(folder / "events")).createOrReplaceTempView("events")
    spark.sql("SELECT host_provider, event_type, count(*) AS events, count(DISTINCT user_id) AS players, "
              "percentile_approx(price_cents, 0.5) AS median_price FROM events "
              "GROUP BY host_provider, event_type ORDER BY events DESC").toPandas()


def main() -> int:
    spark = SparkSession.builder.appName("class_archive_training").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    spark.conf.set("spark.sql.optimizer.enableJsonExpressionOptimization", "false")
    with tempfile.TemporaryDirectory(prefix="class-archive-") as folder:
        train(spark, Path(folder))
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A minimal Spark application for the tests: count a topic's messages through the Kafka connector.

spark-submit ... count_topic.py BOOTSTRAP TOPIC OUT_JSON
"""

import json
import sys

from pyspark.sql import SparkSession


def main(argv: list[str]) -> int:
    bootstrap, topic, out_path = argv
    spark = SparkSession.builder.appName("count-topic").getOrCreate()
    rows = (spark.read.format("kafka")
            .option("kafka.bootstrap.servers", bootstrap)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .option("endingOffsets", "latest")
            .load())
    with open(out_path, "w") as out:
        json.dump({"rows": rows.count(), "spark_version": spark.version}, out)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

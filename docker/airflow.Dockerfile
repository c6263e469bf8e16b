# Airflow for docker-compose.yml: the official image plus what the DAG's tasks run — Java, the project's
# Spark environment (full pyspark, kept apart from the provider's pyspark-client exactly like .venv-spark
# in the local stack) and the Spark Kafka connector jars. They live outside /opt/game-events, which the
# compose file mounts from the checkout.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless maven \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow requirements/ /tmp/requirements/
COPY --chown=airflow scripts/maven/ /tmp/maven/
RUN pip install --no-cache-dir -r /tmp/requirements/airflow.lock.txt \
    && python -m venv /opt/spark-venv \
    && /opt/spark-venv/bin/pip install --no-cache-dir -r /tmp/requirements/spark.lock.txt \
    && mvn -q -B -f /tmp/maven/spark-kafka-connector.pom.xml dependency:copy-dependencies \
       -DoutputDirectory=/opt/deps/spark-jars
ENV GAME_EVENTS_SPARK_VENV=/opt/spark-venv \
    GAME_EVENTS_DEPS_DIR=/opt/deps \
    PATH=/opt/game-events/scripts/bin:$PATH

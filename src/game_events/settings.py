"""The one place configuration is read from the environment.

Every default works on a laptop: a broker on 127.0.0.1:9092, Spark in local mode, data under the
repository's `data/` folder. Anything that runs somewhere else (a cluster, another broker) changes
environment variables, never code:

    GAME_EVENTS_DATA_DIR        root of lake, artifacts and truth files   (default: <repo>/data)
    GAME_EVENTS_DEPS_DIR        downloaded jars (Kafka, Spark connector)  (default: <repo>/.deps)
    KAFKA_BOOTSTRAP_SERVERS     comma-separated host:port list            (default: 127.0.0.1:9092)
    KAFKA_TOPIC                 the events topic                          (default: events)
    KAFKA_TOPIC_PARTITIONS      partitions when the topic is created      (default: 3)
    KAFKA_TOPIC_REPLICATION     replication factor when it is created     (default: 1)
    KAFKA_TOPIC_MIN_INSYNC_REPLICAS  the topic's min.insync.replicas      (default: unset, the broker's)
    SPARK_MASTER                local[*], local[2], spark://host:7077     (default: local[*])
    GAME_API_URL                where the generator sends --via http      (default: http://127.0.0.1:5000)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# src/game_events/settings.py -> the repository root (an editable install keeps this true). A Spark driver
# on a cluster master imports the package from the shipped archive (game_events.spark_submit), which has
# no checkout around it: there scripts/bin/spark-submit names the root in GAME_EVENTS_ROOT.
PROJECT_ROOT = Path(os.environ.get("GAME_EVENTS_ROOT") or Path(__file__).resolve().parents[2]).resolve()


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    deps_dir: Path
    kafka_bootstrap_servers: str
    kafka_topic: str
    kafka_topic_partitions: int
    kafka_topic_replication: int
    kafka_topic_min_insync_replicas: int | None
    spark_master: str
    game_api_url: str
    # Every Spark job's event log (compressed, rolled), served by `make spark-history` at spark_history_url.
    spark_events_dir: Path
    spark_history_url: str

    # Folder layout under data_dir: other code and the issues rely on these names.
    @property
    def lake_dir(self) -> Path:
        return self.data_dir / "lake"

    @property
    def events_dir(self) -> Path:
        return self.lake_dir / "events"

    @property
    def quarantine_dir(self) -> Path:
        return self.lake_dir / "quarantine"

    @property
    def manifests_dir(self) -> Path:
        return self.lake_dir / "_manifests"

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def truth_dir(self) -> Path:
        return self.data_dir / "truth"

    @property
    def spark_jars_dir(self) -> Path:
        return self.deps_dir / "spark-jars"


def load_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where you need it, not at import)."""
    return Settings(
        data_dir=Path(_env("GAME_EVENTS_DATA_DIR", str(PROJECT_ROOT / "data"))).resolve(),
        deps_dir=Path(_env("GAME_EVENTS_DEPS_DIR", str(PROJECT_ROOT / ".deps"))).resolve(),
        kafka_bootstrap_servers=_env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        kafka_topic=_env("KAFKA_TOPIC", "events"),
        kafka_topic_partitions=_env_int("KAFKA_TOPIC_PARTITIONS", 3),
        kafka_topic_replication=_env_int("KAFKA_TOPIC_REPLICATION", 1),
        kafka_topic_min_insync_replicas=_env_int("KAFKA_TOPIC_MIN_INSYNC_REPLICAS", 0) or None,
        spark_master=_env("SPARK_MASTER", "local[*]"),
        game_api_url=_env("GAME_API_URL", "http://127.0.0.1:5000"),
        spark_events_dir=Path(_env("SPARK_EVENTS_DIR", str(PROJECT_ROOT / ".run" / "spark-events"))).resolve(),
        spark_history_url=_env("SPARK_HISTORY_URL", f"http://127.0.0.1:{_env('SPARK_HISTORY_PORT', '18080')}"),
    )

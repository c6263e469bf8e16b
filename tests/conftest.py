"""Shared fixtures. Tests that need Kafka talk to the real broker (`make test` starts it); they fail
with a clear message, never skip, when it is not there."""

from __future__ import annotations

import os
import tempfile
import uuid

import pytest

from game_events.kafka import BrokerUnavailable, delete_topic, ensure_topic, wait_for_broker
from game_events.settings import Settings, load_settings

# The Spark applications the tests run log their events in a folder of this pytest run, not in the
# checkout's .run/spark-events that `make spark-history` shows.
os.environ.setdefault("SPARK_EVENTS_DIR", tempfile.mkdtemp(prefix="spark-events-"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def broker(settings: Settings) -> str:
    """The bootstrap servers of a live broker."""
    try:
        wait_for_broker(settings, timeout_s=30)
    except BrokerUnavailable as exc:
        pytest.fail(f"{exc}\nRun the suite with `make test`, which starts the broker.")
    return settings.kafka_bootstrap_servers


@pytest.fixture
def fresh_topic(broker: str, settings: Settings):
    """A new, empty topic with 3 partitions, deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    ensure_topic(name, partitions=3, replication=1, settings=settings)
    yield name
    delete_topic(name, settings)

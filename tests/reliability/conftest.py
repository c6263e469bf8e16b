"""Fixtures of the reliability suite (cases of issue 8): real broker, real gunicorn, real Spark, real signals.

    make test-reliability                                    # everything, the long cases included
    .venv/bin/python -m pytest tests/reliability -m "not long"   # what `make test` runs

The suite's broker comes from tests/conftest.py (`broker`); a case that kills a broker starts its own.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import requests

from game_events.kafka import delete_topic, ensure_topic
from tests.api.servers import game_api_server

# The API trusts one proxy hop here, so a test can send a recognisable client address (X-Forwarded-For)
# and then look for it everywhere it must not be (case 14).
CLIENT_IP = "203.0.113.77"  # what tests.reliability.clients sends as X-Forwarded-For


@pytest.fixture(scope="module")
def module_topic(broker, settings):
    name = f"rel-{uuid.uuid4().hex[:12]}"
    ensure_topic(name, partitions=3, settings=settings)
    yield name
    delete_topic(name, settings)


@pytest.fixture(scope="module")
def lake_settings(settings, module_topic, tmp_path_factory):
    """Settings of this module's own lake (a fresh data folder) reading this module's topic."""
    return dataclasses.replace(settings, kafka_topic=module_topic, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def api_state(tmp_path_factory):
    return tmp_path_factory.mktemp("game_api")


@pytest.fixture(scope="module")
def api_url(broker, module_topic, api_state):
    """The game API under gunicorn (scripts/game_api.sh), producing to this module's topic."""
    with game_api_server(api_state, module_topic, KAFKA_BOOTSTRAP_SERVERS=broker, GAME_API_PROXY_HOPS="1") as url:
        yield url


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session

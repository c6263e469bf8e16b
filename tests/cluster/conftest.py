"""tests/cluster: the same code on a Spark standalone cluster and a three-broker Kafka cluster.

Run with `make test-cluster` (starts the cluster with scripts/cluster.sh and stops it afterwards), or
`.venv/bin/python -m pytest tests/cluster` (the `cluster` fixture starts what is not running and stops
only what it started). Every test points the project at the cluster through the environment that
`scripts/cluster.sh env` prints, nothing else.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from game_events.settings import PROJECT_ROOT

CLUSTER_SCRIPT = PROJECT_ROOT / "scripts" / "cluster.sh"


def cluster_script(action: str) -> str:
    result = subprocess.run([str(CLUSTER_SCRIPT), action], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"cluster.sh {action} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def cluster_environment() -> dict[str, str]:
    """The `export A=B C=D` lines of `scripts/cluster.sh env` as a dict."""
    env = {}
    for line in cluster_script("env").splitlines():
        for assignment in line.removeprefix("export ").split():
            key, value = assignment.split("=", 1)
            env[key] = value
    return env


@pytest.fixture(scope="session")
def cluster() -> dict[str, str]:
    """The cluster's environment, also applied to this process (load_settings() sees the cluster)."""
    started = "stopped" in cluster_script("status")
    if started:
        cluster_script("up")
    env = cluster_environment()
    os.environ.update(env)
    yield env
    if started:
        cluster_script("down")

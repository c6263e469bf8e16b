"""Real processes for integration tests: the API under gunicorn, and a broker of a test's own.

Both are started and stopped through the project's scripts (scripts/game_api.sh, scripts/kafka.sh), by
their pid files, with state in a temporary folder, so nothing shared is touched.
"""

from __future__ import annotations

import os
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

from game_events.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(script: str, action: str, env: dict[str, str]) -> str:
    result = subprocess.run([str(PROJECT_ROOT / "scripts" / script), action], env={**os.environ, **env},
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"{script} {action} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@contextmanager
def game_api_server(state_dir: Path, topic: str, **env: str):
    """gunicorn serving the API on a free port; yields its base URL."""
    port = free_port()
    api_env = {"GAME_API_PORT": str(port), "GAME_API_STATE_DIR": str(state_dir), "KAFKA_TOPIC": topic, **env}
    _run("game_api.sh", "up", api_env)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _run("game_api.sh", "down", api_env)


class Broker:
    """A KRaft broker of one test: up() / down() keep its data, so a topic survives a restart."""

    def __init__(self, state_dir: Path):
        self.port = free_port()
        self.env = {"KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(free_port()),
                    "KAFKA_STATE_DIR": str(state_dir), "KAFKA_HEAP_OPTS": "-Xms128m -Xmx512m"}
        self.bootstrap = f"127.0.0.1:{self.port}"

    def up(self) -> None:
        _run("kafka.sh", "up", self.env)

    def down(self) -> None:
        _run("kafka.sh", "down", self.env)

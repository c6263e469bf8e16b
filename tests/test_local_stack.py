"""The Makefile's promises about the local set-up, checked against real processes.

A second broker is started on other ports with its own state folder, so the suite's broker is untouched.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

from game_events.kafka import wait_for_broker
from game_events.settings import PROJECT_ROOT, load_settings

KAFKA_SH = PROJECT_ROOT / "scripts" / "kafka.sh"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=PROJECT_ROOT, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, timeout=180)


def test_setup_is_up_to_date_after_setup():
    # `make -q` exits 0 only if no recipe would run: a second `make setup` downloads and installs nothing.
    result = run("make", "-q", "setup")
    assert result.returncode == 0, result.stdout + result.stderr


def test_kafka_up_twice_is_harmless_and_down_leaves_no_process(tmp_path: Path):
    env = {"KAFKA_PORT": "19092", "KAFKA_CONTROLLER_PORT": "19093", "KAFKA_STATE_DIR": str(tmp_path / "kafka")}
    first = run(str(KAFKA_SH), "up", env=env)
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Formatted KRaft storage" in first.stdout
        pid = int((tmp_path / "kafka" / "kafka.pid").read_text())

        second = run(str(KAFKA_SH), "up", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert f"already running (pid {pid})" in second.stdout

        assert wait_for_broker(replace(load_settings(), kafka_bootstrap_servers="127.0.0.1:19092"), timeout_s=10) == 1
        listening = Path("/proc/net/tcp").read_text()
        # 19092 = 0x4A94, bound to 127.0.0.1 (0100007F) only.
        assert "0100007F:4A94" in listening and "00000000:4A94" not in listening
    finally:
        down = run(str(KAFKA_SH), "down", env=env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not Path(f"/proc/{pid}").exists(), "the broker process is still alive after kafka-down"

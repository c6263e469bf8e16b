"""The Makefile's promises about the local set-up, checked against real processes.

A second broker and a PostgreSQL cluster are started on other ports with their own state folders, so
the suite's broker and a `make up` stack are untouched.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from game_events.kafka import wait_for_broker
from game_events.settings import PROJECT_ROOT, load_settings

KAFKA_SH = PROJECT_ROOT / "scripts" / "kafka.sh"
POSTGRES_SH = PROJECT_ROOT / "scripts" / "postgres.sh"


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


def test_postgres_is_loopback_only_with_generated_passwords_and_down_leaves_no_process(tmp_path: Path):
    import psycopg2

    from tests.api.servers import free_port

    port = free_port()
    state = tmp_path / "postgres"
    env = {"POSTGRES_STATE_DIR": str(state), "POSTGRES_PORT": str(port)}
    first = run(str(POSTGRES_SH), "up", env=env)
    try:
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Initialised PostgreSQL" in first.stdout and "Created database airflow" in first.stdout
        pid = int((state / "postgres.pid").read_text())
        second = run(str(POSTGRES_SH), "up", env=env)
        assert second.returncode == 0 and f"already running (pid {pid})" in second.stdout, second.stdout + second.stderr

        listening = Path("/proc/net/tcp").read_text()
        assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening
        password = (state / "airflow.password").read_text().strip()
        for secret in ("airflow.password", "superuser.password", "pgpass"):
            assert (state / secret).stat().st_mode & 0o777 == 0o600, secret
        assert len(password) >= 32
        assert (state / "pgpass").read_text() == f"127.0.0.1:{port}:airflow:airflow:{password}\n"

        # Airflow's way in: the libpq password file, as a role that owns its database and nothing more.
        with psycopg2.connect(host="127.0.0.1", port=port, user="airflow", dbname="airflow",
                              passfile=str(state / "pgpass")) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
            assert cursor.fetchone() == ("airflow", False)
        for user, guess in (("airflow", "airflow"), ("postgres", "postgres"), ("postgres", "")):
            with pytest.raises(psycopg2.OperationalError, match="password authentication failed|no password"):
                psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname="postgres", password=guess,
                                 passfile=os.devnull, connect_timeout=10)
    finally:
        down = run(str(POSTGRES_SH), "down", env=env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not Path(f"/proc/{pid}").exists(), "the PostgreSQL server is still alive after postgres.sh down"
    assert run(str(POSTGRES_SH), "status", env=env).stdout.strip() == "postgres: stopped"
    destroyed = run(str(POSTGRES_SH), "destroy", env=env)
    assert destroyed.returncode == 0 and not state.exists(), destroyed.stdout + destroyed.stderr

"""Case 13 (and the listening half of it) without Airflow: secrets, debug mode, loopback-only sockets.

The Airflow half (401 without credentials, a generated admin password) needs a running Airflow and is in
test_airflow_runs.py. Run alone with  .venv/bin/python -m pytest tests/reliability/test_security.py
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
from pathlib import Path

import psutil

from game_events.settings import PROJECT_ROOT

# What a committed secret looks like; the repository must hold none of them.
SECRET_PATTERNS = {
    "private key": re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(rb"AKIA[0-9A-Z]{16}"),
    "GitHub token": re.compile(rb"gh[pousr]_[A-Za-z0-9]{36}"),
    "Slack token": re.compile(rb"xox[baprs]-[A-Za-z0-9-]{10,}"),
    "Fernet/JWT key": re.compile(rb"(FERNET_KEY|JWT_SECRET|SECRET_KEY)\s*[=:]\s*['\"]?[A-Za-z0-9_\-]{20,}"),
    "password literal": re.compile(rb"(?i)\bpassword\s*[=:]\s*['\"][^'\"\s$]{6,}['\"]"),
}
SECRET_FILES = re.compile(r"(^|/)(\.env|secrets\.env|.*\.pem|.*\.key|simple_auth_manager_passwords\.json.*)$")


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    return [PROJECT_ROOT / name for name in names.decode().split("\0") if name]


def test_no_secrets_in_the_repository():
    files = [path for path in tracked_files() if path.is_file()]
    assert len(files) > 50  # the scan saw the repository, not an empty list
    found = [(str(path.relative_to(PROJECT_ROOT)), kind) for path in files if path.suffix != ".lock"
             for kind, pattern in SECRET_PATTERNS.items() if pattern.search(path.read_bytes())]
    secret_files = [str(p.relative_to(PROJECT_ROOT)) for p in files if SECRET_FILES.search(str(p.relative_to(PROJECT_ROOT)))]
    assert found == [] and secret_files == []


def test_generated_secrets_are_not_committed_and_not_defaults():
    env_script = (PROJECT_ROOT / "scripts" / "airflow-env.sh").read_text()
    # The simple auth manager's users are "name:role"; their passwords are generated, never configured.
    assert "SIMPLE_AUTH_MANAGER_ALL_ADMINS" not in env_script and "PASSWORDS_FILE" not in env_script
    assert "secrets.token_urlsafe" in env_script and "umask 077" in env_script
    ignored = subprocess.run(["git", "check-ignore", ".run/airflow/secrets.env", "data/x"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True).stdout.split()
    assert ignored == [".run/airflow/secrets.env", "data/x"]


def test_flask_debug_is_off():
    from services.game_api import create_app

    app = create_app({"SINK": "null"})
    assert app.debug is False and app.config["PROPAGATE_EXCEPTIONS"] in (None, False)
    for launcher in ("scripts/game_api.sh", "config/gunicorn.conf.py", "docker-compose.yml"):
        text = (PROJECT_ROOT / launcher).read_text()
        assert not re.search(r"(?i)(FLASK_DEBUG\s*[=:]\s*['\"]?(1|true)|--debug|\breload\s*=\s*True)", text), launcher


def listening_addresses(pid: int) -> set[str]:
    """Addresses the process and its children listen on (TCP)."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return {c.laddr.ip for p in processes for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)  # Java binds 127.0.0.1 as ::ffff:127.0.0.1
    return (mapped or ip).is_loopback


def listener_of(port: int) -> int:
    owners = {c.pid for c in psutil.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    assert len(owners) == 1 and None not in owners, f"cannot tell which process listens on {port}: {owners}"
    return owners.pop()


def test_the_running_api_and_broker_listen_on_loopback_only(api_url, api_state, broker):
    api_pid = int((api_state / "gunicorn.pid").read_text())
    broker_pid = listener_of(int(broker.rsplit(":", 1)[1]))
    for name, pid in (("game API", api_pid), ("Kafka", broker_pid)):
        addresses = listening_addresses(pid)
        assert addresses and all(is_loopback(a) for a in addresses), (name, addresses)


def test_every_service_defaults_to_loopback():
    defaults = {"scripts/kafka.sh": 'host="${KAFKA_HOST:-127.0.0.1}"',
                "config/gunicorn.conf.py": "os.environ.get('GAME_API_HOST', '127.0.0.1')",
                "scripts/game_api.sh": 'host="${GAME_API_HOST:-127.0.0.1}"',
                "scripts/airflow-env.sh": 'AIRFLOW__API__HOST="${AIRFLOW__API__HOST:-127.0.0.1}"'}
    for path, default in defaults.items():
        assert default in (PROJECT_ROOT / path).read_text(), path
    published = re.findall(r'-\s*"([^"]+:\d+:\d+)"', (PROJECT_ROOT / "docker-compose.yml").read_text())
    assert published and all(p.startswith("127.0.0.1:") for p in published)

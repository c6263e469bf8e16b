"""The benchmark's own throw-away services: a broker, game API instances and an Airflow stack.

They run on their own ports with their state under BENCH_STATE_DIR, so `make bench` never touches a
`make up` stack (or another benchmark's data). Everything is started through the project's own scripts
(scripts/kafka.sh, game_api.sh, airflow.sh) with the production settings, and stopped by those scripts
(by pid) at the end. Settings, all from the environment:

    BENCH_STATE_DIR      (<repo>/.run/bench)  data, logs, Airflow home, broker storage
    BENCH_KAFKA_PORT     (39092; controller on +1)
    BENCH_API_PORT       (35000; the no-op baseline instance on +1)
    BENCH_AIRFLOW_PORT   (38080)
    BENCH_POSTGRES_PORT  (35433; Airflow's database, scripts/postgres.sh, state in BENCH_STATE_DIR/postgres)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from game_events.settings import PROJECT_ROOT

SCRIPTS = PROJECT_ROOT / "scripts"


@dataclass(frozen=True)
class BenchEnv:
    state_dir: Path
    kafka_port: int
    api_port: int
    airflow_port: int
    postgres_port: int

    @classmethod
    def from_env(cls) -> BenchEnv:
        return cls(state_dir=Path(os.environ.get("BENCH_STATE_DIR") or PROJECT_ROOT / ".run" / "bench").resolve(),
                   kafka_port=int(os.environ.get("BENCH_KAFKA_PORT", "39092")),
                   api_port=int(os.environ.get("BENCH_API_PORT", "35000")),
                   airflow_port=int(os.environ.get("BENCH_AIRFLOW_PORT", "38080")),
                   postgres_port=int(os.environ.get("BENCH_POSTGRES_PORT", "35433")))

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def kafka_state(self) -> Path:
        return self.state_dir / "kafka"

    def api_state(self, name: str) -> Path:
        return self.state_dir / f"api-{name}"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    @property
    def postgres_state(self) -> Path:
        return self.state_dir / "postgres"

    def base_env(self, **extra: str) -> dict[str, str]:
        """The environment every process of the benchmark runs with (our broker, our data folder)."""
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "KAFKA_PORT": str(self.kafka_port),
               "KAFKA_CONTROLLER_PORT": str(self.kafka_port + 1), "KAFKA_STATE_DIR": str(self.kafka_state),
               "GAME_EVENTS_DATA_DIR": str(self.state_dir / "data"),
               "SPARK_EVENTS_DIR": str(self.state_dir / "spark-events")}
        for key in ("AIRFLOW_CONN_KAFKA_DEFAULT", "AIRFLOW_CONN_SPARK_DEFAULT", "AIRFLOW_HOME",
                    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "PGPASSFILE", "POSTGRES_STATE_DIR", "POSTGRES_PORT"):
            env.pop(key, None)  # never inherit another stack's Airflow or its database
        env.update(extra)
        return env


def run_script(script: str, action: str, env: dict[str, str], timeout_s: float = 300) -> str:
    result = subprocess.run([str(SCRIPTS / script), action], env=env, cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise RuntimeError(f"{script} {action} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


class Broker:
    """Our own KRaft broker (fresh storage each time: topics of earlier runs would only cost disk)."""

    def __init__(self, bench: BenchEnv):
        self.bench, self.env = bench, bench.base_env()

    def __enter__(self) -> Broker:
        if "running" not in run_script("kafka.sh", "status", self.env):
            shutil.rmtree(self.bench.kafka_state, ignore_errors=True)
        log(run_script("kafka.sh", "up", self.env).strip().splitlines()[-1])
        return self

    def __exit__(self, *exc) -> None:
        log(run_script("kafka.sh", "down", self.env, timeout_s=120).strip())

    @property
    def pid_file(self) -> Path:
        return self.bench.kafka_state / "kafka.pid"


class GameApi:
    """One gunicorn instance of the game API with config/gunicorn.conf.py and the given sink."""

    def __init__(self, bench: BenchEnv, name: str, port: int, sink: str, topic: str):
        self.url = f"http://127.0.0.1:{port}"
        self.state = bench.api_state(name)
        self.env = bench.base_env(GAME_API_PORT=str(port), GAME_API_SINK=sink, KAFKA_TOPIC=topic,
                                  GAME_API_STATE_DIR=str(self.state))

    def __enter__(self) -> GameApi:
        log(run_script("game_api.sh", "up", self.env).strip())
        return self

    def __exit__(self, *exc) -> None:
        log(run_script("game_api.sh", "down", self.env, timeout_s=120).strip())

    @property
    def pid_file(self) -> Path:
        return self.state / "gunicorn.pid"

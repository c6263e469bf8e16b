"""Airflow tests run against a throw-away AIRFLOW_HOME with the project's Airflow settings.

The environment is set here, before anything imports airflow, from scripts/airflow-env.sh itself so the
tests see the same configuration as `make up`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from game_events.settings import PROJECT_ROOT


def _airflow_env(home: str) -> dict[str, str]:
    # In-process parsing and task tests need no database server: SQLite in the throw-away home. Only the
    # settings themselves are kept, not AIRFLOW_DB, so the stacks tests start keep their own choice.
    script = f'export AIRFLOW_HOME="{home}" AIRFLOW_DB=sqlite; . "{PROJECT_ROOT}/scripts/airflow-env.sh"; env -0'
    out = subprocess.run(["bash", "-c", script], check=True, capture_output=True).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith(("AIRFLOW", "PATH")) and k != "AIRFLOW_DB"}


if "GAME_EVENTS_TEST_AIRFLOW_HOME" not in os.environ:
    os.environ["GAME_EVENTS_TEST_AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-test-")
    os.environ.update(_airflow_env(os.environ["GAME_EVENTS_TEST_AIRFLOW_HOME"]))

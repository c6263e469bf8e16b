"""On a spark:// master the executors import the project's code from the archive shipped as --py-files.

The executors run the cluster's executor interpreter (scripts/cluster.sh: the Spark environment's
packages without the project's editable install, like a worker machine without the checkout), so the
negative control, the same job without the archive, cannot import game_events at all.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from game_events.settings import PROJECT_ROOT
from game_events.spark_submit import CODE_ARCHIVE, submit_command
from tests.cluster.helpers import STATE_DIR, spark_submit

APP = PROJECT_ROOT / "tests" / "cluster" / "apps" / "where_is_game_events.py"


def _report(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def test_executors_import_the_project_from_the_shipped_archive(cluster):
    report = _report(spark_submit(APP, []).stdout)
    origins = {(Path(seen["cwd"]) / seen["game_events"]).resolve() for seen in report["executors"]}
    print("executors imported game_events from:", *sorted(map(str, origins)), sep="\n  ")
    for origin in origins:
        # <worker work dir>/app-<id>/<executor id>/game_events_code.zip/game_events/__init__.py
        assert origin.parts[-3:] == (CODE_ARCHIVE.name, "game_events", "__init__.py")
        assert origin.is_relative_to(STATE_DIR / "spark"), origin
        assert not origin.is_relative_to(PROJECT_ROOT / "src")
    assert {seen["python"] for seen in report["executors"]} == {cluster["SPARK_EXECUTOR_PYTHON"]}
    # The driver reads the same archive (spark-submit's PYTHONPATH) and still finds the checkout.
    assert report["driver"]["game_events"].startswith(str(CODE_ARCHIVE))
    assert report["driver"]["project_root"] == str(PROJECT_ROOT)


def test_without_the_archive_the_executors_cannot_import_the_project(cluster):
    command = submit_command(APP, [])
    at = command.index("--py-files")
    del command[at:at + 2]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    seen = {entry["game_events"] for entry in _report(result.stdout)["executors"]}
    assert seen == {"ImportError: No module named 'game_events'"}

"""Unit tests of the cluster arguments in game_events.spark_submit (no cluster needed, seconds)."""

from __future__ import annotations

import dataclasses
import zipfile
from types import SimpleNamespace

import jinja2
import pytest

from game_events.settings import load_settings
from game_events.spark_submit import CODE_ARCHIVE, build_code_archive, operator_kwargs, submit_command

CLUSTER_MASTER = "spark://127.0.0.1:7077"


@pytest.fixture
def executor_env(monkeypatch):
    monkeypatch.setenv("SPARK_EXECUTOR_MEMORY", "3g")
    monkeypatch.setenv("SPARK_EXECUTOR_CORES", "2")
    monkeypatch.setenv("SPARK_TOTAL_EXECUTOR_CORES", "4")
    monkeypatch.setenv("SPARK_EXECUTOR_PYTHON", "/opt/worker/bin/python")


def _conf(command: list[str]) -> dict[str, str]:
    pairs = [command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "--conf"]
    return dict(pairs)


def test_a_cluster_master_gets_the_archive_executor_sizing_and_interpreter(executor_env):
    command = submit_command("spark/filtered_writes.py", ["--date", "2026-11-27"], master=CLUSTER_MASTER)
    assert command[command.index("--py-files") + 1] == str(CODE_ARCHIVE)
    assert CODE_ARCHIVE.is_file()
    conf = _conf(command)
    assert (conf["spark.executor.memory"], conf["spark.executor.cores"], conf["spark.cores.max"]) == ("3g", "2", "4")
    assert conf["spark.pyspark.python"] == "/opt/worker/bin/python"
    assert conf["spark.pyspark.driver.python"].endswith("/bin/python")
    assert command[-3:] == ["spark/filtered_writes.py", "--date", "2026-11-27"]


def test_a_local_master_ships_nothing(executor_env):
    command = submit_command("spark/filtered_writes.py", [], master="local[2]")
    assert "--py-files" not in command
    assert not {"spark.pyspark.python", "spark.cores.max"} & set(_conf(command))


def test_the_archive_holds_both_packages_and_is_reproducible(tmp_path):
    first = build_code_archive(tmp_path / "code.zip")
    content, modified = first.read_bytes(), first.stat().st_mtime_ns
    assert build_code_archive(first).read_bytes() == content
    assert first.stat().st_mtime_ns == modified  # unchanged code: the file is left alone
    names = zipfile.ZipFile(first).namelist()
    assert {"game_events/__init__.py", "game_events/settings.py", "spark/filtered_writes.py",
            "spark/ingest/transforms.py"} <= set(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def _render(template: str, extra: dict) -> str:
    return jinja2.Template(template).render(conn=SimpleNamespace(spark_default=SimpleNamespace(extra_dejson=extra)))


def test_the_operators_size_executors_from_the_spark_default_connection(executor_env):
    settings = dataclasses.replace(load_settings(), spark_master=CLUSTER_MASTER)
    kwargs = operator_kwargs(settings)
    assert kwargs["py_files"] == str(CODE_ARCHIVE) and callable(kwargs["pre_execute"])
    conf = kwargs["conf"]
    extra = {"executor-memory": "6g", "executor-cores": "3", "total-executor-cores": "9"}
    rendered = {key: _render(conf[key], extra) for key in ("spark.executor.memory", "spark.executor.cores",
                                                            "spark.cores.max")}
    assert rendered == {"spark.executor.memory": "6g", "spark.executor.cores": "3", "spark.cores.max": "9"}
    # A connection without them: the environment's values.
    assert _render(conf["spark.executor.memory"], {}) == "3g"
    assert conf["spark.pyspark.python"] == "/opt/worker/bin/python"


def test_local_operators_get_no_archive():
    settings = dataclasses.replace(load_settings(), spark_master="local[*]")
    kwargs = operator_kwargs(settings)
    assert "py_files" not in kwargs and "pre_execute" not in kwargs
    assert "spark.cores.max" not in kwargs["conf"]

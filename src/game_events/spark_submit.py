"""The spark-submit arguments every Spark job of the project runs with, in one place.

Used by the tests, by hand-run commands (`python -m game_events.cli spark-submit spark/xyz.py -- ...`)
and by the DAG's SparkSubmitOperator (`operator_kwargs`). The same arguments work with `local[*]` and
with a `spark://` standalone master: spark-submit ships the connector jars to the executors.

On a cluster master (anything but `local...`) the project's own Python code is shipped too: a zip of
`game_events` and `spark` (built from the checkout at submit time, into build/pyfiles/) goes to
`--py-files`, so executors import the project from that archive, not from whatever their machine has.
Local masters do not ship it: their executors are threads of the driver's JVM whose Python workers
start from the driver's own environment, where the project is installed; an archive would change nothing.
Executor sizing (SPARK_EXECUTOR_MEMORY, SPARK_EXECUTOR_CORES, SPARK_TOTAL_EXECUTOR_CORES; in Airflow the
spark_default connection's extra) and the executors' interpreter (SPARK_EXECUTOR_PYTHON) apply there too.

The driver JVM starts from a class-data archive (AppCDS) when `make setup` has built one
(`build_class_archive`, a training run of spark/class_archive_training.py): the classes a driver would
find, parse and verify one by one are mapped in at once (BENCHMARKS.md has the start-up it saves). It
is an optimisation only: without the file, or when the JVM finds it does not match (another JDK, other
jars), the JVM loads classes as usual.
"""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

from game_events.settings import PROJECT_ROOT, Settings, load_settings

SPARK_SUBMIT = PROJECT_ROOT / "scripts" / "bin" / "spark-submit"
CODE_ARCHIVE = PROJECT_ROOT / "build" / "pyfiles" / "game_events_code.zip"
# Top-level packages shipped, and the folder each is found in.
SHIPPED_PACKAGES = {"game_events": PROJECT_ROOT / "src", "spark": PROJECT_ROOT}


JIT_OPTIONS = "-XX:-DontCompileHugeMethods"
TRAINING_APP = PROJECT_ROOT / "spark" / "class_archive_training.py"


def class_archive(settings: Settings | None = None) -> Path:
    """Where the driver's class-data archive lives (beside the downloaded jars it was trained with)."""
    return (settings or load_settings()).deps_dir / "spark-class-archive" / "driver.jsa"


def driver_java_options(settings: Settings | None = None, archive_out: Path | None = None) -> str:
    """The driver JVM's options: the JIT setting, and the class archive to map in (or, to train, to write)."""
    if archive_out is not None:
        return f"{JIT_OPTIONS} -XX:ArchiveClassesAtExit={archive_out}"
    archive = class_archive(settings)
    return f"{JIT_OPTIONS} -XX:SharedArchiveFile={archive}" if archive.is_file() else JIT_OPTIONS


def connector_jars(settings: Settings | None = None) -> list[Path]:
    """The spark-sql-kafka-0-10 connector and its runtime dependencies, fetched by `make setup`."""
    settings = settings or load_settings()
    jars = sorted(settings.spark_jars_dir.glob("*.jar"))
    if not any(j.name.startswith("spark-sql-kafka-0-10") for j in jars):
        raise FileNotFoundError(
            f"no Spark Kafka connector in {settings.spark_jars_dir}; run `make setup` first")
    return jars


def event_log_conf(settings: Settings | None = None) -> dict[str, str]:
    """Every application's event log in settings.spark_events_dir, for Spark's history server.

    Compressed (zstd, Spark's default codec) and rolled at 16 MB, so a long job's log is read in pieces.
    The folder must exist before the SparkContext starts; creating it here costs nothing when it does.
    """
    events = (settings or load_settings()).spark_events_dir
    events.mkdir(parents=True, exist_ok=True)
    return {"spark.eventLog.enabled": "true", "spark.eventLog.dir": events.as_uri(),
            "spark.eventLog.compress": "true", "spark.eventLog.rolling.enabled": "true",
            "spark.eventLog.rolling.maxFileSize": "16m"}


def describe_application(app_id: str, settings: Settings | None = None) -> str:
    """The line each Spark job prints first: its application id and where the history server shows it."""
    return f"Spark application {app_id}; history: {(settings or load_settings()).spark_history_url}/history/{app_id}/jobs/"


def spark_conf(settings: Settings | None = None, archive_out: Path | None = None) -> dict[str, str]:
    """Spark settings for small, fast batch jobs on a 2-core machine (UI off, UTC, few shuffle partitions)."""
    return {
        **event_log_conf(settings),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.driver.memory": os.environ.get("SPARK_DRIVER_MEMORY", "2g"),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        # HotSpot leaves methods over 8,000 bytes of bytecode interpreted; the validation's generated code
        # is bigger than that, and it would run interpreted.
        "spark.driver.extraJavaOptions": driver_java_options(settings, archive_out),
        "spark.executor.extraJavaOptions": JIT_OPTIONS,
    }


def ships_code(master: str) -> bool:
    """Whether jobs on this master get the project's code as --py-files (see the module docstring)."""
    return not master.strip().startswith("local")


def build_code_archive(path: Path = CODE_ARCHIVE) -> Path:
    """Zip the shipped packages (sources and package data, no caches) and return the archive's path.

    The zip is byte-for-byte reproducible (sorted entries, fixed timestamps) and only replaced when its
    content changed, so jobs submitted side by side never see it half-written or swapped under them.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package, parent in SHIPPED_PACKAGES.items():
            for source in sorted((parent / package).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts and source.suffix != ".pyc":
                    entry = zipfile.ZipInfo(source.relative_to(parent).as_posix(), date_time=(2000, 1, 1, 0, 0, 0))
                    entry.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(entry, source.read_bytes())
    content = buffer.getvalue()
    if not path.exists() or path.read_bytes() != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_bytes(content)
        partial.replace(path)
    return path


def executor_conf() -> dict[str, str]:
    """Executor sizing and interpreter for a cluster master (ignored by local masters)."""
    conf = {"spark.executor.memory": os.environ.get("SPARK_EXECUTOR_MEMORY", "1g"),
            "spark.executor.cores": os.environ.get("SPARK_EXECUTOR_CORES", "1"),
            "spark.cores.max": os.environ.get("SPARK_TOTAL_EXECUTOR_CORES", "2")}
    executor_python = os.environ.get("SPARK_EXECUTOR_PYTHON", "").strip()
    if executor_python:
        # Executors run the driver's spark.pyspark.python; the driver keeps its own interpreter.
        spark_venv = Path(os.environ.get("GAME_EVENTS_SPARK_VENV", PROJECT_ROOT / ".venv-spark"))
        conf["spark.pyspark.python"] = executor_python
        conf["spark.pyspark.driver.python"] = os.environ.get("PYSPARK_DRIVER_PYTHON", str(spark_venv / "bin" / "python"))
    return conf


def submit_command(application: str | Path, app_args: list[str] | None = None,
                   settings: Settings | None = None, master: str | None = None,
                   archive_out: Path | None = None) -> list[str]:
    """The full spark-submit command line for one of the project's Spark applications."""
    settings = settings or load_settings()
    master = master or settings.spark_master
    command = [str(SPARK_SUBMIT), "--master", master, "--jars", ",".join(str(j) for j in connector_jars(settings))]
    conf = spark_conf(settings, archive_out)
    if ships_code(master):
        command += ["--py-files", str(build_code_archive())]
        conf.update(executor_conf())
    for key, value in conf.items():
        command += ["--conf", f"{key}={value}"]
    return command + [str(application), *(app_args or [])]


def build_class_archive(settings: Settings | None = None) -> Path:
    """Train the driver's class-data archive in local mode; replaces the archive only when training succeeded.

    The JVM writes the archive as it exits; its notes on classes it cannot archive go to the log beside it.
    """
    settings = settings or load_settings()
    archive = class_archive(settings)
    archive.parent.mkdir(parents=True, exist_ok=True)
    partial = archive.with_name(f".{archive.name}.{os.getpid()}")
    log = archive.with_name("training.log")
    command = submit_command(TRAINING_APP, settings=settings, master="local[2]", archive_out=partial)
    with log.open("w") as out:
        status = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT).returncode
    if status != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"the class archive's training run failed ({status}); see {log}")
    partial.replace(archive)
    return archive


# spark_default's extra keys for executor sizing -> Spark settings. The provider (6.3.4) reads only the
# master, deploy-mode and spark-binary from the connection; these are rendered from it at run time.
CONNECTION_EXECUTOR_KEYS = {"spark.executor.memory": "executor-memory", "spark.executor.cores": "executor-cores",
                            "spark.cores.max": "total-executor-cores"}


def _build_code_archive_before_submit(context: object) -> None:
    build_code_archive()


def operator_kwargs(settings: Settings | None = None) -> dict[str, object]:
    """Keyword arguments for Airflow's SparkSubmitOperator (the master comes from spark_default).

    With a cluster master in SPARK_MASTER (scripts/airflow-env.sh builds spark_default from it) the code
    archive is rebuilt right before each submit (pre_execute) and passed as py_files, and executor sizing
    comes from spark_default's extra (executor-memory, executor-cores, total-executor-cores).
    """
    settings = settings or load_settings()
    kwargs: dict[str, object] = {"jars": ",".join(str(j) for j in connector_jars(settings)),
                                 "conf": spark_conf(settings)}
    if ships_code(settings.spark_master):
        defaults = executor_conf()
        for spark_key, extra_key in CONNECTION_EXECUTOR_KEYS.items():
            defaults[spark_key] = (f"{{{{ conn.spark_default.extra_dejson.get('{extra_key}', "
                                   f"'{defaults[spark_key]}') }}}}")
        kwargs.update(conf={**spark_conf(settings), **defaults}, py_files=str(CODE_ARCHIVE),
                      pre_execute=_build_code_archive_before_submit)
    return kwargs

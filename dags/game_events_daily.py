"""
### game_events_daily

One run per UTC day **D** (data interval `[D, D+1)`, scheduled at 00:00 UTC right after D ends):

1. **ensure_topic** — the Kafka topic `events` exists.
2. **generate_events** — the event generator stands in for D's players and sends through the game API
   (turn it off with the `generate` param when real traffic feeds the topic).
3. **check_offsets** — per partition, what is new since the last ingest; waits up to a minute for
   messages in flight, skips the ingest cleanly when nothing is new (nothing expected, or another run
   already ingested them), fails when the broker is unreachable or retention deleted messages that
   were never ingested.
4. **filtered_writes** — Spark: the new messages into the Parquet lake, each event to its own date.
5. **analyze_and_report** — one Spark application answers every question with SparkSQL (the task's
   docs list them; its log shows each table and its row count), then builds and publishes the day's
   report (`data/artifacts/D/`). A run starts two Spark applications in all: start-up is paid twice.
6. **reconcile** — fails the run unless the counts reconcile; declares the lake and artifacts as assets.

Every step runs by hand with the same arguments (see README, "Running steps by hand").
"""

from __future__ import annotations

import os
import shlex
import sys
from datetime import datetime, timedelta, timezone

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.sdk import Asset, Param, dag, task
from airflow.timetables.interval import CronDataIntervalTimetable
from game_events_airflow.offsets import KafkaOffsetsSensor  # plugins/, on sys.path in every Airflow process

from game_events.settings import PROJECT_ROOT, load_settings
from game_events.spark_submit import operator_kwargs

SPARK_DIR = PROJECT_ROOT / "spark"
# The day a run processes: its data interval's start, whatever the logical date convention.
DAY = "{{ data_interval_start | ds }}"
SETTINGS = load_settings()  # environment only: no network, no database at parse time
LAKE_ASSET = Asset("game_events_lake", uri=SETTINGS.events_dir.as_uri())
ARTIFACTS_ASSET = Asset("game_events_artifacts", uri=SETTINGS.artifacts_dir.as_uri())
SQL_DIR = SPARK_DIR / "analysis" / "sql"


def _questions_doc() -> str:
    """The analysis task's docs: each question, from the first sentence of its SQL file's header."""
    lines = ["### analyze_and_report", "", "One Spark application (`spark/analyze.py --publish`) answers:", ""]
    for sql_file in sorted(SQL_DIR.glob("*.sql")):
        header = []
        for line in sql_file.read_text(encoding="utf-8").splitlines():
            if not line.startswith("--"):
                break
            header.append(line.removeprefix("--").strip())
        # The header starts "<name>: <question>.".
        name, _, text = " ".join(header).partition(":")
        question = text.strip().split(". ")[0].rstrip(".").replace(":report_date", "D")
        lines.append(f"- **{name.strip()}** — {question}.")
    lines += ["", "then builds the charts, `report.html` and `summary.json` and publishes `data/artifacts/D/`.",
              "The task log prints each table with its row count, first rows and time."]
    return "\n".join(lines)


def _kafka_env() -> dict[str, str]:
    """Settings of the `kafka_default` connection as the environment the core package reads."""
    from airflow.sdk import BaseHook

    extra = BaseHook.get_connection("kafka_default").extra_dejson
    return {"KAFKA_BOOTSTRAP_SERVERS": extra.get("bootstrap.servers", SETTINGS.kafka_bootstrap_servers)}


def _settings():
    os.environ.update(_kafka_env())
    return load_settings()


def _spark_submit(task_id: str, application: str, args: list[str], **kwargs) -> SparkSubmitOperator:
    return SparkSubmitOperator(
        task_id=task_id, application=str(SPARK_DIR / application), name=f"game_events.{task_id}",
        application_args=args, conn_id="spark_default", **operator_kwargs(SETTINGS), **kwargs)


@dag(
    dag_id="game_events_daily",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 11, 1, tzinfo=timezone.utc),
    catchup=os.environ.get("GAME_EVENTS_CATCHUP", "false").lower() == "true",
    max_active_runs=int(os.environ.get("GAME_EVENTS_MAX_ACTIVE_RUNS", "3")),
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": True,
                  "max_retry_delay": timedelta(minutes=10)},
    params={
        "events_per_day": Param(int(os.environ.get("GAME_EVENTS_EVENTS_PER_DAY", "20000")), type="integer", minimum=0,
                                description="Events the generator sends for D."),
        "seed": Param(0, type="integer", description="Generator seed; the same seed gives the same events."),
        "generate": Param(True, type="boolean", description="Generate events (off when real traffic feeds Kafka)."),
        "generate_via": Param(os.environ.get("GAME_EVENTS_GENERATE_VIA", "http"), enum=["http", "kafka"],
                              description="Through the game API, or straight to Kafka."),
        "duplicate_rate": Param(0.0, type="number", minimum=0, maximum=1, description="Share of events re-sent."),
        "late_rate": Param(0.0, type="number", minimum=0, maximum=1, description="Share of late events for D-1."),
        "malformed_rate": Param(0.0, type="number", minimum=0, maximum=1, description="Share of malformed records."),
        # null allowed: the UI's form marks a plain string param required and refuses it empty.
        "outage": Param(None, type=["null", "string"], pattern=r"^([a-z0-9.-]+(:(0(\.[0-9]+)?|1(\.0+)?))?)?$",
                        description="A deviation for the report to flag: PROVIDER[:SHARE] takes SHARE (default "
                                    "0.5) of one provider's players offline for D, e.g. comcast.com. Empty: none."),
    },
    tags=["game-events", "kafka", "spark"],
    doc_md=__doc__,
)
def game_events_daily():
    @task
    def ensure_topic() -> bool:
        """Create the Kafka topic `events` unless it exists."""
        from game_events.kafka import ensure_topic as ensure, wait_for_broker

        settings = _settings()
        wait_for_broker(settings, timeout_s=30)  # a clear error when the broker is down
        return ensure(settings=settings)

    @task.bash(skip_on_exit_code=99, env=None, append_env=True)
    def generate_events(params: dict | None = None, data_interval_start=None) -> str:
        """Send D's generated events through the game API (exit 99 = generation turned off: skipped)."""
        if not params["generate"]:
            return "echo 'generate=false: no events generated for this run'; exit 99"
        day = data_interval_start.strftime("%Y-%m-%d")
        return (f"export KAFKA_BOOTSTRAP_SERVERS='{_kafka_env()['KAFKA_BOOTSTRAP_SERVERS']}'; "
                f"{sys.executable} -m game_events.cli generate --date {day} --events {params['events_per_day']} "
                f"--seed {params['seed']} --via {params['generate_via']} "
                f"--duplicates {params['duplicate_rate']} --late {params['late_rate']} "
                f"--malformed {params['malformed_rate']}"
                + (f" --outage {shlex.quote(params['outage'])}" if params.get("outage") else ""))

    # The reusable sensor from plugins/game_events_airflow: waits up to a minute for messages in flight,
    # skips the ingest when nothing is new (another run may already have ingested this day's events);
    # broker errors and retention loss fail the task. XCom: the per-partition offsets report.
    check_offsets = KafkaOffsetsSensor(task_id="check_offsets", topic=SETTINGS.kafka_topic,
                                       expect_new="{{ params.generate }}", kafka_config_id="kafka_default",
                                       poke_interval=2, timeout=60, trigger_rule="none_failed")

    filtered_writes = _spark_submit(
        "filtered_writes", "filtered_writes.py",
        ["--date", DAY, "--run-id", "{{ run_id }}", "--topic", SETTINGS.kafka_topic,
         "--bootstrap-servers", "{{ conn.kafka_default.extra_dejson['bootstrap.servers'] }}"],
        # One ingest at a time across all runs: a backfill with several active runs stays correct.
        max_active_tis_per_dag=1, outlets=[LAKE_ASSET])

    # All analyses and the report in one application: each extra one cost a Spark start-up, and
    # side-by-side JVMs on two cores only competed for them.
    analyze_and_report = _spark_submit(
        "analyze_and_report", "analyze.py", ["--date", DAY, "--run-id", "{{ run_id }}", "--publish"],
        trigger_rule="none_failed", outlets=[ARTIFACTS_ASSET], doc_md=_questions_doc())

    @task(trigger_rule="all_success")
    def reconcile(data_interval_start=None) -> dict:
        """Fail the run unless D's manifest reconciles and its published artifacts agree with it."""
        from game_events.daily import reconcile_day

        return reconcile_day(data_interval_start.date(), _settings())

    generated = generate_events()
    ensure_topic() >> generated >> check_offsets >> filtered_writes >> analyze_and_report >> reconcile()


game_events_daily()

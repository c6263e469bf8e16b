"""The DAG file: it loads, its graph is the one the README describes, and the run for D processes D."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from airflow.models import DagBag

from game_events.settings import PROJECT_ROOT

DAG_ID = "game_events_daily"


@pytest.fixture(scope="module")
def dag():
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags[DAG_ID]


def test_the_dag_is_there_with_docs_tags_and_retries(dag):
    assert dag.fileloc == str(PROJECT_ROOT / "dags" / f"{DAG_ID}.py")  # the DAG file's name is its dag_id
    assert dag.doc_md and "check_offsets" in dag.doc_md
    assert "game-events" in dag.tags
    assert dag.catchup is False
    assert all(t.retries == 2 for t in dag.tasks)


def test_task_graph_is_in_pipeline_order(dag):
    downstream = {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
    assert downstream == {
        "ensure_topic": ["generate_events"],
        "generate_events": ["check_offsets"],
        "check_offsets": ["filtered_writes"],
        "filtered_writes": ["analyze_and_report"],
        "analyze_and_report": ["reconcile"],
        "reconcile": [],
    }


def test_a_run_starts_two_spark_applications_and_the_analysis_task_lists_every_question(dag):
    spark_tasks = [t for t in dag.tasks if type(t).__name__ == "SparkSubmitOperator"]
    assert sorted(t.task_id for t in spark_tasks) == ["analyze_and_report", "filtered_writes"]
    analysis = dag.get_task("analyze_and_report")
    assert analysis.application.endswith("spark/analyze.py") and "--publish" in analysis.application_args
    assert "--only" not in analysis.application_args  # every analysis, in the one application
    assert analysis.trigger_rule == "none_failed"
    assert [outlet.name for outlet in analysis.outlets] == ["game_events_artifacts"]
    # Each question has its SQL file; the task's docs (shown in the UI) name every one of them.
    questions = sorted(p.stem for p in (PROJECT_ROOT / "spark" / "analysis" / "sql").glob("*.sql"))
    assert len(questions) == 11  # automation and clients joined the eight, then dimension_trends
    assert all(f"**{name}** — " in analysis.doc_md for name in questions)
    assert "players" in analysis.doc_md and ":report_date" not in analysis.doc_md


def test_spark_steps_go_through_spark_submit_with_the_connector(dag):
    for task_id in ("filtered_writes", "analyze_and_report"):
        task = dag.get_task(task_id)
        assert type(task).__name__ == "SparkSubmitOperator"
        assert task._conn_id == "spark_default"
        assert "spark-sql-kafka-0-10" in task.jars
    assert dag.get_task("filtered_writes").max_active_tis_per_dag == 1


def test_the_run_after_midnight_processes_the_day_that_ended(dag):
    # Airflow 3's default for cron strings is a trigger timetable with an empty interval; this DAG uses
    # CronDataIntervalTimetable on purpose, so the run scheduled at D+1 00:00 covers [D, D+1).
    from airflow.timetables.base import DataInterval, TimeRestriction

    first = dag.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=dag.start_date, latest=None, catchup=True))
    assert first.data_interval == DataInterval(datetime(2026, 11, 1, tzinfo=timezone.utc),
                                               datetime(2026, 11, 2, tzinfo=timezone.utc))
    assert first.run_after == datetime(2026, 11, 2, tzinfo=timezone.utc)
    following = dag.timetable.next_dagrun_info(last_automated_data_interval=first.data_interval,
                                               restriction=TimeRestriction(dag.start_date, None, True))
    assert following.data_interval.start == datetime(2026, 11, 2, tzinfo=timezone.utc)


def test_params_of_the_trigger_form(dag):
    assert set(dag.params.keys()) == {"events_per_day", "seed", "generate", "generate_via", "duplicate_rate",
                                      "late_rate", "malformed_rate", "outage"}
    assert dag.params["generate"] is True and dag.params["outage"] is None


def test_check_offsets_is_the_plugins_sensor_on_kafka_default(dag):
    task = dag.get_task("check_offsets")
    assert type(task).__name__ == "KafkaOffsetsSensor"
    assert (task.kafka_config_id, task.mode, task.poke_interval, task.timeout) == ("kafka_default", "poke", 2, 60)
    assert task.expect_new == "{{ params.generate }}" and task.trigger_rule == "none_failed"


def test_nothing_defers_so_the_stack_needs_no_triggerer(dag):
    # scripts/airflow.sh starts no triggerer unless AIRFLOW_TRIGGERER=true: a deferring task would wait forever.
    for task in dag.tasks:
        assert not getattr(task, "deferrable", False) and not getattr(task, "start_from_trigger", False), task.task_id
    assert dag.get_task("check_offsets").mode == "poke"

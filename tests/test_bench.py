"""The pure parts of the benchmarks (bench/): percentiles, ratio summaries, parsing, table rendering."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bench.api import parse_wrk
from bench.dag import first_work_line, orchestration, task_startup
from bench.filtered_writes import parse_job_output
from bench.memory import SPARK_MARKER, group_rss
from bench.report import BEGIN, END, render_table, replace_generated
from bench.stats import paired_ratios, percentile, spread, summarize

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:25000/v1/events
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    45.12ms   60.01ms 700.00ms   90.00%
  Latency Distribution
     50%  850.00us
     75%   40.00ms
     90%  128.10ms
     99%    1.20s
  6512 requests in 5.00s, 1.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1302.72
Transfer/sec:    225.00KB
"""


def test_percentile_interpolates_between_ranks_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 0, 5], 0) == 0
    assert percentile([10, 0, 5], 100) == 10
    assert percentile([1, 2, 3, 4, 5], 90) == pytest.approx(4.6)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_spread_gives_min_median_max_and_count():
    assert spread([3.0, 1.0, 2.0]) == {"min": 1.0, "median": 2.0, "max": 3.0, "n": 3}


def test_paired_ratios_divide_repeat_by_repeat_and_refuse_uneven_series():
    assert paired_ratios([10, 30], [20, 20]) == [0.5, 1.5]
    with pytest.raises(ValueError):
        paired_ratios([1, 2], [1])


def test_summarize_judges_targets_on_the_median_of_value_or_ratio():
    figure = {"samples": [1000, 3000, 5000], "baseline": {"what": "no-op", "samples": [2000, 2000, 2000]},
              "targets": [{"op": ">=", "value": 4000, "on": "value"}, {"op": ">=", "value": 1.0, "on": "ratio"}]}
    summary = summarize(figure)
    assert summary["value"]["median"] == 3000
    assert summary["ratio"] == {"min": 0.5, "median": 1.5, "max": 2.5, "n": 3}
    assert summary["verdicts"] == [False, True]


def test_parse_wrk_reads_rate_latency_in_any_unit_and_errors():
    sample = parse_wrk(WRK_OUTPUT)
    assert sample["requests_per_s"] == 1302.72
    assert sample["p50_ms"] == pytest.approx(0.85)
    assert sample["p90_ms"] == pytest.approx(128.1)
    assert sample["p99_ms"] == pytest.approx(1200.0)
    assert (sample["non_2xx"], sample["socket_errors"]) == (4, 3)


def test_parse_job_output_reads_the_summary_and_the_steps():
    stderr = ("filtered_writes: read, check, count: 38.4 s\nfiltered_writes: lookups: 4.3 s\n"
              "filtered_writes: fw_x: read 100000 messages, wrote 99990 new rows in 85.3 s (Spark start-up not included)\n")
    parsed = parse_job_output(stderr)
    assert (parsed["read"], parsed["written"], parsed["job_s"]) == (100000, 99990, 85.3)
    assert parsed["steps_s"] == {"read, check, count": 38.4, "lookups": 4.3}
    with pytest.raises(ValueError):
        parse_job_output("nothing useful")


def test_orchestration_overhead_counts_overlapping_tasks_once():
    run = {"queued_at": "2026-11-27T00:00:00Z", "start_date": "2026-11-27T00:00:01Z", "end_date": "2026-11-27T00:01:40Z"}
    tasks = [{"start_date": "2026-11-27T00:00:10Z", "end_date": "2026-11-27T00:00:40Z"},
             {"start_date": "2026-11-27T00:00:30Z", "end_date": "2026-11-27T00:01:00Z"},  # overlaps the first
             {"start_date": "2026-11-27T00:01:10Z", "end_date": "2026-11-27T00:01:30Z"},
             {"start_date": None, "end_date": None}]  # skipped task
    timing = orchestration(run, tasks)
    assert timing["wall_s"] == 100
    assert timing["task_sum_s"] == 80
    assert timing["busy_s"] == 70
    assert timing["overhead_s"] == 30
    assert timing["overhead_share"] == pytest.approx(0.3)


# Lines of a real task log (Airflow 3.3, check_offsets), shortened: set-up group, then the task's own work.
TASK_LOG = [
    '{"timestamp":"2026-12-04T03:14:31.136Z","level":"info","event":"::group::Pre Execute","logger":"task"}',
    '{"timestamp":"2026-12-04T03:14:31.165Z","level":"info","event":"Filling up the DagBag from dags/x.py"}',
    '{"timestamp":"2026-12-04T03:14:31.544Z","level":"info","event":"Worker startup parse complete"}',
    '{"timestamp":"2026-12-04T03:14:31.582Z","level":"info","event":"::endgroup::","logger":"task"}',
    'not json: a line a task printed raw',
    '{"timestamp":"2026-12-04T03:14:31.632Z","level":"info","event":"Offsets of topic \'events\': ..."}',
    '{"timestamp":"2026-12-04T03:14:31.633Z","level":"info","event":"::group::Post Execute"}',
]


def test_a_tasks_start_up_runs_from_queued_to_the_first_line_of_its_work():
    ti = {"queued_when": "2026-12-04T03:14:30.585Z", "start_date": "2026-12-04T03:14:31.112Z"}
    assert first_work_line(TASK_LOG) == pytest.approx(datetime(2026, 12, 4, 3, 14, 31, 632000, timezone.utc).timestamp())
    startup = task_startup(ti, TASK_LOG)
    assert startup["queued_to_running_s"] == pytest.approx(0.527)
    assert startup["running_to_work_s"] == pytest.approx(0.520)
    # A task that failed in its set-up never reached its work; a skipped one has no times at all.
    assert first_work_line(TASK_LOG[:3]) is None
    assert task_startup({"queued_when": None, "start_date": None}, []) == {"queued_to_running_s": None,
                                                                          "running_to_work_s": None}


def test_group_rss_puts_spark_submit_and_its_children_in_spark():
    airflow_tree = [(1, None, "airflow scheduler", 100), (2, 1, "airflow task runner", 50),
                    (3, 2, f"java -cp x {SPARK_MARKER} app.py", 1000), (4, 3, "python app.py", 300)]
    broker_tree = [(9, None, "java kafka.Kafka", 700)]
    assert group_rss({"airflow": airflow_tree, "broker": broker_tree}) == {"airflow": 150, "spark": 1300, "broker": 700}


def _results(figures):
    return {"name": "t", "mode": "quick", "started_at": "2026-11-28T00:00:00+00:00", "figures": figures}


def test_render_table_shows_median_spread_baseline_ratio_and_each_target():
    figure = {"stage": "API ingest", "what": "single", "unit": "ev/s", "samples": [1000, 3000, 5000],
              "baseline": {"what": "no-op sink", "samples": [2000, 2000, 2000]},
              "targets": [{"op": ">=", "value": 4000, "on": "value"}, {"op": ">=", "value": 1.0, "on": "ratio"}]}
    lines = render_table(_results([figure])).splitlines()
    assert lines[2] == ("| API ingest | single | 3,000 ev/s (1,000–5,000) | no-op sink: 2,000 ev/s (2,000–2,000) "
                        "| 1.50× (0.50–2.50) | ≥ 4,000 ev/s | **no** |")
    assert lines[3] == "|  |  |  |  |  | ≥ 1× baseline | yes |"
    assert len(lines) == 4


def test_replace_generated_keeps_the_hand_written_text_around_the_markers():
    document = f"intro\n{BEGIN}\nold table\n{END}\noutro\n"
    assert replace_generated(document, "new table\n") == f"intro\n{BEGIN}\nnew table\n{END}\noutro\n"
    with pytest.raises(ValueError):
        replace_generated("no markers", "x")


def test_api_figures_judge_the_main_concurrency_and_show_the_sweep_beside_its_baseline():
    from bench.api import _figures, sample_key

    connections = {"single": 64, "batch": 8}
    raw = {sample_key(sink, kind, clients, connections): [{"events_per_s": rate, "p99_ms": 10.0, "p50_ms": 5.0}]
           for sink, rate in (("kafka", 900.0), ("null", 1000.0))
           for kind, clients in (("single", 8), ("single", 64), ("single", 256), ("batch", 8))}
    assert {"kafka_single", "kafka_single_c8", "kafka_single_c256", "kafka_batch", "null_single_c8"} <= set(raw)
    figures = {f["id"]: f for f in _figures(raw, 500, connections, [8, 256])}
    assert set(figures) == {"api_single_rate", "api_single_p99", "api_single_p50", "api_single_c8_rate",
                            "api_single_c8_p99", "api_single_c256_rate", "api_single_c256_p99", "api_batch_rate",
                            "api_batch_p99"}
    assert {"op": ">=", "value": 0.9, "on": "ratio"} in figures["api_single_rate"]["targets"]
    assert {"op": ">=", "value": 0.9, "on": "ratio"} in figures["api_batch_rate"]["targets"]
    assert figures["api_single_p99"]["targets"] == [{"op": "<=", "value": 25, "on": "value"}]
    assert figures["api_single_c256_rate"]["targets"] == []
    assert summarize(figures["api_single_c8_rate"])["ratio"]["median"] == pytest.approx(0.9)

"""Unit tests of the analysis package's pure parts: names, manifest figures, table files, publishing,
ground-truth checks and headlines. No Spark. Run: .venv-spark/bin/python -m pytest tests/spark/test_analysis_units.py
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from spark.analysis import ANALYSES
from spark.analysis.manifests import manifest_figures
from spark.analysis.runner import SQL_DIR, parse_names
from spark.analysis.staging import publish, safe_run_id, staging_dir
from spark.analysis.summary import trend_headlines
from spark.analysis.tables import from_json_text, make_table, to_csv_text, to_json_text
from spark.analysis.truth import MATCH, MISMATCH, NOT_COMPARABLE, compare_with_truth, late_events_for, verdict

DAY = date(2026, 11, 27)


def test_every_analysis_has_its_sql_file_and_only_those_exist():
    assert sorted(p.stem for p in SQL_DIR.glob("*.sql")) == sorted(ANALYSES)
    for name in ANALYSES:
        assert ":report_date" in (SQL_DIR / f"{name}.sql").read_text()


def test_parse_names_keeps_the_report_order_and_refuses_unknown_names():
    assert parse_names(None) == list(ANALYSES)
    assert parse_names("data_quality, trends") == ["trends", "data_quality"]
    with pytest.raises(ValueError, match="unknown analyses"):
        parse_names("trends,revenue")


def test_manifest_figures_flatten_run_and_date_figures():
    manifest = {"run_id": "r1", "requested_date": "2026-11-27", "finished_at": "2026-11-28T00:10:00Z",
                "counts": {"read": 10, "valid": 8, "duplicates": 1, "quarantined": 2, "written": 7,
                           "quarantined_by_reason": {"missing_field": 1, "bad_value": 1}},
                "per_date": {"2026-11-27": {"read": 10, "valid": 8, "duplicates": 1, "quarantined": 2, "written": 7,
                                            "quarantined_by_reason": {"bad_value": 2}, "written_rows": 7,
                                            "late_events": 0, "restated": True}}}
    rows = manifest_figures([manifest])
    run = {(r["metric"], r["reason"]): r["value"] for r in rows if r["scope"] == "run"}
    assert run == {("read", ""): 10, ("valid", ""): 8, ("duplicates", ""): 1, ("quarantined", ""): 2,
                   ("written", ""): 7, ("quarantined_by_reason", "bad_value"): 1,
                   ("quarantined_by_reason", "missing_field"): 1}
    day = {(r["metric"], r["reason"]): r["value"] for r in rows if r["scope"] == "date"}
    assert day[("restated", "")] == 1 and day[("quarantined_by_reason", "bad_value")] == 2
    assert {r["event_date"] for r in rows if r["scope"] == "date"} == {DAY}
    assert {r["run_sequence"] for r in rows} == {1}


def test_table_files_are_plain_and_round_trip():
    moment = datetime(2026, 11, 27, 23, 59, 59, 999000, tzinfo=timezone.utc)
    table = make_table("t", DAY, [("day", "date"), ("at", "timestamp"), ("n", "bigint"), ("share", "double"),
                                  ("flag", "boolean"), ("name", "string")],
                       [{"day": DAY, "at": moment, "n": 3, "share": 0.5, "flag": True, "name": None}])
    assert to_csv_text(table) == "day,at,n,share,flag,name\n2026-11-27,2026-11-27T23:59:59.999000Z,3,0.5,true,\n"
    assert from_json_text(to_json_text(table)) == table
    assert json.loads(to_json_text(table))["columns"][0] == {"name": "day", "type": "date"}


def test_safe_run_id_makes_airflow_run_ids_folder_names():
    assert safe_run_id("scheduled__2026-11-27T00:00:00+00:00") == "scheduled__2026-11-27T00_00_00_00_00"
    assert staging_dir(Path("/a"), DAY, "x/y").as_posix() == "/a/.staging/2026-11-27/x_y"


def test_publish_swaps_the_whole_folder(tmp_path):
    target = tmp_path / "2026-11-27"
    first = tmp_path / "stage1"
    (first / "tables").mkdir(parents=True)
    (first / "tables" / "old_only.csv").write_text("old")
    publish(first, target)
    assert not first.exists() and (target / "tables" / "old_only.csv").read_text() == "old"
    second = tmp_path / "stage2"
    (second / "tables").mkdir(parents=True)
    (second / "tables" / "new.csv").write_text("new")
    publish(second, target)
    # Nothing of the previous content survives (no mix), and the staging folder is consumed.
    assert sorted(p.name for p in target.rglob("*")) == ["new.csv", "tables"]
    assert not second.exists()
    with pytest.raises(FileNotFoundError):
        publish(tmp_path / "never-staged", target)


def _tables(events_by_type, revenue=100):
    def table(name, columns, rows):
        return make_table(name, DAY, [(c, "x") for c in columns], rows)
    return {
        "daily_event_counts": table("daily_event_counts", ["event_type", "events"],
                                    [{"event_type": t, "events": n} for t, n in events_by_type.items()]),
        "purchases_by_item": table("purchases_by_item", ["item_type", "purchases", "units", "revenue_cents",
                                                         "unique_buyers"],
                                   [{"item_type": "sword", "purchases": 1, "units": 1, "revenue_cents": revenue,
                                     "unique_buyers": 1}]),
        "host_providers": table("host_providers", ["host_provider", "item_type", "events", "users", "purchases",
                                                   "revenue_cents"],
                                [{"host_provider": "att.com", "item_type": "all", "events": 2, "users": 1,
                                  "purchases": 1, "revenue_cents": revenue},
                                 {"host_provider": "att.com", "item_type": "sword", "events": 1, "users": 1,
                                  "purchases": 1, "revenue_cents": revenue}]),
        "engagement": table("engagement", ["active_users", "buyers", "revenue_cents"],
                            [{"active_users": 1, "buyers": 1, "revenue_cents": revenue}]),
        "guild_joins": table("guild_joins", ["guild_id", "joins", "unique_joiners"],
                             [{"guild_id": "red-dragons", "joins": 1, "unique_joiners": 1}]),
        # Two player events (the app on iOS) and one of curl: the business tables above count two.
        "clients": table("clients", ["client_class", "ua_os", "events", "users", "is_bot"],
                         [{"client_class": "app", "ua_os": "all", "events": 2, "users": 1, "is_bot": False},
                          {"client_class": "app", "ua_os": "iOS", "events": 2, "users": 1, "is_bot": False},
                          {"client_class": "automation", "ua_os": "all", "events": 1, "users": 1, "is_bot": True},
                          {"client_class": "automation", "ua_os": "Other", "events": 1, "users": 1,
                           "is_bot": True}]),
        "automation": table("automation", ["ua_family", "host_provider", "events", "users"],
                            [{"ua_family": "curl", "host_provider": "att.com", "events": 1, "users": 1}]),
        "data_quality": table("data_quality", ["scope", "metric", "value"],
                              [{"scope": "lake", "metric": "rows_in_lake", "value": sum(events_by_type.values()) + 1}]),
    }


TRUTH = {"events_by_type": {"join_guild": 1, "purchase_item": 1},
         "purchases_by_item": {"sword": {"purchases": 1, "units": 1, "revenue_cents": 100, "unique_buyers": 1}},
         "purchases_by_provider_item": {"att.com": {"sword": 1}}, "events_by_provider": {"att.com": 2},
         "users_by_provider": {"att.com": 1}, "revenue_by_provider_cents": {"att.com": 100}, "revenue_cents": 100,
         "unique_users": 1, "unique_buyers": 1, "guild_joins_by_guild": {"red-dragons": {"joins": 1,
                                                                                          "unique_joiners": 1}},
         "lake_rows_by_type": {"join_guild": 2, "purchase_item": 1},
         "events_by_client_class": {"app": 2, "automation": 1}, "users_by_client_class": {"app": 1, "automation": 1},
         "events_by_client_class_os": {"app": {"iOS": 2}, "automation": {"Other": 1}},
         "users_by_client_class_os": {"app": {"iOS": 1}, "automation": {"Other": 1}},
         "automation_events_by_client_provider": {"curl": {"att.com": 1}}}


def test_truth_checks_find_matches_and_mismatches():
    checks = compare_with_truth(_tables({"join_guild": 1, "purchase_item": 1}), TRUTH)
    assert {c["status"] for c in checks} == {MATCH} and verdict(checks)["matches"] is True
    wrong = compare_with_truth(_tables({"join_guild": 1, "purchase_item": 1}, revenue=99), TRUTH)
    failing = {c["check"] for c in wrong if c["status"] == MISMATCH}
    assert failing == {"purchases_by_item", "revenue_by_provider_cents", "revenue_cents"}
    assert verdict(wrong)["matches"] is False and verdict(None) == {
        "available": False, "matches": None, "checks": 0, "mismatches": [], "not_comparable": []}


def test_truth_checks_see_a_misclassified_client():
    tables = _tables({"join_guild": 1, "purchase_item": 1})
    tables["automation"] = make_table("automation", DAY, [("ua_family", "x"), ("host_provider", "x"), ("events", "x")],
                                      [{"ua_family": "Other", "host_provider": "att.com", "events": 1}])
    failing = {c["check"] for c in compare_with_truth(tables, TRUTH) if c["status"] == MISMATCH}
    assert failing == {"automation_events_by_client_provider"}


def test_late_events_from_a_later_generation_adjust_the_type_counts_only():
    # 2 late joins (one of them automation's): the players' one joins the business figures, both the lake.
    late = {"all": {"join_guild": 2}, "players": {"join_guild": 1}}
    checks = compare_with_truth(_tables({"join_guild": 2, "purchase_item": 1}), TRUTH, late)
    statuses = {c["check"]: c["status"] for c in checks}
    assert statuses.pop("events_by_type") == MATCH
    assert statuses.pop("lake_rows") == MISMATCH  # the table holds 4 rows, the lake should hold 5
    assert set(statuses.values()) == {NOT_COMPARABLE}
    tables = _tables({"join_guild": 2, "purchase_item": 1})
    tables["data_quality"] = make_table("data_quality", DAY, [("metric", "x"), ("value", "x")],
                                        [{"metric": "rows_in_lake", "value": 5}])
    result = verdict(compare_with_truth(tables, TRUTH, late))
    assert result["matches"] is True and len(result["not_comparable"]) == 14


def test_late_events_are_read_from_the_later_days_truth(tmp_path):
    later = {"injected": {"late": 3, "late_date": "2026-11-27", "late_events_by_type": {"join_guild": 3},
                          "late_player_events_by_type": {"join_guild": 2}}}
    (tmp_path / "2026-11-28.json").write_text(json.dumps(later))
    (tmp_path / "2026-11-27.json").write_text(json.dumps({"injected": {"late": 0, "late_date": "2026-11-26"}}))
    assert late_events_for(tmp_path, DAY) == {"all": {"join_guild": 3}, "players": {"join_guild": 2}}
    assert late_events_for(tmp_path, date(2026, 11, 26)) == {"all": {}, "players": {}}


def test_trend_headlines_total_the_days_present():
    rows = [{"metric": "events", "event_date": f"2026-11-{d}", "value": float(v), "day_over_day_change": None,
             "day_over_day_ratio": None, "week_over_week_change": None, "week_over_week_ratio": None,
             "trailing_7d_mean": None, "baseline_median": 15.0 if d == 27 else None, "baseline_mad": 5.0 if d == 27
             else None, "in_last_7_days": d >= 21} for d, v in ((1, 10), (21, 20), (27, 30))]
    table = make_table("trends", DAY, [(c, "x") for c in rows[0]], rows)
    headline = trend_headlines(table, "2026-11-27")["events"]
    assert (headline["value"], headline["total_7_days"], headline["total_28_days"]) == (30.0, 50.0, 60.0)
    assert (headline["days_with_data_7"], headline["days_with_data_28"]) == (2, 3)
    assert (headline["baseline_median"], headline["baseline_mad"]) == (15.0, 5.0)  # the day's own row's


def test_the_task_log_shows_each_table_with_its_row_count_and_first_rows():
    from spark.analyze import describe

    rows = [{"item_type": f"item{i}", "purchases": i} for i in range(7)]
    table = make_table("purchases_by_item", DAY, [("item_type", "string"), ("purchases", "bigint")], rows)
    assert describe(table, preview_rows=5).splitlines() == [
        "purchases_by_item: 7 rows", "    item_type,purchases", *(f"    item{i},{i}" for i in range(5)),
        "    ... 2 more rows"]
    empty = make_table("guild_joins", DAY, [("guild_id", "string")], [])
    assert describe(empty).splitlines() == ["guild_joins: 0 rows", "    guild_id"]


def test_both_trend_analyses_read_28_days_and_the_28_before_them():
    from datetime import timedelta

    from spark.analysis.views import days_needed

    # 28 days shown, each with a baseline over the 28 days before it: 56 days ending at D.
    for names in (["trends"], ["dimension_trends"], ["engagement", "dimension_trends"]):
        first, last = days_needed(DAY, names)
        assert (last - first).days + 1 == 56 and last == DAY, names
    assert days_needed(DAY, ["engagement", "host_providers"]) == (DAY, DAY)
    assert days_needed(DAY, ["trends"])[0] == DAY - timedelta(days=55)

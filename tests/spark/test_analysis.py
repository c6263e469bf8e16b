"""The eleven SparkSQL analyses on a lake of three generated days (real Spark, in-process).

The lake's client columns come from the real enrichment (tests/spark/lake_builder.py). Every table is
checked against the generator's ground truth (which knows each client's class and OS from the catalog,
not from the parsers) and its aggregation against a pandas computation over the same Parquet files;
trends and dimension_trends against the three days' own figures in the truth files (baselines: the
median and MAD of the days before, worked out with `statistics`); a day without events against
empty-but-valid tables.
Run: .venv-spark/bin/python -m pytest tests/spark/test_analysis.py
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from datetime import date, timedelta

import pandas as pd
import pytest

from game_events import lake
from game_events.settings import load_settings
from spark.analysis import ANALYSES
from spark.analysis.manifests import DATE_METRICS
from spark.analysis.runner import run_analyses
from spark.analysis.staging import TABLES, staging_dir
from spark.analysis.truth import MATCH, compare_with_truth
from tests.spark.lake_builder import build_generated_days

DAYS = [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]
DAY = DAYS[-1]
EMPTY_DAY = DAY + timedelta(days=10)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("analysis-data")
    generated = build_generated_days(data_dir, DAYS, n_events=600, seed=5, duplicates=0.05, malformed=0.01)
    return dataclasses.replace(load_settings(), data_dir=data_dir), generated


@pytest.fixture(scope="module")
def tables(spark, case):
    settings, _ = case
    return run_analyses(spark, settings, DAY, list(ANALYSES), "test-run")


@pytest.fixture(scope="module")
def lake_day(case) -> pd.DataFrame:
    """The report day's rows, read with pandas/pyarrow straight from the Parquet files."""
    settings, _ = case
    lake = pd.read_parquet(settings.events_dir)
    day_rows = lake[lake["event_date"].astype(str) == DAY.isoformat()].copy()
    day_rows["event_type"] = day_rows["event_type"].astype(str)
    day_rows["revenue_cents"] = day_rows["price_cents"] * day_rows["quantity"]
    return day_rows


@pytest.fixture(scope="module")
def players_day(lake_day) -> pd.DataFrame:
    """The report day's player rows: what the business tables count (automation left out)."""
    return lake_day[lake_day["client_class"] != "automation"]


def records(table, key_columns):
    return {tuple(row[k] for k in key_columns): row for row in table.rows}


def test_every_table_matches_the_generators_ground_truth(tables, case):
    _, generated = case
    truth = generated[-1].truth
    checks = compare_with_truth(tables, truth)
    assert [c["check"] for c in checks if c["status"] != MATCH] == []
    assert len(checks) == 16
    # The headline figures, straight from the tables: the 600 events include automation, which the
    # business figures leave out.
    engagement = tables["engagement"].rows[0]
    automation = truth["events_by_client_class"]["automation"]
    assert sum(truth["lake_rows_by_type"].values()) == 600 and automation > 0
    assert engagement["events"] == sum(truth["events_by_type"].values()) == 600 - automation
    assert engagement["revenue_cents"] == truth["revenue_cents"]
    assert (engagement["active_users"], engagement["buyers"]) == (truth["unique_users"], truth["unique_buyers"])
    provider_items = {(r["host_provider"], r["item_type"]): r["purchases"]
                      for r in tables["host_providers"].rows if r["item_type"] != "all"}
    assert provider_items == {(provider, item): n for provider, items in truth["purchases_by_provider_item"].items()
                              for item, n in items.items()}
    assert "virginmedia.co.uk" in truth["events_by_provider"]  # a multi-label suffix is in play


def test_clients_and_automation_match_the_catalogs_declared_classes(tables, case):
    _, generated = case
    truth = generated[-1].truth
    clients = records(tables["clients"], ["client_class", "ua_os"])
    assert {cls for cls, _ in clients} == {"browser", "app", "automation"}
    # The game's own apps on their own OS, not "Android / Quest"; as many events as the truth sent.
    app = truth["events_by_client_class_os"]["app"]
    assert {os: clients[("app", os)]["events"] for os in ("iOS", "Android")} == app
    assert clients[("automation", "all")]["is_bot"] and not clients[("browser", "all")]["is_bot"]
    assert clients[("automation", "all")]["events"] == truth["events_by_client_class"]["automation"]
    assert sum(r["share_of_events"] for r in tables["clients"].rows if r["ua_os"] == "all") == pytest.approx(1.0)
    automation = {(r["ua_family"], r["host_provider"]): r["events"] for r in tables["automation"].rows}
    assert automation == {(family, provider): n for family, providers in
                          truth["automation_events_by_client_provider"].items() for provider, n in providers.items()}
    assert {family for family, _ in automation} <= {"Googlebot", "curl", "Python Requests"}


def test_tables_match_an_independent_pandas_computation(tables, players_day):
    lake_day = players_day  # the business tables count players only
    by_type = lake_day.groupby("event_type").agg(events=("event_id", "size"), users=("user_id", "nunique"))
    assert {k[0]: (r["events"], r["users"]) for k, r in records(tables["daily_event_counts"], ["event_type"]).items()} \
        == {t: (row.events, row.users) for t, row in by_type.iterrows()}

    purchases = lake_day[lake_day["event_type"] == "purchase_item"]
    items = purchases.groupby("item_type").agg(purchases=("event_id", "size"), units=("quantity", "sum"),
                                               revenue_cents=("revenue_cents", "sum"),
                                               unique_buyers=("user_id", "nunique"))
    assert [(r["item_type"], r["purchases"], r["units"], r["revenue_cents"], r["unique_buyers"])
            for r in tables["purchases_by_item"].rows] == [(i, *row) for i, row in
                                                           zip(items.index, items.itertuples(index=False))]

    joins = lake_day[lake_day["event_type"] == "join_guild"].groupby("guild_id").agg(
        joins=("event_id", "size"), unique_joiners=("user_id", "nunique"))
    assert {r["guild_id"]: (r["joins"], r["unique_joiners"]) for r in tables["guild_joins"].rows} \
        == {g: (row.joins, row.unique_joiners) for g, row in joins.iterrows()}
    assert [r["joins"] for r in tables["guild_joins"].rows] == sorted(joins["joins"], reverse=True)

    providers = lake_day.groupby("host_provider").agg(events=("event_id", "size"), users=("user_id", "nunique"),
                                                       revenue_cents=("revenue_cents", "sum"))
    totals = {r["host_provider"]: (r["events"], r["users"], r["revenue_cents"])
              for r in tables["host_providers"].rows if r["item_type"] == "all"}
    assert totals == {p: (row.events, row.users, int(row.revenue_cents)) for p, row in providers.iterrows()}
    crossed = purchases.groupby(["host_provider", "item_type"]).size()
    assert {(r["host_provider"], r["item_type"]): r["purchases"] for r in tables["host_providers"].rows
            if r["item_type"] != "all"} == crossed.to_dict()


def test_user_agents_and_engagement_match_pandas(tables, players_day, case):
    lake_day = players_day
    agents = lake_day.groupby(["client_class", "ua_family", "ua_os"]).agg(events=("event_id", "size"),
                                                                          users=("user_id", "nunique"))
    assert {(r["client_class"], r["ua_family"], r["ua_os"]): (r["events"], r["users"])
            for r in tables["user_agents"].rows} == {k: tuple(int(v) for v in row) for k, row in agents.iterrows()}
    assert {r["client_class"] for r in tables["user_agents"].rows} == {"browser", "app"}  # no automation
    assert sum(r["share_of_events"] for r in tables["user_agents"].rows) == pytest.approx(1.0, abs=1e-5)
    truth = case[1][-1].truth
    app_rows = {r["ua_os"]: r["events"] for r in tables["user_agents"].rows if r["ua_family"] == "GuildQuest app"}
    assert app_rows == truth["events_by_client_class_os"]["app"]

    engagement = tables["engagement"].rows[0]
    buyers = lake_day.loc[lake_day["event_type"] == "purchase_item", "user_id"].nunique()
    active = lake_day["user_id"].nunique()
    assert (engagement["active_users"], engagement["buyers"]) == (active, buyers)
    assert engagement["conversion"] == round(buyers / active, 6)
    purchases = int((lake_day["event_type"] == "purchase_item").sum())
    assert engagement["purchases_per_buyer"] == round(purchases / buyers, 6)


def test_trends_over_three_days(tables, case):
    _, generated = case
    daily = {g.day.isoformat(): g.truth for g in generated}
    rows = records(tables["trends"], ["metric", "event_date"])
    assert {d for _, d in rows} == set(daily)  # only days with partitions, none invented
    assert {m for m, _ in rows} == {"events", "purchases", "revenue_cents", "active_users", "buyers",
                                    "guild_joins", "conversion"}
    revenue = [daily[d.isoformat()]["revenue_cents"] for d in DAYS]
    first, second, third = (rows[("revenue_cents", d.isoformat())] for d in DAYS)
    assert [first["value"], second["value"], third["value"]] == revenue
    assert first["previous_day_value"] is None and first["day_over_day_change"] is None
    assert third["day_over_day_change"] == revenue[2] - revenue[1]
    assert third["day_over_day_ratio"] == round((revenue[2] - revenue[1]) / revenue[1], 6)
    assert third["week_over_week_change"] is None  # no partition a week before
    # The trailing mean and the baseline look at the days BEFORE the day, never the day itself.
    assert third["trailing_7d_mean"] == round(sum(revenue[:2]) / 2, 6) and third["trailing_7d_days"] == 2
    assert second["trailing_7d_mean"] == revenue[0] and second["trailing_7d_days"] == 1
    assert first["trailing_7d_mean"] is None and first["trailing_7d_days"] == 0
    assert (third["baseline_median"], third["baseline_mad"], third["baseline_days"]) == (
        statistics.median(revenue[:2]), abs(revenue[1] - revenue[0]) / 2, 2)
    assert (second["baseline_median"], second["baseline_mad"], second["baseline_days"]) == (revenue[0], 0, 1)
    assert (first["baseline_median"], first["baseline_days"]) == (None, 0)
    users = [daily[d.isoformat()]["unique_users"] for d in DAYS]
    buyers = [daily[d.isoformat()]["unique_buyers"] for d in DAYS]
    assert [rows[("active_users", d.isoformat())]["value"] for d in DAYS] == users
    conversion = [round(b / u, 6) for b, u in zip(buyers, users)]
    assert [rows[("conversion", d.isoformat())]["value"] for d in DAYS] == conversion
    assert all(row["in_last_7_days"] for row in rows.values())


def _truth_shares(truth: dict) -> dict[tuple[str, str, str], float]:
    """The day's provider and item shares from the generator's truth, keyed (dimension, member, metric)."""
    players, events = truth["unique_users"], sum(truth["events_by_type"].values())
    purchases, revenue = truth["events_by_type"]["purchase_item"], truth["revenue_cents"]
    shares = {}
    for provider, n in truth["users_by_provider"].items():
        bought = sum(truth["purchases_by_provider_item"].get(provider, {}).values())
        shares |= {("host_provider", provider, "share_of_players"): n / players,
                   ("host_provider", provider, "share_of_events"): truth["events_by_provider"][provider] / events,
                   ("host_provider", provider, "share_of_purchases"): bought / purchases,
                   ("host_provider", provider, "share_of_revenue"):
                       truth["revenue_by_provider_cents"].get(provider, 0) / revenue}
    for item, figures in truth["purchases_by_item"].items():
        shares |= {("item_type", item, "share_of_purchases"): figures["purchases"] / purchases,
                   ("item_type", item, "share_of_revenue"): figures["revenue_cents"] / revenue}
    return {key: round(value, 6) for key, value in shares.items()}


def test_dimension_trends_hold_each_days_shares_and_their_baselines(tables, case, lake_day):
    _, generated = case
    truths = [_truth_shares(g.truth) for g in generated]
    rows = {(r["dimension"], r["member"], r["metric"], r["event_date"]): r for r in tables["dimension_trends"].rows}
    members = set().union(*truths)
    for day, truth in zip(DAYS, truths):
        # Every provider and item of the window on every day: 0 where the day's truth has none.
        got = {key[:3]: row["value"] for key, row in rows.items()
               if key[3] == day.isoformat() and key[2] != "conversion"}
        assert got == {key: truth.get(key, 0.0) for key in members}, day
    # The report day's baseline is the median and MAD of the two days before, from the truth files.
    for key in members:
        earlier = [truth.get(key, 0.0) for truth in truths[:2]]
        row = rows[(*key, DAY.isoformat())]
        median = statistics.median(earlier)
        assert row["baseline_days"] == 2 and row["baseline_median"] == pytest.approx(median, abs=1e-6), key
        assert row["baseline_mad"] == pytest.approx(statistics.median(abs(v - median) for v in earlier), abs=1e-6)
    # A provider's conversion (its buyers / its players) against pandas over the report day's player rows.
    players = lake_day[lake_day["client_class"] != "automation"]
    buyers = players[players["event_type"] == "purchase_item"].groupby("host_provider")["user_id"].nunique()
    conversion = (buyers.reindex(players["host_provider"].unique(), fill_value=0)
                  / players.groupby("host_provider")["user_id"].nunique())
    assert {key[1]: row["value"] for key, row in rows.items() if key[2] == "conversion"
            and key[3] == DAY.isoformat()} == {p: round(v, 6) for p, v in conversion.items()}


def test_data_quality_reports_the_manifest_and_the_lake(tables, case):
    settings, generated = case
    [manifest] = lake.read_manifests(DAY, settings)
    rows = tables["data_quality"].rows
    assert rows[0]["scope"] == "lake" and rows[0]["value"] == 600
    day_figures = {(r["metric"], r["reason"]): r["value"] for r in rows if r["scope"] == "date"}
    expected = manifest["per_date"][DAY.isoformat()]
    assert {metric: day_figures[(metric, "")] for metric in DATE_METRICS} == {m: int(expected[m]) for m in DATE_METRICS}
    assert day_figures[("duplicates", "")] == generated[-1].truth["injected"]["duplicates"] == 30
    assert day_figures[("quarantined_by_reason", "malformed_json")] == 6
    run_figures = {(r["metric"], r["reason"]): r["value"] for r in rows if r["scope"] == "run"}
    assert run_figures[("read", "")] == manifest["counts"]["read"] == 636
    assert {r["run_id"] for r in rows if r["scope"] != "lake"} == {manifest["run_id"]}


def test_staged_files_are_csv_and_json_of_each_table(tables, case):
    settings, _ = case
    folder = staging_dir(settings.artifacts_dir, DAY, "test-run") / TABLES
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.{ext}" for n in ANALYSES for ext in ("csv", "json"))
    items = pd.read_csv(folder / "purchases_by_item.csv")
    assert list(items.columns) == tables["purchases_by_item"].column_names
    assert items.to_dict("records") == list(tables["purchases_by_item"].rows)
    document = json.loads((folder / "trends.json").read_text())
    assert document["table"] == "trends" and document["date"] == DAY.isoformat()
    assert document["rows"] == list(tables["trends"].rows)


def test_a_rerun_gives_byte_identical_tables(spark, tables, case):
    settings, _ = case
    first = staging_dir(settings.artifacts_dir, DAY, "test-run") / TABLES
    run_analyses(spark, settings, DAY, ["host_providers", "trends", "dimension_trends", "data_quality"], "test-rerun")
    second = staging_dir(settings.artifacts_dir, DAY, "test-rerun") / TABLES
    for path in second.iterdir():
        assert path.read_bytes() == (first / path.name).read_bytes(), path.name


def test_a_day_without_events_gives_empty_but_valid_tables(spark, case):
    settings, _ = case
    empty = run_analyses(spark, settings, EMPTY_DAY, list(ANALYSES), "test-empty")
    for name in ("daily_event_counts", "purchases_by_item", "guild_joins", "host_providers", "user_agents",
                 "clients", "automation"):
        assert empty[name].rows == () and empty[name].column_names, name
    engagement = empty["engagement"].rows[0]
    assert engagement["events"] == engagement["active_users"] == engagement["revenue_cents"] == 0
    assert engagement["conversion"] is None
    assert empty["data_quality"].rows == ({"scope": "lake", "run_id": None, "run_requested_date": None,
                                           "run_finished_at": None, "metric": "rows_in_lake", "reason": "",
                                           "value": 0},)
    # The 28-day window still holds the three generated days; the empty day itself has no row.
    assert {r["event_date"] for r in empty["trends"].rows} == {d.isoformat() for d in DAYS}
    assert not any(r["in_last_7_days"] for r in empty["trends"].rows)
    assert {r["event_date"] for r in empty["dimension_trends"].rows} == {d.isoformat() for d in DAYS}

"""The deviation verdict end to end: a day with an outage is flagged, a normal day is not.

Twelve generated days (2,000 events each, seed 1) go into a lake; on the eleventh, the generator's
outage knob takes half of comcast.com's players offline (recorded in that day's truth file). The real
analyses and report run for the outage day and the normal day after it. The expected figures come
from the truth files (each day's share of players per provider), their baselines from `statistics`
over the earlier days' truth: never from the SQL or the verdict under test.
Run: .venv-spark/bin/python -m pytest tests/spark/test_anomalies.py
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from datetime import date, timedelta

import pytest

from game_events.generator import Outage
from game_events.settings import load_settings
from spark.analysis import ANALYSES
from spark.analysis.runner import run_analyses
from spark.report import publish_day
from tests.spark.lake_builder import build_generated_days

DAYS = [date(2026, 11, 1) + timedelta(days=offset) for offset in range(12)]
OUTAGE_DAY, NORMAL_DAY = DAYS[-2], DAYS[-1]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("anomalies-data")
    build_generated_days(data_dir, DAYS, n_events=2_000, seed=1, outages={OUTAGE_DAY: Outage("comcast.com", 0.5)})
    return dataclasses.replace(load_settings(), data_dir=data_dir)


@pytest.fixture(scope="module")
def published(spark, settings):
    folders = {}
    for day in (OUTAGE_DAY, NORMAL_DAY):
        run_analyses(spark, settings, day, list(ANALYSES), f"run-{day}")
        folders[day] = publish_day(settings, day, f"run-{day}")
    return folders


def truth(settings, day: date) -> dict:
    return json.loads((settings.truth_dir / f"{day}.json").read_text())


def share_of_players(settings, day: date, provider: str) -> float:
    figures = truth(settings, day)
    return round(figures["users_by_provider"].get(provider, 0) / figures["unique_users"], 6)


def opening_sentence(folder) -> str:
    page = (folder / "report.html").read_text()
    return page.split("</h1>", 1)[1].lstrip().split("</p>", 1)[0]


def test_the_outage_day_is_flagged_against_the_days_before_it(published, settings):
    outage = truth(settings, OUTAGE_DAY)["injected"]["outage"]
    provider = outage["provider"]
    assert outage["offline_share"] == 0.5 and outage["players_offline"] > 0
    summary = json.loads((published[OUTAGE_DAY] / "summary.json").read_text())
    earlier = [share_of_players(settings, day, provider) for day in DAYS[:-2]]
    median = statistics.median(earlier)
    today = share_of_players(settings, OUTAGE_DAY, provider)
    assert today < 0.6 * median  # the truth says: half its players were gone

    [anomaly] = summary["anomalies"]
    assert (anomaly["figure"], anomaly["dimension"], anomaly["member"], anomaly["direction"]) == (
        "share_of_players", "host_provider", provider, "below")
    assert anomaly["today"] == today
    assert anomaly["baseline"]["days"] == 10  # the ten days before, not the day itself
    assert anomaly["baseline"]["median"] == pytest.approx(median, abs=1e-6)
    assert anomaly["baseline"]["mad"] == pytest.approx(statistics.median(abs(v - median) for v in earlier), abs=1e-6)
    low, high = anomaly["band"]
    assert today < low < median < high
    assert summary["movers"][0]["member"] == provider and summary["movers"][0]["flagged"] is True
    assert opening_sentence(published[OUTAGE_DAY]).startswith(
        f'<p class="verdict bad">Unusual today: {provider}&#x27;s share of players {today:.1%} is below its usual')


def test_the_normal_day_after_it_is_not_flagged(published, settings):
    assert truth(settings, NORMAL_DAY)["injected"]["outage"] is None
    summary = json.loads((published[NORMAL_DAY] / "summary.json").read_text())
    assert summary["anomalies"] == []
    # 7 headline figures, 4 shares per provider and 2 per item seen in the window, per the truth files.
    providers = set().union(*(truth(settings, day)["users_by_provider"] for day in DAYS))
    items = set().union(*(truth(settings, day)["purchases_by_item"] for day in DAYS))
    assert summary["figures_judged"] == 7 + 4 * len(providers) + 2 * len(items) == 57
    assert opening_sentence(published[NORMAL_DAY]) == (
        '<p class="verdict">Nothing unusual today: all 57 judged figures are within their usual range '
        "(median and MAD of up to 28 earlier days).")
    # The outage day is in this day's baseline, and a median hardly notices it.
    shares = json.loads((published[NORMAL_DAY] / "tables" / "dimension_trends.json").read_text())["rows"]
    [comcast] = [row for row in shares if (row["member"], row["metric"], row["event_date"])
                 == ("comcast.com", "share_of_players", NORMAL_DAY.isoformat())]
    earlier = [share_of_players(settings, day, "comcast.com") for day in DAYS[:-1]]
    assert comcast["baseline_days"] == 11
    assert comcast["baseline_median"] == pytest.approx(statistics.median(earlier), abs=1e-6)
    assert comcast["value"] == share_of_players(settings, NORMAL_DAY, "comcast.com")

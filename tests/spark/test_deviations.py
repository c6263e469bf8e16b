"""The deviation verdict on hand-checked examples (spark/analysis/deviations.py). No Spark.

Every band below is worked out by hand from the rule in the module's docstring:
half-width = max(5 x 1.4826 x MAD, 25 % of |median|), flagged outside it with >= 7 baseline days.
Run: .venv-spark/bin/python -m pytest tests/spark/test_deviations.py
"""

from __future__ import annotations

from datetime import date

import pytest

from spark.analysis.deviations import anomalies, describe, judge, judged_figures, movers, verdict_sentence
from spark.analysis.tables import make_table

DAY = date(2026, 11, 27)


def row(value, median, mad, days, **keys):
    return {"event_date": DAY.isoformat(), "value": value, "baseline_median": median, "baseline_mad": mad,
            "baseline_days": days, **keys}


def test_the_band_is_five_robust_sigmas_when_the_mad_is_wide():
    # MAD 4 -> 5 x 1.4826 x 4 = 29.652 > 25 % of 100: the band is 70.348 .. 129.652.
    verdict = judge(row(131.0, 100.0, 4.0, 10))
    assert verdict["band"] == [70.348, 129.652]
    assert (verdict["direction"], verdict["flagged"]) == ("above", True)
    assert verdict["score"] == round(31 / 29.652, 3) == 1.045
    inside = judge(row(129.0, 100.0, 4.0, 10))
    assert (inside["direction"], inside["flagged"]) == (None, False)


def test_the_band_is_a_quarter_of_the_median_when_the_mad_is_narrow():
    # MAD 0.001 -> 0.007413 < 25 % of 0.2 = 0.05: the band is 0.15 .. 0.25, so 0.26 is above and 0.16 is not.
    assert judge(row(0.26, 0.2, 0.001, 28))["band"] == [0.15, 0.25]
    assert judge(row(0.26, 0.2, 0.001, 28))["direction"] == "above"
    assert judge(row(0.16, 0.2, 0.001, 28))["flagged"] is False
    assert judge(row(0.1, 0.2, 0.0, 28))["direction"] == "below"


def test_too_little_history_is_never_flagged():
    assert judge(row(500.0, 100.0, 1.0, 6))["direction"] == "above"  # outside, but only 6 earlier days
    assert judge(row(500.0, 100.0, 1.0, 6))["flagged"] is False
    assert judge(row(500.0, 100.0, 1.0, 7))["flagged"] is True
    assert judge(row(500.0, None, None, 0)) is None


def test_a_figure_that_was_always_zero_flags_any_change():
    verdict = judge(row(0.01, 0.0, 0.0, 10))
    assert verdict["band"] == [-0.000001, 0.000001] and verdict["flagged"] is True
    assert judge(row(0.0, 0.0, 0.0, 10))["flagged"] is False


def _tables():
    trends = make_table("trends", DAY, [(c, "x") for c in row(0, 0, 0, 0, metric="")],
                        [row(1000.0, 1000.0, 10.0, 10, metric="events"),
                         row(70000.0, 100000.0, 1000.0, 10, metric="revenue_cents"),
                         {**row(900.0, 100.0, 1.0, 10, metric="purchases"), "event_date": "2026-11-26"}])
    shares = [row(0.11, 0.22, 0.004, 10, dimension="host_provider", member="comcast.com", metric="share_of_players"),
              row(0.5, 0.2, 0.01, 10, dimension="host_provider", member="comcast.com", metric="conversion"),
              row(0.24, 0.2, 0.01, 10, dimension="item_type", member="sword", metric="share_of_revenue"),
              row(0.3, 0.2, 0.01, 3, dimension="item_type", member="knife", metric="share_of_purchases")]
    return trends, make_table("dimension_trends", DAY, [(c, "x") for c in shares[0]], shares)


def test_anomalies_list_headline_figures_first_then_shares_and_leave_conversion_unjudged():
    figures = judged_figures(*_tables())
    # Yesterday's purchases and the provider's conversion are not judged today.
    assert [(f["figure"], f["member"]) for f in figures] == [
        ("events", None), ("revenue_cents", None), ("share_of_players", "comcast.com"),
        ("share_of_revenue", "sword"), ("share_of_purchases", "knife")]
    found = anomalies(figures)
    # revenue: band 75,000 .. 125,000 (25 %); comcast: 0.165 .. 0.275; knife is outside but has 3 days only.
    assert [(a["figure"], a["member"], a["direction"], a["band"]) for a in found] == [
        ("revenue_cents", None, "below", [75000.0, 125000.0]),
        ("share_of_players", "comcast.com", "below", [0.165, 0.275])]
    assert found[1]["today"] == 0.11 and found[1]["baseline"] == {"median": 0.22, "mad": 0.004, "days": 10}
    assert describe(found[1]) == ("comcast.com's share of players 11.0% is below its usual 16.5% – 27.5% "
                                  "(median 22.0% of 10 earlier days)")
    assert describe(found[0]).startswith("revenue $700.00 is below its usual $750.00 – $1,250.00")


def test_movers_rank_the_shares_by_how_far_they_left_their_band():
    ranked = movers(judged_figures(*_tables()))
    # comcast: -0.11 / 0.055 = -2.0; knife: 0.1 / 0.074130 = 1.349; sword: 0.04 / 0.07413 = 0.54.
    assert [(m["member"], m["metric"], m["score"], m["flagged"]) for m in ranked] == [
        ("comcast.com", "share_of_players", -2.0, True), ("knife", "share_of_purchases", 1.349, False),
        ("sword", "share_of_revenue", 0.54, False)]
    assert ranked[0]["change"] == -0.11
    assert len(movers(judged_figures(*_tables()), limit=2)) == 2


def test_the_opening_sentence_says_nothing_unusual_or_what_is():
    figures = judged_figures(*_tables())
    found = anomalies(figures)
    assert verdict_sentence(figures, found).startswith("Unusual today: revenue $700.00 is below")
    assert verdict_sentence(figures, found, shown=1).endswith("; and 1 more (see Deviations).")
    assert verdict_sentence(figures, []) == ("Nothing unusual today: all 4 judged figures are within their usual "
                                             "range (median and MAD of up to 28 earlier days).")
    young = [f for f in figures if f["member"] == "knife"]
    assert verdict_sentence(young, []).startswith("Nothing unusual today, as far as can be told: no figure has 7")
    assert verdict_sentence([], []).startswith("Nothing unusual today, as far as can be told")


@pytest.mark.parametrize("days", [7, 28])
def test_a_figure_exactly_on_the_band_is_not_flagged(days):
    assert judge(row(125.0, 100.0, 0.0, days))["flagged"] is False

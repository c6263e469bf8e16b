"""The deviation verdict: is today's figure outside its usual range? Pure Python, no Spark.

The baseline of a figure is computed in SQL (trends.sql, dimension_trends.sql): the median and the
median absolute deviation (MAD) of its values on the up to 28 days before today that have data, never
today itself. This module judges today against it, robustly (one odd day in the baseline barely moves
a median, where it would drag a mean and inflate a standard deviation):

    spread = 1.4826 x MAD                                 (the MAD scaled to a normal sigma)
    band   = median -/+ max(Z_LIMIT x spread, MIN_RELATIVE_CHANGE x |median|)
    flag   when today is outside the band and the baseline has at least MIN_BASELINE_DAYS days

Z_LIMIT = 5 robust sigmas and a 25 % minimum change were chosen by measurement on the generator, whose
days are far from normal: players' activity is heavy-tailed (one big player skipping a day moves a
provider's share of events by up to a third) and weekends convert about 15 % better. Over 38 normal
generated days of 20,000 events, Iglewicz and Hoaglin's usual cut-off of 3.5 without a minimum change
flagged 22 days; this rule flagged 4, while half of one provider's players going offline (the
generator's --outage) is flagged. Judged: every headline figure (the trends metrics) and every
provider and item share; a provider's conversion is charted but not judged (it is not a share, and
small providers' conversion swings with the weekend).
"""

from __future__ import annotations

from typing import Any

from spark.analysis.tables import Table

BASELINE_DAYS = 28  # how far back the SQL looks for a figure's baseline (its window, today excluded)
MIN_BASELINE_DAYS = 7
MAD_TO_SIGMA = 1.4826
Z_LIMIT = 5.0
MIN_RELATIVE_CHANGE = 0.25
MIN_HALF_WIDTH = 1e-6  # the tables' rounding: a figure that was exactly 0 on every baseline day
SHARE_METRICS = ("share_of_players", "share_of_events", "share_of_purchases", "share_of_revenue")
RULE = {"baseline": f"median and MAD of the up to {BASELINE_DAYS} days before today with data (today excluded)",
        "band": "median -/+ max(z_limit x 1.4826 x MAD, min_relative_change x |median|)",
        "z_limit": Z_LIMIT, "min_relative_change": MIN_RELATIVE_CHANGE, "min_baseline_days": MIN_BASELINE_DAYS}


def judge(row: dict[str, Any]) -> dict[str, Any] | None:
    """Today's row (value, baseline_median, baseline_mad, baseline_days) against its band: the band,
    the direction ('above', 'below' or None inside it) and score = (value - median) / half-width
    (|score| > 1 is outside). None without any baseline day. `flagged` needs MIN_BASELINE_DAYS days."""
    median, mad, days = row.get("baseline_median"), row.get("baseline_mad"), row.get("baseline_days") or 0
    if days == 0 or median is None or mad is None or row.get("value") is None:
        return None
    value = row["value"]
    half_width = max(Z_LIMIT * MAD_TO_SIGMA * mad, MIN_RELATIVE_CHANGE * abs(median), MIN_HALF_WIDTH)
    low, high = round(median - half_width, 6), round(median + half_width, 6)
    direction = "above" if value > high else "below" if value < low else None
    score = round((value - median) / half_width, 3)
    return {"today": value, "baseline": {"median": median, "mad": mad, "days": days}, "band": [low, high],
            "direction": direction, "score": score,
            "flagged": direction is not None and days >= MIN_BASELINE_DAYS}


def _today(table: Table) -> list[dict[str, Any]]:
    day_text = table.day.isoformat()
    return [row for row in table.rows if row["event_date"] == day_text]


def judged_figures(trends: Table, dimension_trends: Table) -> list[dict[str, Any]]:
    """Every figure judged today: headline metrics, then provider and item shares, with judge()'s answer."""
    figures = []
    for row in sorted(_today(trends), key=lambda r: r["metric"]):
        figures.append({"figure": row["metric"], "dimension": None, "member": None, "verdict": judge(row)})
    for row in _today(dimension_trends):
        if row["metric"] in SHARE_METRICS:
            figures.append({"figure": row["metric"], "dimension": row["dimension"], "member": row["member"],
                            "verdict": judge(row)})
    return figures


def anomalies(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The flagged figures for summary.json: figure, dimension, member, today, baseline, band, direction."""
    found = []
    for figure in figures:
        verdict = figure["verdict"]
        if verdict and verdict["flagged"]:
            found.append({key: figure[key] for key in ("figure", "dimension", "member")}
                         | {key: verdict[key] for key in ("today", "baseline", "band", "direction", "score")})
    return sorted(found, key=lambda a: (a["dimension"] is not None, -abs(a["score"]), a["figure"], a["member"] or ""))


def movers(figures: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The provider and item shares that moved most against their baseline (largest |score| first)."""
    rows = []
    for figure in figures:
        verdict = figure["verdict"]
        if figure["dimension"] is None or verdict is None:
            continue
        median = verdict["baseline"]["median"]
        rows.append({"dimension": figure["dimension"], "member": figure["member"], "metric": figure["figure"],
                     "today": verdict["today"], "baseline_median": median,
                     "change": round(verdict["today"] - median, 6), "band_low": verdict["band"][0],
                     "band_high": verdict["band"][1], "baseline_days": verdict["baseline"]["days"],
                     "score": verdict["score"], "flagged": verdict["flagged"]})
    rows.sort(key=lambda r: (-abs(r["score"]), r["dimension"], r["member"], r["metric"]))
    return rows[:limit]


def amount(figure: str, value: float) -> str:
    """A figure's value for people: shares and conversion in %, revenue in dollars, counts whole."""
    if figure.startswith("share_of") or figure == "conversion":
        return f"{value:.1%}"
    if figure == "revenue_cents":
        return f"${value / 100:,.2f}"
    return f"{value:,.0f}"


def describe(anomaly: dict[str, Any]) -> str:
    """One anomaly for people, e.g. `comcast.com's share of players 11.9 % is below its usual 21.2–35.3 %`."""
    name = anomaly["figure"].replace("_cents", "").replace("_", " ")
    subject = f"{anomaly['member']}'s {name}" if anomaly["member"] else name
    low, high = (amount(anomaly["figure"], bound) for bound in anomaly["band"])
    return (f"{subject} {amount(anomaly['figure'], anomaly['today'])} is {anomaly['direction']} its usual "
            f"{low} – {high} (median {amount(anomaly['figure'], anomaly['baseline']['median'])} "
            f"of {anomaly['baseline']['days']} earlier days)")


def with_history(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures whose baseline has enough days to be flagged (the ones the verdict speaks for)."""
    return [f for f in figures if f["verdict"] and f["verdict"]["baseline"]["days"] >= MIN_BASELINE_DAYS]


def verdict_sentence(figures: list[dict[str, Any]], found: list[dict[str, Any]], shown: int = 3) -> str:
    """The report's opening sentence: 'Nothing unusual today' (and why one can say so) or what is unusual."""
    if found:
        listed = "; ".join(describe(anomaly) for anomaly in found[:shown])
        more = f"; and {len(found) - shown} more (see Deviations)" if len(found) > shown else ""
        return f"Unusual today: {listed}{more}."
    judged = with_history(figures)
    if not judged:
        return (f"Nothing unusual today, as far as can be told: no figure has {MIN_BASELINE_DAYS} earlier days "
                "of data to compare with yet.")
    return (f"Nothing unusual today: all {len(judged)} judged figures are within their usual range "
            f"(median and MAD of up to {BASELINE_DAYS} earlier days).")

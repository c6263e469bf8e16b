"""The day's headline figures (summary.json), taken from the day's tables. Pure Python.

Nothing here depends on when or by which run the report was made, so a re-run gives the same file.
"""

from __future__ import annotations

from typing import Any

from spark.analysis import deviations
from spark.analysis.tables import Table

# Metrics whose 7- and 28-day totals mean something (conversion is a ratio: only its mean does).
ADDITIVE_METRICS = ("events", "purchases", "revenue_cents", "guild_joins")


def _top(table: Table, key: str, value: str, where: dict[str, Any] | None = None) -> dict[str, Any] | None:
    rows = [row for row in table.rows if all(row[k] == v for k, v in (where or {}).items())]
    if not rows:
        return None
    best = min(rows, key=lambda row: (-row[value], str(row[key])))  # a tie goes to the first name
    return {key: best[key], value: best[value]}


def trend_headlines(trends: Table, day_text: str) -> dict[str, Any]:
    """Per metric: D's value, its changes, the trailing mean and baseline (both without D), and 7/28-day
    totals of the days present."""
    headlines: dict[str, Any] = {}
    for metric in sorted({row["metric"] for row in trends.rows}):
        series = [row for row in trends.rows if row["metric"] == metric]
        today = next((row for row in series if row["event_date"] == day_text), None)
        last_7 = [row["value"] for row in series if row["in_last_7_days"]]
        figures = {key: today[key] if today else None
                   for key in ("value", "day_over_day_change", "day_over_day_ratio", "week_over_week_change",
                               "week_over_week_ratio", "trailing_7d_mean", "baseline_median", "baseline_mad")}
        figures.update(days_with_data_7=len(last_7), days_with_data_28=len(series))
        if metric in ADDITIVE_METRICS:
            figures.update(total_7_days=sum(last_7), total_28_days=sum(row["value"] for row in series))
        headlines[metric] = figures
    return headlines


def quality_headlines(data_quality: Table) -> dict[str, Any]:
    """The day's figures summed over the runs that wrote into it (each run's per-date share)."""
    rows = data_quality.rows
    date_rows = [row for row in rows if row["scope"] == "date"]
    figures: dict[str, Any] = {"rows_in_lake": sum(r["value"] for r in rows if r["metric"] == "rows_in_lake"),
                               "runs": len({r["run_id"] for r in date_rows})}
    for metric in ("valid", "duplicates", "quarantined", "late_events"):
        figures[metric] = sum(r["value"] for r in date_rows if r["metric"] == metric)
    figures["restated"] = any(r["value"] for r in date_rows if r["metric"] == "restated")
    last_written = [r["value"] for r in date_rows if r["metric"] == "written_rows"]
    figures["written_rows_last_run"] = last_written[-1] if last_written else None
    reasons: dict[str, int] = {}
    for row in date_rows:
        if row["metric"] == "quarantined_by_reason":
            reasons[row["reason"]] = reasons.get(row["reason"], 0) + row["value"]
    figures["quarantined_by_reason"] = dict(sorted(reasons.items()))
    return figures


def deviation_headlines(tables: dict[str, Table]) -> dict[str, Any]:
    """The verdict on today: the opening sentence, the flagged figures, the movers and the rule used."""
    figures = deviations.judged_figures(tables["trends"], tables["dimension_trends"])
    found = deviations.anomalies(figures)
    return {"verdict": deviations.verdict_sentence(figures, found), "anomalies": found,
            "movers": deviations.movers(figures), "deviation_rule": deviations.RULE,
            "figures_judged": len(deviations.with_history(figures))}


def build_summary(tables: dict[str, Table], truth_verdict: dict[str, Any]) -> dict[str, Any]:
    day_text = tables["engagement"].day.isoformat()
    engagement = tables["engagement"].rows[0]
    class_totals = [row for row in tables["clients"].rows if row["ua_os"] == "all"]
    all_events = sum(row["events"] for row in class_totals)
    automation_events = sum(row["events"] for row in class_totals if row["is_bot"])
    return {
        "date": day_text,
        "has_events": all_events > 0,
        # Today against its trailing baseline (spark/analysis/deviations.py): what the report opens with.
        **deviation_headlines(tables),
        # The business figures count players' events only; automation is counted beside them.
        "events": engagement["events"],
        "events_by_type": {row["event_type"]: row["events"] for row in tables["daily_event_counts"].rows},
        **{key: engagement[key] for key in ("active_users", "buyers", "guild_joiners", "purchases",
                                            "revenue_cents", "conversion", "purchases_per_buyer")},
        "guild_joins": sum(row["joins"] for row in tables["guild_joins"].rows),
        "automation_events": automation_events,
        # Every row the report read: players' events (the view) and automation's (the clients table).
        "lake_rows": engagement["events"] + automation_events,
        "bot_share": round(automation_events / all_events, 6) if all_events else None,
        "events_by_client_class": {row["client_class"]: row["events"] for row in class_totals},
        "top_item_by_revenue": _top(tables["purchases_by_item"], "item_type", "revenue_cents"),
        "top_provider_by_revenue": _top(tables["host_providers"], "host_provider", "revenue_cents",
                                        {"item_type": "all"}),
        "top_guild_by_joins": _top(tables["guild_joins"], "guild_id", "joins"),
        "trends": trend_headlines(tables["trends"], day_text),
        "data_quality": quality_headlines(tables["data_quality"]),
        "ground_truth": truth_verdict,
        "table_rows": {name: len(table.rows) for name, table in tables.items()},
    }

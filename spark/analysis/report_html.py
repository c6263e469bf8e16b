"""report.html: one self-contained page (charts inlined as data: URIs, CSS inline, no JavaScript).

Built from the tables, the summary, the ground-truth checks and the chart PNGs only; no clock, no
run id, so a re-run of the day gives the same page.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import pandas as pd

from spark.analysis.deviations import amount
from spark.analysis.tables import Table

# (table, heading, what it answers) in the order the page shows the day's answers.
ANSWERS = (
    ("daily_event_counts", "Events by type", "How many events of each type the players sent."),
    ("engagement", "Engagement", "Active players, buyers, conversion (buyers / active players)."),
    ("purchases_by_item", "Purchases by item", "Purchases, units, revenue and unique buyers per item."),
    ("host_providers", "Internet providers",
     "Per provider (item_type = all) and per provider x item: events, players, purchases, revenue."),
    ("guild_joins", "Guild joins", "Joins and unique joiners per guild."),
    ("user_agents", "Player clients",
     "Events and players per client family / OS: web browsers (browser) and the game's own apps (app)."),
    ("clients", "Client classes",
     "All traffic per client class (ua_os = all) and per OS: browsers, the game's apps and automation."),
    ("automation", "Automation",
     "Crawlers, scripts and HTTP libraries per client and host provider. They are not players: every "
     "figure above this section leaves them out."),
)
CHARTS_OF = {"purchases_by_item": ["purchases_by_item"], "host_providers": ["host_providers", "provider_items"],
             "user_agents": ["user_agents"], "automation": ["automation"], "trends": ["trends"],
             "dimension_trends": ["provider_trends", "item_trends"],
             "data_quality": ["data_quality"]}
CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #4c72b0; padding-bottom: 0.2em; margin-top: 2em; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 1em; min-width: 9em; }
.card b { display: block; font-size: 1.4em; } .card small { color: #666; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f0f3f8; } td:first-child, th:first-child { text-align: left; }
.ok { color: #2e7d32; font-weight: bold; } .bad { color: #c62828; font-weight: bold; }
.verdict { font-size: 1.15em; padding: 0.6em 1em; border-radius: 6px; background: #f0f3f8; }
.verdict.bad { background: #fdecea; }
.note { background: #fff8e1; border-left: 4px solid #f9a825; padding: 0.6em 1em; }
img { max-width: 100%; display: block; margin: 0.6em 0; } .wide { overflow-x: auto; }
"""


def _text(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def html_table(columns: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p><em>No rows for this day.</em></p>"
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_text(cell))}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _frame_html(wide: pd.DataFrame, index_name: str) -> str:
    """A pivoted frame as a table, its index as the first column."""
    return html_table([index_name, *wide.columns],
                      [[key, *values] for key, values in zip(wide.index, wide.values.tolist())])


def table_html(table: Table) -> str:
    """The table as the page shows it: one-row tables turned on their side, providers as a matrix."""
    if table.name == "engagement":
        return html_table(["figure", "value"], [[c, table.rows[0][c]] for c in table.column_names])
    if table.name == "host_providers":
        return _providers_html(table)
    return html_table(table.column_names, [[row[c] for c in table.column_names] for row in table.rows])


def _providers_html(table: Table) -> str:
    rows = pd.DataFrame(list(table.rows), columns=table.column_names)
    totals = rows[rows["item_type"] == "all"].drop(columns="item_type")
    items = rows[rows["item_type"] != "all"]
    matrix = ""
    if not items.empty:
        wide = items.pivot(index="host_provider", columns="item_type", values="purchases").fillna(0).astype(int)
        matrix = "<h3>Purchases per provider x item</h3>" + _frame_html(wide, "host_provider")
    return html_table(list(totals.columns), totals.values.tolist()) + matrix


def chart_html(name: str, charts: dict[str, bytes]) -> str:
    if name not in charts:
        return ""
    encoded = base64.b64encode(charts[name]).decode("ascii")
    return f'<img alt="{html.escape(name)} chart" src="data:image/png;base64,{encoded}">'


def _change(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio:+.1%}"


def headline_html(summary: dict[str, Any]) -> str:
    trends = summary["trends"]
    cards = [("events", "Players' events"), ("active_users", "Active players"), ("buyers", "Buyers"),
             ("purchases", "Purchases"), ("revenue_cents", "Revenue (cents)"), ("guild_joins", "Guild joins"),
             ("conversion", "Conversion")]
    parts = []
    for key, label in cards:
        trend = trends.get(key, {})
        changes = (f"vs day before {_change(trend.get('day_over_day_ratio'))} · "
                   f"vs week before {_change(trend.get('week_over_week_ratio'))}")
        parts.append(f'<div class="card">{html.escape(label)}<b>{html.escape(_text(summary[key]))}</b>'
                     f"<small>{html.escape(changes)}</small></div>")
    share = summary["bot_share"]
    parts.append(f'<div class="card">Automation events<b>{html.escape(_text(summary["automation_events"]))}</b>'
                 f'<small>{html.escape("–" if share is None else f"{share:.1%} of all traffic")}, '
                 "not in the figures</small></div>")
    return f'<div class="cards">{"".join(parts)}</div>'


def truth_html(verdict: dict[str, Any], checks: list[dict[str, Any]] | None) -> str:
    if not verdict["available"]:
        return "<p>No ground-truth file from the generator exists for this day, so nothing to compare with.</p>"
    if verdict["matches"]:
        line = f'<p class="ok">The figures match the generator\'s ground truth ({verdict["checks"]} checks).</p>'
    else:
        line = (f'<p class="bad">The figures do NOT match the generator\'s ground truth: '
                f'{html.escape(", ".join(verdict["mismatches"]))}.</p>')
    if verdict["not_comparable"]:
        line += ('<p class="note">Late events that a later day\'s generation made for this day are in the lake, '
                 "so only the event counts by type can be compared; the other checks are marked not comparable.</p>")
    rows = [[c["check"], c["status"], _differences(c["expected"], c["actual"])] for c in checks or []]
    return line + html_table(["check", "status", "differences (truth → tables)"], rows)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix or "value": value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _differences(expected: Any, actual: Any, shown: int = 5) -> str:
    """The first few figures that differ, e.g. `sword.units: 35 → 34`; '' when they all agree."""
    want, got = _flatten(expected), _flatten(actual)
    differing = [key for key in sorted(set(want) | set(got)) if want.get(key) != got.get(key)]
    text = "; ".join(f"{key}: {json.dumps(want.get(key))} → {json.dumps(got.get(key))}" for key in differing[:shown])
    return text + (f"; … {len(differing) - shown} more" if len(differing) > shown else "")


def trends_html(trends: Table, summary: dict[str, Any], charts: dict[str, bytes]) -> str:
    columns = ["metric", "value", "day_over_day_change", "day_over_day_ratio", "week_over_week_change",
               "week_over_week_ratio", "trailing_7d_mean", "baseline_median", "baseline_mad", "total_7_days",
               "total_28_days", "days_with_data_28"]
    rows = [[metric] + [figures.get(c) for c in columns[1:]] for metric, figures in summary["trends"].items()]
    daily = pd.DataFrame(list(trends.rows), columns=trends.column_names)
    series = ""
    if not daily.empty:
        wide = daily.pivot(index="event_date", columns="metric", values="value").sort_index(ascending=False)
        series = "<h3>Day by day</h3>" + _frame_html(wide, "event_date")
    return (chart_html("trends", charts) + f"<h3>At {html.escape(summary['date'])}</h3>"
            + html_table(columns, rows) + series)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def _figure_name(anomaly: dict[str, Any]) -> str:
    return f"{anomaly['member']}: {anomaly['figure']}" if anomaly["member"] else anomaly["figure"]


def deviations_html(summary: dict[str, Any]) -> str:
    """The rule that judges today's figures, the flagged ones, then the movers."""
    rule = summary["deviation_rule"]
    flagged = [[_figure_name(a), a["direction"], *(amount(a["figure"], value) for value in (
                    a["today"], a["baseline"]["median"], a["baseline"]["mad"])),
                f"{amount(a['figure'], a['band'][0])} – {amount(a['figure'], a['band'][1])}", a["baseline"]["days"]]
               for a in summary["anomalies"]]
    movers = [[m["dimension"], m["member"], m["metric"], _share(m["today"]), _share(m["baseline_median"]),
               f"{m['change'] * 100:+.2f} pts", f"{_share(m['band_low'])} – {_share(m['band_high'])}", m["score"],
               "yes" if m["flagged"] else "no"] for m in summary["movers"]]
    return (f"<p>Each of the {summary['figures_judged']} figures with at least {rule['min_baseline_days']} earlier "
            f"days of data is judged against its baseline, the {html.escape(rule['baseline'])}: it is flagged "
            f"outside the band {html.escape(rule['band'])}, with z_limit = {rule['z_limit']:g} and "
            f"min_relative_change = {rule['min_relative_change']:.0%}. A robust band: one odd earlier day moves "
            "a median and a MAD hardly at all.</p><h3>Flagged today</h3>"
            + html_table(["figure", "direction", "today", "baseline median", "baseline MAD", "band",
                          "baseline days"], flagged)
            + "<h3>Movers: the provider and item shares that moved most against their baseline</h3>"
            "<p>score = (today − median) / the band's half-width; beyond ±1 is outside the band.</p>"
            + html_table(["dimension", "member", "metric", "today", "baseline median", "change", "band", "score",
                          "flagged"], movers))


def dimension_trends_html(table: Table, charts: dict[str, bytes]) -> str:
    """The two charts, then today's shares beside their baselines (the whole series is in the CSV)."""
    today = [row for row in table.rows if row["event_date"] == table.day.isoformat()]
    rows = [[row["dimension"], row["member"], row["metric"], _share(row["value"]), _share(row["baseline_median"]),
             row["baseline_days"]] for row in today]
    return (chart_html("provider_trends", charts) + chart_html("item_trends", charts)
            + f"<h3>At {html.escape(table.day.isoformat())}</h3>"
            + html_table(["dimension", "member", "metric", "today", "baseline median", "baseline days"], rows))


def render_report(tables: dict[str, Table], summary: dict[str, Any], checks: list[dict[str, Any]] | None,
                  charts: dict[str, bytes]) -> str:
    day = summary["date"]
    verdict_class = "verdict bad" if summary["anomalies"] else "verdict"
    sections = [f"<h1>Game events — {html.escape(day)}</h1>",
                f'<p class="{verdict_class}">{html.escape(summary["verdict"])}</p>',
                "<p>The day's answers from the lake's valid, de-duplicated events (UTC day). The business figures "
                "count players (web browsers and the game's apps); automation is reported on its own.</p>"]
    if not summary["has_events"]:
        sections.append(f'<p class="note"><b>No events</b> are in the lake for {html.escape(day)}: '
                        "every table below is empty (engagement shows zeros).</p>")
    sections += [headline_html(summary), "<h2>Ground truth</h2>", truth_html(summary["ground_truth"], checks)]
    for name, heading, question in ANSWERS:
        images = "".join(chart_html(chart, charts) for chart in CHARTS_OF.get(name, []))
        sections.append(f"<h2>{html.escape(heading)}</h2><p>{html.escape(question)}</p>{images}"
                        + table_html(tables[name]))
    sections += ["<h2>Trends (last 28 days)</h2>", trends_html(tables["trends"], summary, charts),
                 "<h2>Trends per provider and item (last 28 days)</h2>",
                 dimension_trends_html(tables["dimension_trends"], charts),
                 "<h2>Deviations</h2>", deviations_html(summary),
                 "<h2>Data quality</h2>", _quality_html(summary["data_quality"]),
                 chart_html("data_quality", charts), table_html(tables["data_quality"])]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Game events {html.escape(day)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(sections) + "\n</body></html>\n")


def _quality_html(quality: dict[str, Any]) -> str:
    restated = "yes (a later run added events to it)" if quality["restated"] else "no"
    reasons = ", ".join(f"{reason}: {count:,}" for reason, count in quality["quarantined_by_reason"].items())
    return (f"<p>Rows in the lake: <b>{quality['rows_in_lake']:,}</b> · valid records read: {quality['valid']:,} · "
            f"duplicates dropped: {quality['duplicates']:,} · quarantined: {quality['quarantined']:,} · "
            f"late events: {quality['late_events']:,} · ingest runs: {quality['runs']} · restated: {restated}</p>"
            f"<p>Quarantined records of the day by reason: {html.escape(reasons or 'none')}</p>")

"""PNG charts of the tables a person would rather look at than read. matplotlib (Agg) + pandas.

`render_charts(tables)` returns {chart name: PNG bytes}; a chart whose table is empty is left out
(the report then says there is nothing to draw). The PNGs carry no software or date metadata, so a
re-run gives the same bytes.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from spark.analysis.tables import Table  # noqa: E402

_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(list(table.rows), columns=table.column_names)


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def items_chart(items: pd.DataFrame) -> bytes:
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    items.plot.bar(x="item_type", y=["purchases", "units"], ax=left, color=_COLOURS[:2], rot=0)
    left.set(title="Purchases and units per item", xlabel="")
    (items.set_index("item_type")["revenue_cents"] / 100).plot.bar(ax=right, color=_COLOURS[2], rot=0)
    right.set(title="Revenue per item (USD)", xlabel="")
    return _png(figure)


def providers_chart(providers: pd.DataFrame) -> bytes:
    totals = providers[providers["item_type"] == "all"].set_index("host_provider").sort_values("events")
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 0.35 * len(totals) + 1.6))
    totals[["events", "purchases"]].plot.barh(ax=left, color=_COLOURS[:2])
    left.set(title="Events and purchases per provider", ylabel="")
    (totals["revenue_cents"] / 100).plot.barh(ax=right, color=_COLOURS[2])
    right.set(title="Revenue per provider (USD)", ylabel="")
    return _png(figure)


def provider_items_chart(providers: pd.DataFrame) -> bytes:
    items = providers[providers["item_type"] != "all"]
    matrix = items.pivot(index="host_provider", columns="item_type", values="purchases").fillna(0).astype(int)
    figure, axes = plt.subplots(figsize=(8, 0.4 * len(matrix) + 1.6))
    image = axes.imshow(matrix.to_numpy(), cmap="Blues", aspect="auto")
    axes.set_xticks(range(len(matrix.columns)), matrix.columns)
    axes.set_yticks(range(len(matrix.index)), matrix.index)
    for (row, column), value in pd.DataFrame(matrix.to_numpy()).stack().items():
        axes.text(column, row, str(value), ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axes, label="purchases")
    axes.set_title("Purchases per provider x item")
    return _png(figure)


def trends_chart(trends: pd.DataFrame) -> bytes:
    metrics = sorted(trends["metric"].unique())
    days = pd.to_datetime(trends["event_date"])
    every = max(1, ((days.max() - days.min()).days + 1) // 10)  # at most ~10 day labels
    figure, axes = plt.subplots(len(metrics), 1, figsize=(10, 1.7 * len(metrics)), sharex=True)
    for position, (metric, axis) in enumerate(zip(metrics, axes if len(metrics) > 1 else [axes])):
        series = trends[trends["metric"] == metric].assign(day=lambda f: pd.to_datetime(f["event_date"]))
        axis.plot(series["day"], series["value"], marker="o", color=_COLOURS[position % len(_COLOURS)])
        axis.plot(series["day"], series["trailing_7d_mean"], linestyle="--", color="grey", linewidth=1)
        axis.plot(series["day"], series["baseline_median"], linestyle=":", color="black", linewidth=1)
        recent = series[series["in_last_7_days"]]
        if not recent.empty:
            axis.axvspan(recent["day"].min(), recent["day"].max(), color="#eeeeee", zorder=0)
        axis.set_ylabel(metric, rotation=0, ha="right", fontsize=8)
        axis.xaxis.set_major_locator(mdates.DayLocator(interval=every))
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    figure.suptitle("Last 28 days (shaded: last 7; dashed: mean of the 7 days before; dotted: median of the 28 before)")
    figure.autofmt_xdate()
    return _png(figure)


def dimension_chart(shares: pd.DataFrame, dimension: str, metrics: tuple[str, ...], title: str) -> bytes:
    """One panel per metric, one line per provider or item, over the days of the window."""
    rows = shares[shares["dimension"] == dimension].assign(day=lambda f: pd.to_datetime(f["event_date"]))
    members = sorted(rows["member"].unique())
    figure, axes = plt.subplots(len(metrics), 1, figsize=(11, 2.1 * len(metrics) + 0.8), sharex=True, squeeze=False)
    for metric, axis in zip(metrics, axes[:, 0]):
        for position, member in enumerate(members):
            series = rows[(rows["member"] == member) & (rows["metric"] == metric)]
            axis.plot(series["day"], series["value"] * 100, marker=".", label=member,
                      color=_COLOURS[position % len(_COLOURS)], linestyle="-" if position < len(_COLOURS) else "--")
        axis.set_ylabel(f"{metric.replace('_', ' ')} (%)", fontsize=8)
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.suptitle(title)
    figure.autofmt_xdate()
    return _png(figure)


def provider_trends_chart(shares: pd.DataFrame) -> bytes:
    return dimension_chart(shares, "host_provider", ("share_of_players", "share_of_events", "share_of_purchases",
                                                     "share_of_revenue", "conversion"),
                           "Providers over the last 28 days: shares of the day's players, events, purchases, "
                           "revenue; conversion")


def item_trends_chart(shares: pd.DataFrame) -> bytes:
    return dimension_chart(shares, "item_type", ("share_of_purchases", "share_of_revenue"),
                           "Items over the last 28 days: shares of the day's purchases and revenue")


def user_agents_chart(agents: pd.DataFrame) -> bytes:
    labels = agents["ua_family"] + " / " + agents["ua_os"]
    data = agents.assign(label=labels).set_index("label").iloc[::-1]
    figure, axes = plt.subplots(figsize=(10, 0.35 * len(data) + 1.4))
    colours = [_COLOURS[1] if client_class == "app" else _COLOURS[0] for client_class in data["client_class"]]
    data["events"].plot.barh(ax=axes, color=colours)
    axes.set(title="Players' events per client family / OS (orange: the game's apps, blue: browsers)", ylabel="")
    return _png(figure)


def automation_chart(automation: pd.DataFrame) -> bytes:
    matrix = automation.pivot(index="ua_family", columns="host_provider", values="events").fillna(0)
    matrix = matrix.loc[matrix.sum(axis=1).sort_values().index]
    figure, axes = plt.subplots(figsize=(10, 0.45 * len(matrix) + 1.8))
    matrix.plot.barh(ax=axes, stacked=True, color=[_COLOURS[i % len(_COLOURS)] for i in range(len(matrix.columns))])
    axes.set(title="Automation events per client, by host provider (left out of the business figures)", ylabel="")
    axes.legend(fontsize=7, ncol=2, loc="lower right")
    return _png(figure)


def data_quality_chart(quality: pd.DataFrame) -> bytes:
    day_figures = quality[quality["scope"] == "date"].groupby("metric")["value"].sum()
    shown = day_figures.reindex(["valid", "duplicates", "quarantined", "late_events"]).fillna(0)
    lake_rows = quality.loc[quality["metric"] == "rows_in_lake", "value"].sum()
    shown = pd.concat([pd.Series({"rows_in_lake": lake_rows}), shown])
    figure, axes = plt.subplots(figsize=(8, 3.2))
    shown.plot.bar(ax=axes, color=_COLOURS[: len(shown)], rot=0)
    axes.set_title("The day in the ingest runs' manifests, and in the lake")
    return _png(figure)


def render_charts(tables: dict[str, Table]) -> dict[str, bytes]:
    """The charts whose tables have rows, by name (the report embeds them, charts/<name>.png)."""
    frames = {name: frame(table) for name, table in tables.items()}
    makers = {
        "purchases_by_item": (items_chart, "purchases_by_item"),
        "host_providers": (providers_chart, "host_providers"),
        "provider_items": (provider_items_chart, "host_providers"),
        "trends": (trends_chart, "trends"),
        "provider_trends": (provider_trends_chart, "dimension_trends"),
        "item_trends": (item_trends_chart, "dimension_trends"),
        "user_agents": (user_agents_chart, "user_agents"),
        "automation": (automation_chart, "automation"),
        "data_quality": (data_quality_chart, "data_quality"),
    }
    charts = {}
    for chart, (maker, source) in makers.items():
        data = frames[source]
        if chart == "provider_items":
            data = data[data["item_type"] != "all"]
        elif chart in ("provider_trends", "item_trends"):
            data = data[data["dimension"] == ("host_provider" if chart == "provider_trends" else "item_type")]
        if not data.empty:
            charts[chart] = maker(frames[source])
    return charts

"""filtered_writes' run manifests as flat figures, the rows of the `manifest_counts` view. Pure Python.

A manifest (see game_events.lake) holds a run's totals (`counts`) and its share of every date it
wrote (`per_date`). The data_quality SQL wants them as rows it can filter and order, one figure a row:

    scope 'run':  read, valid, duplicates, quarantined, written, quarantined_by_reason (+ reason code)
    scope 'date': the same for event_date, plus written_rows (the partition's rows after the run),
                  late_events and restated (0/1)
"""

from __future__ import annotations

from datetime import date
from typing import Any

RUN_METRICS = ("read", "valid", "duplicates", "quarantined", "written")
DATE_METRICS = RUN_METRICS + ("written_rows", "late_events", "restated")

# The view's schema, in column order (DDL for Spark's createDataFrame).
MANIFEST_COUNTS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_sequence", "int"), ("run_id", "string"), ("run_requested_date", "string"),
    ("run_finished_at", "string"), ("scope", "string"), ("event_date", "date"), ("metric", "string"),
    ("reason", "string"), ("value", "bigint"),
)


def _figures(scope: str, event_date: date | None, figures: dict[str, Any], metrics: tuple[str, ...]):
    for metric in metrics:
        yield scope, event_date, metric, "", int(figures.get(metric) or 0)
    for reason, count in sorted(figures.get("quarantined_by_reason", {}).items()):
        yield scope, event_date, "quarantined_by_reason", str(reason), int(count)


def manifest_figures(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every figure of every manifest (oldest run first), as rows of `manifest_counts`."""
    rows = []
    for sequence, manifest in enumerate(manifests, start=1):
        run = {"run_sequence": sequence, "run_id": str(manifest["run_id"]),
               "run_requested_date": manifest.get("requested_date"),
               "run_finished_at": manifest.get("finished_at")}
        figures = list(_figures("run", None, manifest.get("counts", {}), RUN_METRICS))
        for day_text, day_figures in sorted(manifest.get("per_date", {}).items()):
            figures += _figures("date", date.fromisoformat(day_text), day_figures, DATE_METRICS)
        for scope, event_date, metric, reason, value in figures:
            rows.append({**run, "scope": scope, "event_date": event_date, "metric": metric, "reason": reason,
                         "value": value})
    return rows

"""The run manifest of filtered_writes, built from the figures Spark counted (pure Python).

Per date D the run counts, over the messages it read: valid and quarantined (by reason) messages dated
D and duplicates (valid messages minus their distinct event_ids, plus event_ids the lake already held
from earlier runs), and, independently, from the files it published, `written`: rows of D whose Kafka
coordinates lie in this run's offset ranges. reconcile() then demands read = written + duplicates +
quarantined, which catches rows lost or doubled between reading and publishing. A retry after a crash
(data swapped in, manifest not written) finds its own rows in the partition with the same coordinates,
counts them as written again, and its manifest equals a clean run's.

Late events and restatement: a date is *processed* once a run requested for it has committed. Rows a
later run adds to a processed date are late events, and the date is reported restated. Early arrivals
for a date nobody has processed yet (tomorrow's first events) are neither.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from game_events import __version__
from game_events.contract import SCHEMA_VERSION
from game_events.lake import OffsetRange

# The files whose content decides what the job writes; their hash is the manifest's code_version.
_CODE_FILES = ("spark/filtered_writes.py", "spark/ingest/validation.py", "spark/ingest/transforms.py",
               "spark/ingest/enrich.py", "spark/ingest/publish.py", "spark/ingest/manifest.py",
               "src/game_events/contract.py", "src/game_events/record_checks.py", "src/game_events/lake.py")


def code_version(project_root: Path) -> str:
    """Package version plus a short hash of the job's sources: equal output code, equal version."""
    digest = hashlib.sha256()
    for relative in _CODE_FILES:
        path = project_root / relative
        digest.update(relative.encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    return f"{__version__}+{digest.hexdigest()[:12]}"


def _date_figures(batch: dict[str, Any], kept: dict[str, int], processed: bool) -> dict[str, Any]:
    by_reason = dict(sorted(batch.get("quarantined_by_reason", {}).items()))
    valid, quarantined, written = batch.get("valid", 0), sum(by_reason.values()), kept.get("written", 0)
    return {
        "read": valid + quarantined,
        "valid": valid,
        "duplicates": batch.get("duplicates", 0),
        "quarantined": quarantined,
        "quarantined_by_reason": by_reason,
        "written": written,
        "written_rows": kept.get("written_rows", 0),
        "late_events": written if processed else 0,
        "restated": processed and written > 0,
    }


def build_manifest(*, run_id: str, requested_date: str, topic: str, ranges: list[OffsetRange],
                   batch_counts: dict[str, dict[str, Any]], kept_counts: dict[str, dict[str, int]],
                   processed_dates: set[str], code: str, started_at: str, finished_at: str) -> dict[str, Any]:
    """The manifest of one run.

    batch_counts: {date: {"valid": n, "duplicates": n, "quarantined_by_reason": {reason: n}}} over the
    messages read;
    kept_counts: {date: {"written": n, "written_rows": n}} from the published partitions (and the
    requested date's current row count even when the run did not touch it).
    """
    dates = sorted(set(batch_counts) | set(kept_counts) | {requested_date})
    per_date = {day: _date_figures(batch_counts.get(day, {}), kept_counts.get(day, {}), day in processed_dates)
                for day in dates}
    counts: dict[str, Any] = {name: sum(f[name] for f in per_date.values())
                              for name in ("read", "valid", "duplicates", "quarantined", "written")}
    by_reason: dict[str, int] = {}
    for figures in per_date.values():
        for reason, count in figures["quarantined_by_reason"].items():
            by_reason[reason] = by_reason.get(reason, 0) + count
    counts["quarantined_by_reason"] = dict(sorted(by_reason.items()))
    return {
        "run_id": run_id,
        "requested_date": requested_date,
        "topic": topic,
        "code_version": code,
        "schema_version": SCHEMA_VERSION,
        "started_at": started_at,
        "finished_at": finished_at,
        "offsets": [span.to_dict() for span in ranges],
        "counts": counts,
        "per_date": per_date,
        "dates_written": [day for day in dates if per_date[day]["read"] > 0],
        "restated_dates": [day for day in dates if per_date[day]["restated"]],
    }

"""Reading the published per-day artifacts (<data>/artifacts/<D>/) safely, for viewers such as the
Airflow reports view (plugins/game_events_airflow/reports.py). Pure file logic, no Airflow.

Every path a caller asks for is confined to the artifacts root: the day must be a real YYYY-MM-DD date,
and a file path is resolved (symlinks included) and must stay inside that day's folder.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
REPORT = "report.html"


class NotFound(LookupError):
    """No such day or artifact (or a path that points outside the artifacts root)."""


def parse_day(text: str) -> str:
    """The day as YYYY-MM-DD, or NotFound: nothing else can name a folder under the root."""
    if not _DAY.match(text):
        raise NotFound(f"not a date: {text!r}")
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise NotFound(f"not a date: {text!r}") from None


def day_dir(root: Path, day: str) -> Path:
    folder = root.resolve() / parse_day(day)
    # A day folder that is a symlink could lead anywhere: only real folders under the root count.
    if folder.resolve() != folder or not (folder / REPORT).is_file():
        raise NotFound(f"no report for {day}")
    return folder


def artifact_path(root: Path, day: str, relative: str) -> Path:
    """An existing file inside the day's folder; `..`, absolute paths and escaping symlinks are NotFound."""
    folder = day_dir(root, day)
    if not relative or relative.startswith(("/", "\\")) or "\x00" in relative:
        raise NotFound(f"bad artifact path: {relative!r}")
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder) or not target.is_file():
        raise NotFound(f"no artifact {relative!r} for {day}")
    return target


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def day_overview(root: Path, day: str) -> dict[str, Any]:
    """What a listing shows for one day: headline figures, data quality and the run that produced it."""
    folder = day_dir(root, day)
    summary, run = _json(folder / "summary.json"), _json(folder / "run.json")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                   if p.is_file() and p.resolve().is_relative_to(folder))  # never list a link out of the root
    return {"date": day, "events": summary.get("events"), "active_users": summary.get("active_users"),
            "revenue_cents": summary.get("revenue_cents"), "data_quality": summary.get("data_quality") or {},
            "ground_truth": summary.get("ground_truth") or {}, "run_id": run.get("run_id"),
            "generated_at": run.get("generated_at"), "files": files}


def list_days(root: Path) -> list[str]:
    """Days with a published report, newest first (staging folders and other names are ignored)."""
    if not root.is_dir():
        return []
    days = []
    for child in root.iterdir():
        try:
            days.append(day_dir(root, child.name).name)
        except NotFound:
            continue
    return sorted(days, reverse=True)

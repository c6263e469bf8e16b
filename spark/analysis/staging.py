"""Where a day's artifacts are built and how they are published. Pure Python, no Spark.

    <artifacts>/.staging/<D>/<run id>/   built here: tables/ by the analyze tasks, then charts/,
                                         report.html, summary.json, run.json by the report
    <artifacts>/<D>/                     published: replaced as a whole, never edited in place

Publishing swaps the staged folder with the published one in one step (game_events.lake.swap_directory,
Linux `renameat2` with RENAME_EXCHANGE), so a reader sees either the previous artifacts of D or the
new ones, never a mix, and a run that fails before the swap leaves the previous artifacts untouched.
A per-day lock file serialises publishers.
"""

from __future__ import annotations

import fcntl
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from game_events.lake import swap_directory

STAGING = ".staging"
TABLES = "tables"
CHARTS = "charts"


def safe_run_id(run_id: str) -> str:
    """A folder name for any run id (Airflow's contain ':' and '+')."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._")
    if not cleaned:
        raise ValueError(f"run id {run_id!r} has no usable characters")
    return cleaned


def staging_dir(artifacts_dir: Path, day: date, run_id: str) -> Path:
    return artifacts_dir / STAGING / day.isoformat() / safe_run_id(run_id)


def published_dir(artifacts_dir: Path, day: date) -> Path:
    return artifacts_dir / day.isoformat()


@contextmanager
def day_lock(artifacts_dir: Path, day: date) -> Iterator[None]:
    """Exclusive lock for publishing D (two publishers of the same day would swap each other out)."""
    lock_path = artifacts_dir / STAGING / f"{day.isoformat()}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def publish(staged: Path, target: Path) -> None:
    """Make `staged` the content of `target` in one step (game_events.lake.swap_directory); the previous
    content is deleted afterwards. Callers hold `day_lock`. `staged` no longer exists afterwards."""
    if not staged.is_dir():
        raise FileNotFoundError(f"nothing staged at {staged}")
    swap_directory(staged, target)
    _remove_if_empty(staged.parent)


def discard(staged: Path) -> None:
    """Remove a run's staging folder (and the day's staging folder if nothing else is in it)."""
    shutil.rmtree(staged, ignore_errors=True)
    _remove_if_empty(staged.parent)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (another run of the day stages there) or already gone

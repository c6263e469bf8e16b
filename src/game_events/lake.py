"""The lake's layout, its manifests and its offset ledger, in plain Python (no pyspark at import).

Layout under `Settings.lake_dir` (the DAG, the analyses and filtered_writes all use these helpers):

    events/event_date=D/event_type=T/*.parquet   valid, de-duplicated events (columns: LAKE_COLUMNS)
    quarantine/event_date=D/*.parquet            refused records with raw value, Kafka coordinates, reason
    _manifests/NNNNNN_D_RUNID.json               one manifest per committed filtered_writes run
    _staging/RUNID/                              a run's unpublished output (invisible to readers)

The manifests *are* the offset ledger: the next offset to read in a partition is the highest `to` any
committed manifest recorded for it. Writing the manifest (one atomic rename) therefore commits the run's
data and its offsets in one step; a run killed before that commits nothing and its retry re-reads the
same offsets. Runs hold `ledger_lock` from reading the ledger to committing their manifest, so concurrent
runs behave as if they ran one after the other.

Run by hand: `python -c "from game_events import lake; print(lake.read_manifests())"`.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from game_events.contract import ALL_FIELDS, Kind
from game_events.settings import Settings, load_settings

PARTITION_COLUMNS = ("event_date", "event_type")
# How each contract kind is stored (the lake, the validation's staged rows, the exact route's output).
SPARK_TYPES = {Kind.STRING: "string", Kind.INTEGER: "bigint", Kind.TIMESTAMP: "timestamp"}
# The Parquet columns of an event, in order: the contract's fields (minus the partition column
# event_type), the derived ones, then the partition columns Spark appends when it reads the lake.
LAKE_COLUMNS: tuple[tuple[str, str], ...] = (
    *((f.name, SPARK_TYPES[f.kind]) for f in ALL_FIELDS if f.name not in PARTITION_COLUMNS),
    ("host_provider", "string"), ("ua_family", "string"), ("ua_os", "string"), ("ua_device", "string"),
    ("client_class", "string"), ("is_bot", "boolean"), ("kafka_partition", "int"), ("kafka_offset", "bigint"),
    ("event_date", "date"), ("event_type", "string"),
)
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("topic", "string"), ("kafka_partition", "int"), ("kafka_offset", "bigint"),
    ("kafka_timestamp", "timestamp"), ("raw_value", "binary"), ("reason", "string"),
    ("problems", "array<string>"), ("event_date", "date"),
)


def ddl(columns: Iterable[tuple[str, str]]) -> str:
    """A Spark DDL schema string ("a string, b bigint") for LAKE_COLUMNS or QUARANTINE_COLUMNS."""
    return ", ".join(f"`{name}` {kind}" for name, kind in columns)


# --- paths ----------------------------------------------------------------------------------------

def _settings(settings: Settings | None) -> Settings:
    return settings or load_settings()


def event_date_dir(day: date | str, settings: Settings | None = None) -> Path:
    return _settings(settings).events_dir / f"event_date={day}"


def event_partition_dir(day: date | str, event_type: str, settings: Settings | None = None) -> Path:
    return event_date_dir(day, settings) / f"event_type={event_type}"


def quarantine_date_dir(day: date | str, settings: Settings | None = None) -> Path:
    return _settings(settings).quarantine_dir / f"event_date={day}"


def manifests_dir(settings: Settings | None = None) -> Path:
    return _settings(settings).manifests_dir


def staging_root(settings: Settings | None = None) -> Path:
    return _settings(settings).lake_dir / "_staging"


# --- the lock and atomic directory swaps -----------------------------------------------------------

@contextmanager
def ledger_lock(settings: Settings | None = None) -> Iterator[None]:
    """Exclusive, blocking lock over the ledger; the kernel drops it if the holder dies."""
    folder = manifests_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_AT_FDCWD = -100
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2
_libc = ctypes.CDLL(None, use_errno=True)


def _renameat2(source: Path, target: Path, flags: int) -> None:
    renameat2 = getattr(_libc, "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available (not Linux)")
    result = renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result != 0:
        error_number = ctypes.get_errno()
        raise OSError(error_number, f"renameat2({source}, {target}): {os.strerror(error_number)}")


def swap_directory(staged: Path, target: Path) -> None:
    """Publish `staged` at `target` atomically: a reader sees the old folder or the new one, never a mix.

    Linux's renameat2(RENAME_EXCHANGE) swaps two folders in one step; the old content then sits at
    `staged` and is deleted. A new target is moved in with RENAME_NOREPLACE. Both folders must be on
    the same file system (the staging area lives inside the lake for that reason). Where renameat2 is
    missing, it falls back to two renames (a brief window without the folder, never a mixed one).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if target.exists():
            _renameat2(staged, target, _RENAME_EXCHANGE)
            shutil.rmtree(staged)
        else:
            _renameat2(staged, target, _RENAME_NOREPLACE)
    except OSError as exc:
        if exc.errno not in (errno.ENOSYS, errno.EINVAL):
            raise
        # No atomic exchange here (another OS or file system): two renames, with a moment between
        # them when the target is missing; never a mix of old and new files.
        retired = staged.with_name(staged.name + ".retired")
        if target.exists():
            os.rename(target, retired)
        os.rename(staged, target)
        shutil.rmtree(retired, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# --- manifests ------------------------------------------------------------------------------------

_MANIFEST_NAME = re.compile(r"^(\d{6})_.*\.json$")


def _manifest_paths(settings: Settings | None) -> list[Path]:
    folder = manifests_dir(settings)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _MANIFEST_NAME.match(p.name))


def write_manifest(manifest: dict[str, Any], settings: Settings | None = None) -> Path:
    """Commit a run: write its manifest atomically as the next in sequence. Call it under ledger_lock."""
    manifests_dir(settings).mkdir(parents=True, exist_ok=True)
    paths = _manifest_paths(settings)
    sequence = int(_MANIFEST_NAME.match(paths[-1].name).group(1)) + 1 if paths else 1
    safe_run_id = re.sub(r"[^A-Za-z0-9_.-]", "_", str(manifest["run_id"]))[:120]
    path = manifests_dir(settings) / f"{sequence:06d}_{manifest['requested_date']}_{safe_run_id}.json"
    _write_atomically(path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def read_manifests(day: date | str | None = None, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Committed manifests, oldest first; with `day`, those that requested it or wrote into it."""
    manifests = [json.loads(p.read_text()) for p in _manifest_paths(settings)]
    if day is None:
        return manifests
    key = str(day)
    return [m for m in manifests if m["requested_date"] == key or key in m.get("per_date", {})]


def latest_manifest_for(day: date | str, settings: Settings | None = None) -> dict[str, Any] | None:
    """The newest manifest that requested `day` or wrote into it (its per_date[day] is that run's share)."""
    manifests = read_manifests(day, settings)
    return manifests[-1] if manifests else None


def date_summary(day: date | str, settings: Settings | None = None) -> dict[str, Any]:
    """Figures for one event date summed over every committed run (what a data-quality report wants).

    A run's per_date entry only counts the messages that run read, so a day filled by several runs
    (early arrivals, the day's own run, late events) needs the sum; written_rows is the latest count.
    """
    key = str(day)
    totals: dict[str, Any] = {"read": 0, "valid": 0, "duplicates": 0, "quarantined": 0, "written": 0,
                              "late_events": 0, "quarantined_by_reason": {}, "written_rows": 0,
                              "restated": False, "runs": []}
    for manifest in read_manifests(key, settings):
        figures = manifest.get("per_date", {}).get(key)
        if figures is None:
            continue
        for name in ("read", "valid", "duplicates", "quarantined", "written", "late_events"):
            totals[name] += figures[name]
        for reason, count in figures["quarantined_by_reason"].items():
            totals["quarantined_by_reason"][reason] = totals["quarantined_by_reason"].get(reason, 0) + count
        totals["written_rows"] = figures["written_rows"]
        totals["restated"] = totals["restated"] or figures["restated"]
        totals["runs"].append(manifest["run_id"])
    return totals


def committed_offsets(topic: str, settings: Settings | None = None) -> dict[int, int]:
    """The ledger: per partition, the next offset no committed run has read yet."""
    offsets: dict[int, int] = {}
    for manifest in read_manifests(settings=settings):
        for span in manifest["offsets"]:
            if span["topic"] == topic:
                offsets[span["partition"]] = max(offsets.get(span["partition"], 0), span["to"])
    return offsets


def processed_dates(settings: Settings | None = None) -> set[str]:
    """Dates whose own run has committed; later events for them are late and restate the date."""
    return {m["requested_date"] for m in read_manifests(settings=settings)}


# --- planning the next read -----------------------------------------------------------------------

class RetentionLoss(RuntimeError):
    """Kafka deleted messages the lake has not read yet."""


class LedgerAhead(RuntimeError):
    """The ledger is past the topic's end: the topic was recreated or the lake belongs to another one."""


@dataclass(frozen=True)
class OffsetRange:
    topic: str
    partition: int
    start: int  # first offset to read
    end: int  # one past the last offset to read (the high watermark when the run started)

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition, "from": self.start, "to": self.end}


def plan_offset_ranges(topic: str, committed: dict[int, int],
                       watermarks: Iterable[Any]) -> list[OffsetRange]:
    """The bounded read of a run: from the ledger to the high watermarks snapshotted now.

    `watermarks` are objects with partition/low/high (game_events.kafka.PartitionWatermarks). A
    partition the ledger has never seen starts at 0, so messages deleted before the first run count as
    lost too. Raises RetentionLoss or LedgerAhead, naming every affected partition, before anything runs.
    """
    ranges, lost, ahead = [], [], []
    for mark in sorted(watermarks, key=lambda m: m.partition):
        start = committed.get(mark.partition, 0)
        if mark.low > start:
            lost.append(f"partition {mark.partition}: next unread offset {start}, but Kafka keeps only "
                        f"offsets >= {mark.low} ({mark.low - start} messages deleted)")
        if start > mark.high:
            ahead.append(f"partition {mark.partition}: ledger at {start}, topic ends at {mark.high}")
        ranges.append(OffsetRange(topic, mark.partition, start, mark.high))
    if lost:
        raise RetentionLoss(f"retention loss on topic {topic}: " + "; ".join(lost)
                            + ". Nothing was written; restore the messages or rebuild the lake.")
    if ahead:
        raise LedgerAhead(f"the lake's ledger is ahead of topic {topic}: " + "; ".join(ahead)
                          + ". Was the topic recreated? Nothing was written.")
    return ranges


# --- reconciliation -------------------------------------------------------------------------------

_COUNT_NAMES = ("read", "valid", "duplicates", "quarantined", "written")
REQUIRED_MANIFEST_KEYS = ("run_id", "requested_date", "code_version", "schema_version", "started_at",
                          "finished_at", "offsets", "counts", "per_date", "dates_written", "restated_dates")


def _check_figures(label: str, figures: dict[str, Any]) -> list[str]:
    problems = []
    if figures["read"] != figures["written"] + figures["duplicates"] + figures["quarantined"]:
        problems.append(f"{label}: read {figures['read']} != written {figures['written']} + duplicates "
                        f"{figures['duplicates']} + quarantined {figures['quarantined']}")
    if figures["valid"] != figures["read"] - figures["quarantined"]:
        problems.append(f"{label}: valid {figures['valid']} != read {figures['read']} - quarantined "
                        f"{figures['quarantined']}")
    by_reason = sum(figures["quarantined_by_reason"].values())
    if by_reason != figures["quarantined"]:
        problems.append(f"{label}: quarantined_by_reason sums to {by_reason}, not {figures['quarantined']}")
    if min(figures[name] for name in _COUNT_NAMES) < 0:
        problems.append(f"{label}: negative count in {figures}")
    return problems


def reconcile(manifest: dict[str, Any]) -> list[str]:
    """Every way the manifest's figures fail to add up; [] means the run is reconciled.

    read = written + duplicates + quarantined (overall and per date), read = the offset span (the topic
    is neither compacted nor transactional, so offsets have no gaps), per-date figures sum to the totals.
    """
    missing = [key for key in REQUIRED_MANIFEST_KEYS if key not in manifest]
    if missing:
        return [f"manifest lacks {', '.join(missing)}"]
    counts, per_date = manifest["counts"], manifest["per_date"]
    problems = _check_figures("run", counts)
    span = sum(r["to"] - r["from"] for r in manifest["offsets"])
    if span != counts["read"]:
        problems.append(f"run: read {counts['read']} messages but the offset ranges hold {span}")
    for name in _COUNT_NAMES:
        total = sum(figures[name] for figures in per_date.values())
        if total != counts[name]:
            problems.append(f"per_date {name} sums to {total}, run total is {counts[name]}")
    for day, figures in sorted(per_date.items()):
        problems += _check_figures(day, figures)
        if figures["late_events"] > figures["written"]:
            problems.append(f"{day}: {figures['late_events']} late events but only {figures['written']} written")
        if figures["written_rows"] < figures["written"]:
            problems.append(f"{day}: partition holds {figures['written_rows']} rows, fewer than the "
                            f"{figures['written']} this run wrote")
    restated = sorted(day for day, figures in per_date.items() if figures["restated"])
    if restated != sorted(manifest["restated_dates"]):
        problems.append(f"restated_dates {manifest['restated_dates']} != dates marked restated {restated}")
    changed = sorted(day for day, figures in per_date.items() if figures["read"] > 0)
    if changed != sorted(manifest["dates_written"]):
        problems.append(f"dates_written {manifest['dates_written']} != dates with messages {changed}")
    return problems

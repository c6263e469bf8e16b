"""Peak resident memory of the stack's process trees, sampled while a benchmark runs.

    with MemorySampler(roots) as sampler: ...      # roots: {"broker": pid_file, "api": pid_file, ...}
    sampler.peaks()  ->  {"broker": bytes, ..., "spark": bytes, "total": bytes}

Each root's whole tree counts for its group, except Spark: a SparkSubmit JVM and everything under it
(the Python driver, its workers) count as "spark" wherever they run (Airflow's task processes start
them). RSS counts shared pages in every process that maps them, so the sum is an upper bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import psutil

SPARK_MARKER = "org.apache.spark.deploy.SparkSubmit"


def group_rss(trees: dict[str, Iterable[tuple[int, int | None, str, int]]]) -> dict[str, int]:
    """Sum RSS per group from (pid, parent pid, command line, rss) rows of each root's tree; processes
    that are, or descend from, a SparkSubmit JVM go to "spark". Pure: tested without processes."""
    totals: dict[str, int] = {}
    for group, rows in trees.items():
        rows = list(rows)
        spark_pids = {pid for pid, _, command, _ in rows if SPARK_MARKER in command}
        parent = {pid: ppid for pid, ppid, _, _ in rows}
        for pid, _, _, rss in rows:
            ancestor, is_spark = pid, False
            while ancestor is not None and not is_spark:
                is_spark = ancestor in spark_pids
                ancestor = parent.get(ancestor)
            key = "spark" if is_spark else group
            totals[key] = totals.get(key, 0) + rss
    return totals


def _tree_rows(pid: int) -> list[tuple[int, int | None, str, int]]:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    rows = []
    for process in processes:
        try:
            rows.append((process.pid, process.ppid(), " ".join(process.cmdline()), process.memory_info().rss))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return rows


def _pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


class MemorySampler:
    """Samples the groups' RSS every interval_s on a thread; pid files are re-read each time (services
    may start after the sampler)."""

    def __init__(self, roots: dict[str, list[Path]], interval_s: float = 0.5):
        self.roots, self.interval_s = roots, interval_s
        self.samples: list[dict[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def sample(self) -> dict[str, int]:
        trees = {group: [row for pid_file in pid_files if (pid := _pid(pid_file)) for row in _tree_rows(pid)]
                 for group, pid_files in self.roots.items()}
        totals = group_rss(trees)
        totals["total"] = sum(totals.values())
        return totals

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.samples.append(self.sample())

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> dict[str, int]:
        """Per group the largest RSS seen; "total" is the largest simultaneous sum (not the sum of peaks)."""
        groups = {key for sample in self.samples for key in sample}
        return {key: max(sample.get(key, 0) for sample in self.samples) for key in sorted(groups)}

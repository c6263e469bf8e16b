"""Pure figures of the benchmarks: percentiles, min/median/max spreads, paired ratios, target verdicts.

Nothing here measures anything; the stage modules collect raw samples and these functions summarise
them, so the summaries are unit-tested (tests/test_bench.py) and the same in every report.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

_COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float]) -> dict[str, float]:
    """min / median / max and the number of samples."""
    return {"min": min(values), "median": percentile(values, 50), "max": max(values), "n": len(values)}


def paired_ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """subject[i] / baseline[i]: repeat i of each was measured back to back, so each pair saw the same
    machine load; the ratios are steadier than either series on a shared machine."""
    if len(subject) != len(baseline):
        raise ValueError(f"{len(subject)} subject samples against {len(baseline)} baseline samples")
    return [s / b for s, b in zip(subject, baseline) if b]


def meets(value: float, target: dict) -> bool:
    """Does value satisfy a target like {"op": ">=", "value": 4000}?"""
    return _COMPARE[target["op"]](value, target["value"])


def summarize(figure: dict) -> dict:
    """A figure's spread, its baseline's spread and the paired ratio spread, and each target's verdict.

    A figure is {"samples": [...], "baseline": {"samples": [...]} or absent, "targets": [{"op", "value",
    "on": "value" | "ratio"}]}; a target is judged on the median.
    """
    summary: dict = {"value": spread(figure["samples"])}
    baseline = figure.get("baseline")
    if baseline:
        summary["baseline"] = spread(baseline["samples"])
        ratios = paired_ratios(figure["samples"], baseline["samples"])
        if ratios:
            summary["ratio"] = spread(ratios)
    verdicts = []
    for target in figure.get("targets", []):
        judged = summary.get(target.get("on", "value"))
        verdicts.append(None if judged is None else meets(judged["median"], target))
    summary["verdicts"] = verdicts
    return summary

"""BENCHMARKS.md claims only what committed results files hold.

Its tables must be exactly what `bench.report` renders from a file in bench/results/, every results file
it or README.md names must exist and come from a clean tree (`git_dirty: false`), and every figure in
its bold summaries must appear in those files' rendered tables (the same rounding, no retyped numbers).
"""

from __future__ import annotations

import json
import re

import pytest

from bench.report import BEGIN, END, render_section, render_table
from game_events.settings import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "BENCHMARKS.md"
RESULTS = PROJECT_ROOT / "bench" / "results"
# A figure with its unit: "45.1 s", "2.48×", "22,173 ev/s", or a range "42.6–47.0 s".
FIGURE = re.compile(r"(\d[\d,]*(?:\.\d+)?(?:–\d[\d,]*(?:\.\d+)?)?)\s?(ev/s|MB/s|GB|ms|s|×|%)(?![\w/])")


def results_files() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))}


def tables(document: str) -> list[str]:
    """Every markdown table of the document, as text."""
    found, current = [], []
    for line in document.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append("\n".join(current))
            current = []
    return found + (["\n".join(current)] if current else [])


def test_the_generated_section_is_the_render_of_the_file_it_names():
    document = BENCHMARKS.read_text()
    section = document[document.index(BEGIN) + len(BEGIN):document.index(END)]
    (name,) = re.findall(r"Raw samples: `bench/results/([\w.-]+)\.json`", section)
    assert section.strip() == render_section(results_files()[name]).strip()


def test_every_table_of_figures_is_rendered_from_a_committed_results_file():
    rendered = {name: render_table(results) for name, results in results_files().items()}
    header = render_table({"figures": []})
    figure_tables = [table for table in tables(BENCHMARKS.read_text()) if table.startswith(header)]
    assert len(figure_tables) >= 2
    for table in figure_tables:
        assert table in rendered.values(), f"a table of BENCHMARKS.md no results file renders:\n{table[:400]}"


@pytest.mark.parametrize("document", ["BENCHMARKS.md", "README.md"])
def test_every_results_file_named_exists_and_was_made_on_a_clean_tree(document):
    text = (PROJECT_ROOT / document).read_text()
    committed = results_files()
    by_path = set(re.findall(r"bench/results/([\w.-]+)\.json", text)) - {"full", "quick"}  # what `make bench` writes
    by_name = {name for name in re.findall(r"`([\w.-]+)\.json`", text) if name in committed}
    for name in sorted(by_path | by_name):
        assert name in committed, f"{document} names bench/results/{name}.json, which is not committed"
        versions = committed[name]["versions"]
        assert versions["git_dirty"] is False and versions["git_commit"], (name, versions)


def test_every_figure_of_the_summaries_is_in_a_rendered_table():
    rendered = "\n".join(render_section(results) for results in results_files().values())
    summaries = re.findall(r"\*\*(.+?)\*\*", BENCHMARKS.read_text(), re.S)
    missing = []
    for summary in summaries:
        for value, unit in FIGURE.findall(summary.replace("\n", " ")):
            quoted = [f"{value} {unit}", f"{value}{unit}"] + ([f"({value})"] if "–" in value else [])
            if not any(text in rendered for text in quoted):
                missing.append(f"{value} {unit}")
    assert missing == [], f"figures in BENCHMARKS.md's summaries that no results file renders: {missing}"

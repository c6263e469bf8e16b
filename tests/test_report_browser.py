"""End to end through the real entry points, then a real headless browser: a lake of generated days,
`spark-submit spark/analyze.py` (two --only groups, as the DAG runs them) and `spark-submit
spark/report.py`, then Debian's Chromium renders data/artifacts/D/report.html. The screenshot is kept
under <data dir>/screenshots/. Chromium missing is a failure (`make setup` installs it), never a skip.

Run: .venv/bin/python -m pytest tests/test_report_browser.py
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from datetime import date

import pytest

from game_events.settings import PROJECT_ROOT, load_settings
from game_events.spark_submit import submit_command
from tests.report_page import shown_figures, truth_figures
from tests.spark.lake_builder import build_generated_days

DAYS = [date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12)]
DAY = DAYS[-1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0"]
# What the browser must never log for our page: script errors, console output, failed loads.
PAGE_PROBLEMS = re.compile(r"CONSOLE|Uncaught|net::ERR_|Failed to load resource|Not allowed to load")


def spark_submit(application: str, args: list[str]) -> str:
    command = submit_command(PROJECT_ROOT / "spark" / application, args, master="local[2]")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{application} failed:\n{result.stderr[-4000:]}"
    return result.stdout


def chromium(tmp_path, *args: str) -> subprocess.CompletedProcess:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("Chromium is not installed: run `make setup` (it installs Debian's chromium package)")
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    result = subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    problems = [line for line in result.stderr.splitlines() if PAGE_PROBLEMS.search(line)]
    assert problems == [], "\n".join(problems)
    return result


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser-data")
    build_generated_days(data_dir, DAYS, n_events=500, seed=11, duplicates=0.03, malformed=0.01)
    common = ["--date", DAY.isoformat(), "--run-id", "scheduled__2026-12-12T00:00:00+00:00",
              "--data-dir", str(data_dir)]
    assert "trends: 21 rows" in spark_submit("analyze.py", common + ["--only", "trends,dimension_trends,data_quality"])  # 3 days x 7
    analyzed = spark_submit("analyze.py", common + ["--only", "daily_event_counts,purchases_by_item,guild_joins,"
                                                              "host_providers,user_agents,clients,automation,"
                                                              "engagement"])
    assert "engagement: 1 rows" in analyzed
    assert "ground truth: match" in spark_submit("report.py", common)
    return data_dir / "artifacts" / DAY.isoformat()


def test_the_report_renders_in_headless_chromium(published, tmp_path):
    screenshots = load_settings().data_dir / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    shot = screenshots / f"report-{DAY.isoformat()}.png"
    shot.unlink(missing_ok=True)
    page = (published / "report.html").as_uri()
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 2000)
    assert len(png) > 100_000  # text, tables and charts, not a blank page


def test_the_rendered_page_shows_the_answers(published, tmp_path):
    dom = chromium(tmp_path, "--dump-dom", (published / "report.html").as_uri()).stdout
    truth = json.loads((published.parent.parent / "truth" / f"{DAY.isoformat()}.json").read_text())
    assert f"Game events — {DAY.isoformat()}" in dom
    assert "The figures match the generator's ground truth (16 checks)." in dom
    # What the browser shows, against the generator's truth file (not the report's own summary.json).
    assert shown_figures(dom) == truth_figures(truth)
    assert dom.count("<img") == 9  # automation, then the provider and item trends joined the six
    assert "<h2>Automation</h2>" in dom and "GuildQuest app" in dom

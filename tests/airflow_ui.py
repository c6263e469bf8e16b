"""Airflow's web UI driven in headless Chromium, as a user would: log in, fill the DAG's run dialog.

Used by the tests that look at the UI (tests/dags) or start runs from it rather than the REST API
(tests/reliability).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

from game_events.airflow_api import DAG_ID, AirflowClient

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


@contextmanager
def logged_in_page(client: AirflowClient):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{client.base_url}/")
            page.fill("input[name=username]", client.username)
            page.fill("input[name=password]", client.password)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "login" not in url, timeout=30_000)
            yield page
        finally:
            browser.close()


def _pick_datetime(page, index: int, day: date) -> None:
    """Fill the index-th date-and-time picker of the dialog with day 00:00 (the pickers take typed text)."""
    page.get_by_test_id("datetime-input").nth(index).click()
    popover = page.locator("[data-scope=popover][data-part=content]:visible").last
    popover.get_by_placeholder("YYYY/MM/DD").fill(day.strftime("%Y/%m/%d"))
    popover.get_by_placeholder("HH:mm").fill("00:00")
    page.keyboard.press("Escape")


def fill_backfill_dialog(page, client: AirflowClient, start: date, end: date, max_active_runs: int,
                         params: dict[str, object], dag_id: str = DAG_ID) -> None:
    """Open Trigger → Backfill on the DAG's page and fill the range, max active runs and the run params."""
    page.goto(f"{client.base_url}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog").filter(has_text="Run this Dag for a range of dates")
    dialog.locator("label", has_text="Backfill").first.click()
    _pick_datetime(page, 0, start)
    _pick_datetime(page, 1, end)
    dialog.locator("label", has_text="All Runs").first.click()  # reprocess_behavior=completed, as the CLI
    dialog.locator("input[name=max_active_runs]").fill(str(max_active_runs))
    # Airflow 3.3.2's dialog sends the form's params as the backfill's conf only with this box ticked;
    # unticked, every run gets the DAG's defaults whatever the form shows (seen: dag_run_conf null).
    dialog.locator("label", has_text="Override parameters on existing runs").first.click()
    for name, value in params.items():
        dialog.locator(f"input[name=element_{name}]").fill(str(value))


def submit_backfill(page) -> None:
    page.get_by_role("button", name="Run Backfill").click()

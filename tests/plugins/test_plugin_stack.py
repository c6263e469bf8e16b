"""The plugin in a real Airflow api-server (plugins/game_events_plugin.py): Airflow lists it, the real
DAG's check_offsets runs as a task of a DAG run against the real broker and hands its report on as XCom,
and the "Game events reports" view serves a real day's report only to a logged-in user, confines paths to
the artifacts root, and shows inside the Airflow UI in headless Chromium (screenshot kept in
data/screenshots/airflow-reports-view.png).

Run: .venv/bin/python -m pytest tests/plugins/test_plugin_stack.py   (with the broker up; ~3 minutes)
"""

from __future__ import annotations

import http.client
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests
from confluent_kafka import Producer

from game_events.airflow_api import DAG_ID, AirflowClient
from game_events.kafka import ensure_topic
from game_events.settings import PROJECT_ROOT
from tests.plugins.reports_stack import airflow_sh, build_real_artifacts, quiet_dag_with_run, stack_env
from tests.stacks import delete_database

DAY = date(2026, 11, 20)
RUN_ID = f"plugin-test__{DAY.isoformat()}"  # the run check_offsets runs in; the report links to it
VIEW = "/game-events-reports"
SCREENSHOTS = PROJECT_ROOT / "data" / "screenshots"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, broker, settings):
    base = tmp_path_factory.mktemp("plugin-stack")
    env = stack_env(base, broker)
    data_dir = Path(env["GAME_EVENTS_DATA_DIR"])
    with ThreadPoolExecutor(1) as pool:
        artifacts = pool.submit(build_real_artifacts, data_dir, DAY, RUN_ID)
        try:
            airflow_sh("up", env)
            password = json.loads((Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated")
                                  .read_text())["admin"]
            client = AirflowClient(env["AIRFLOW__API__BASE_URL"], "admin", password)
            quiet_dag_with_run(client, RUN_ID, f"{DAY.isoformat()}T00:00:00Z")
            artifacts.result()
            yield env, client, data_dir
        finally:
            airflow_sh("down", env)
            delete_database(env)


def get(client: AirflowClient, path: str, **kwargs) -> requests.Response:
    return client.session.get(f"{client.base_url}{path}", timeout=30, allow_redirects=False, **kwargs)


def test_airflow_lists_the_plugin_with_its_app_and_menu_entry(stack):
    _, client, _ = stack
    plugins = {p["name"]: p for p in client._call("GET", "/plugins")["plugins"]}
    assert plugins["game_events"]["source"] == "$PLUGINS_FOLDER/game_events_plugin.py"
    assert plugins["game_events"]["fastapi_apps"][0]["url_prefix"] == VIEW
    assert plugins["game_events"]["external_views"][0]["name"] == "Game events reports"
    assert client._call("GET", "/importErrors")["total_entries"] == 0


def test_check_offsets_runs_in_a_dag_run_and_hands_its_report_on(stack, settings):
    env, client, _ = stack
    ensure_topic(env["KAFKA_TOPIC"], partitions=3, replication=1, settings=settings)
    producer = Producer({"bootstrap.servers": env["KAFKA_BOOTSTRAP_SERVERS"]})
    for partition, count in ((0, 4), (2, 7)):
        for i in range(count):
            producer.produce(env["KAFKA_TOPIC"], value=b"{}", partition=partition)
    assert producer.flush(30) == 0
    # Only this task of the real DAG, in the run created for it (the DAG is paused: nothing else runs).
    command = f". scripts/airflow-env.sh && exec airflow tasks test {DAG_ID} check_offsets {DAY}T00:00:00+00:00"
    result = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "partition        low       high   ingested        new        lag" in log  # the table, in the log
    states = {t["task_id"]: t["state"] for t in client.task_instances(RUN_ID)}
    assert states["check_offsets"] == "success" and states["filtered_writes"] is None
    xcom = client._call("GET", f"/dags/{DAG_ID}/dagRuns/{RUN_ID}/taskInstances/check_offsets/xcomEntries/return_value")
    assert xcom["value"]["topic"] == env["KAFKA_TOPIC"]
    assert [(p["partition"], p["low"], p["high"], p["new"], p["lag"]) for p in xcom["value"]["partitions"]] == [
        (0, 0, 4, 4, 4), (1, 0, 0, 0, 0), (2, 0, 7, 7, 7)]
    assert xcom["value"]["new_messages"] == 11


def test_the_view_lists_the_day_with_its_quality_figures_and_run(stack):
    _, client, data_dir = stack
    page = get(client, f"{VIEW}/")
    assert page.status_code == 200, page.text[:500]
    summary = json.loads((data_dir / "artifacts" / DAY.isoformat() / "summary.json").read_text())
    assert f'href="{VIEW}/days/{DAY}"' in page.text
    assert f"<td>{summary['events']}</td><td>{summary['data_quality']['rows_in_lake']}</td>" in page.text
    assert f'href="{client.base_url}/dags/{DAG_ID}/runs/{quote(RUN_ID, safe="")}"' in page.text


def test_the_view_serves_the_real_report_of_a_day_and_404_for_another(stack):
    _, client, data_dir = stack
    published = data_dir / "artifacts" / DAY.isoformat()
    page = get(client, f"{VIEW}/days/{DAY}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"<h1>Game events — {DAY}</h1>" in page.text
    assert page.text.count("data:image/png;base64,") >= 5  # the report's charts, inline
    assert "data quality" in page.text and RUN_ID in page.text
    summary = get(client, f"{VIEW}/days/{DAY}/files/summary.json")
    assert summary.status_code == 200 and summary.json() == json.loads((published / "summary.json").read_text())
    assert get(client, f"{VIEW}/days/2026-11-21").status_code == 404
    assert get(client, f"{VIEW}/days/{DAY}/files/tables/missing.csv").status_code == 404


def test_without_a_logged_in_user_no_report_is_served(stack):
    _, client, _ = stack
    url = f"{client.base_url}{VIEW}/days/{DAY}"
    anonymous = requests.get(url, timeout=30, allow_redirects=False)
    assert anonymous.status_code == 401 and "Game events" not in anonymous.text
    browser = requests.get(url, headers={"Accept": "text/html"}, timeout=30, allow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"].startswith("/auth/login?next=")
    forged = requests.get(url, cookies={"_token": "not-a-jwt"}, timeout=30, allow_redirects=False)
    assert forged.status_code == 403 and "Game events" not in forged.text
    for path in (f"{VIEW}/", f"{VIEW}/days/{DAY}/files/summary.json"):
        assert requests.get(f"{client.base_url}{path}", timeout=30).status_code == 401
    token = client.session.headers["Authorization"].removeprefix("Bearer ")
    assert requests.get(url, cookies={"_token": token}, timeout=30).status_code == 200  # the UI's cookie


def raw_get(client: AirflowClient, path: str) -> tuple[int, bytes]:
    """The path exactly as given: HTTP libraries would normalise `..` away before sending it."""
    connection = http.client.HTTPConnection(urlsplit(client.base_url).netloc, timeout=30)
    connection.request("GET", path, headers={"Authorization": client.session.headers["Authorization"]})
    response = connection.getresponse()
    return response.status, response.read()


def test_paths_outside_the_artifacts_root_are_refused(stack):
    _, client, data_dir = stack
    secret = data_dir / "secret.txt"
    secret.write_text("not an artifact")
    (data_dir / "artifacts" / DAY.isoformat() / "leak.txt").symlink_to(secret)
    assert raw_get(client, f"{VIEW}/days/{DAY}/files/run.json")[0] == 200  # the request form works
    for path in (f"{VIEW}/days/{DAY}/files/../../secret.txt", f"{VIEW}/days/{DAY}/files/%2e%2e/%2e%2e/secret.txt",
                 f"{VIEW}/days/{DAY}/files/..%2f..%2fsecret.txt", f"{VIEW}/days/{DAY}/files//etc/passwd",
                 f"{VIEW}/days/{DAY}/files/%2fetc%2fpasswd", f"{VIEW}/days/..%2f..%2fsecret.txt",
                 f"{VIEW}/days/%2e%2e/files/secret.txt", f"{VIEW}/days/{DAY}/files/leak.txt",
                 f"{VIEW}/days/2026-1-20", f"{VIEW}/../secret.txt"):
        status, body = raw_get(client, path)
        assert status in (400, 404), (path, status)
        assert b"not an artifact" not in body and b"root:" not in body


def test_a_browser_logs_in_and_sees_the_report_inside_the_airflow_ui(stack):
    from playwright.sync_api import sync_playwright

    _, client, _ = stack
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot, listing = SCREENSHOTS / "airflow-reports-view.png", SCREENSHOTS / "airflow-reports-list.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
            "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 2200})  # down to the first charts
        page.goto(f"{client.base_url}/plugin/game-events-reports")  # not logged in: the login form first
        page.fill("input[name=username]", client.username)
        page.fill("input[name=password]", client.password)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "login" not in url, timeout=30_000)
        page.goto(f"{client.base_url}/plugin/game-events-reports")  # the menu entry's page: our app in a frame
        frame = page.frame_locator("iframe")
        frame.get_by_role("link", name=DAY.isoformat(), exact=True).wait_for(timeout=30_000)
        page.screenshot(path=str(listing))
        frame.get_by_role("link", name=DAY.isoformat(), exact=True).click()
        frame.get_by_text(f"Game events — {DAY}").wait_for(timeout=30_000)
        charts = frame.locator("img[src^='data:image/png']")
        charts.first.wait_for(timeout=30_000)  # the charts, inline images
        page.screenshot(path=str(shot))
        # (The UI mirrors the frame's path into its own URL, so match the whole URL.)
        report_frame = next(f for f in page.frames if f.url == f"{client.base_url}{VIEW}/days/{DAY}")
        text, around = report_frame.inner_text("body"), page.inner_text("body")
        run_link = report_frame.get_by_role("link", name=RUN_ID).get_attribute("href")
        browser.close()
    assert "Browse" in around and "Admin" in around  # the Airflow UI around the view
    assert "data quality" in text and "rows in lake" in text and "Ground truth" in text
    assert "leak.txt" not in text  # a link out of the root is not even listed
    assert run_link == f"{client.base_url}/dags/{DAG_ID}/runs/{quote(RUN_ID, safe='')}"
    assert client._call("GET", f"/dags/{DAG_ID}/dagRuns/{RUN_ID}")["dag_run_id"] == RUN_ID  # the link's run exists
    assert shot.stat().st_size > 50_000 and listing.stat().st_size > 10_000

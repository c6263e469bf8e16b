"""The "Game events reports" view: a FastAPI app the api-server mounts under /game-events-reports
(see plugins/game_events_plugin.py), shown inside the Airflow UI from its Browse menu.

    GET /game-events-reports/                          the days with artifacts and their figures
    GET /game-events-reports/days/<D>                  D's report.html (charts inline) under a header
                                                       with the data-quality figures and the DAG run link
    GET /game-events-reports/days/<D>/files/<path>     one artifact of D (tables/*.csv, summary.json, ...)

Authentication is Airflow's own: every route depends on airflow.api_fastapi.core_api.security.get_user
(the JWT of an `Authorization: Bearer` header or of the UI's `_token` cookie, validated by the auth
manager), then asks the auth manager whether that user may read game_events_daily's runs. Without a
user a browser is sent to the login page and any other client gets 401; nothing is read before that.
Paths are confined to the artifacts root by game_events.artifacts.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.configuration import conf
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from game_events import artifacts
from game_events.settings import load_settings

URL_PREFIX = "/game-events-reports"
DAG_ID = "game_events_daily"
STYLE = """<style>
.gev { font: 14px system-ui, sans-serif; background: #f4f6fa; border-bottom: 1px solid #ccd; padding: 10px 16px; }
.gev table { border-collapse: collapse; margin-top: 6px; } .gev td, .gev th { padding: 3px 10px; text-align: right; }
.gev th { text-align: left; } .gev a { color: #0b57d0; }
</style>"""


def authorized_user(user: GetUserDep):
    """The logged-in user, if the auth manager lets them read the DAG's runs (403 otherwise)."""
    if not get_auth_manager().is_authorized_dag(method="GET", access_entity=DagAccessEntity.RUN,
                                                details=DagDetails(id=DAG_ID), user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"not allowed to read {DAG_ID}'s runs")
    return user


User = Annotated[object, Depends(authorized_user)]


def _root() -> Path:
    return load_settings().artifacts_dir  # read per request: GAME_EVENTS_DATA_DIR of the api-server


def _run_link(run_id: str | None) -> str:
    if not run_id:
        return "no run recorded"
    base = conf.get("api", "base_url", fallback="").rstrip("/")
    href = f"{base}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"
    return f'<a target="_top" href="{html.escape(href)}">{html.escape(run_id)}</a>'


def _quality_cells(quality: dict) -> str:
    names = ("rows_in_lake", "valid", "duplicates", "quarantined", "late_events", "runs")
    return "".join(f"<td>{html.escape(str(quality.get(n, '')))}</td>" for n in names) + \
        f"<td>{'yes' if quality.get('restated') else 'no'}</td>"


QUALITY_HEADER = ("<th>rows in lake</th><th>valid</th><th>duplicates</th><th>quarantined</th><th>late</th>"
                  "<th>runs</th><th>restated</th>")


def _truth(overview: dict) -> str:
    truth = overview["ground_truth"]
    return "n/a" if not truth.get("available") else "match" if truth.get("matches") else "MISMATCH"


def index_page(root: Path, prefix: str) -> str:
    rows = []
    for day in artifacts.list_days(root):
        overview = artifacts.day_overview(root, day)
        rows.append(f'<tr><th><a href="{prefix}/days/{day}">{day}</a></th><td>{overview["events"]}</td>'
                    f'{_quality_cells(overview["data_quality"])}<td>{_truth(overview)}</td>'
                    f'<td>{_run_link(overview["run_id"])}</td></tr>')
    body = ("<table><tr><th>day</th><th>events</th>" + QUALITY_HEADER + "<th>ground truth</th><th>DAG run</th></tr>"
            + "".join(rows) + "</table>") if rows else f"<p>No published reports under {html.escape(str(root))}.</p>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Game events reports</title>{STYLE}</head>"
            f"<body class='gev'><h2>Game events reports</h2><p>{len(rows)} day(s) with artifacts.</p>{body}"
            "</body></html>")


def day_banner(overview: dict, prefix: str) -> str:
    day = overview["date"]
    files = " · ".join(f'<a href="{prefix}/days/{day}/files/{quote(f)}">{html.escape(f)}</a>'
                       for f in overview["files"] if not f.startswith("charts/") and f != artifacts.REPORT)
    return (f"{STYLE}<div class='gev'><a href='{prefix}/'>&larr; all days</a> · <b>{day}</b> · DAG run: "
            f"{_run_link(overview['run_id'])} · ground truth: {_truth(overview)}"
            f"<table><tr><th>data quality</th>{QUALITY_HEADER}</tr><tr><th></th>"
            f"{_quality_cells(overview['data_quality'])}</tr></table><div>files: {files}</div></div>")


def create_app() -> FastAPI:
    app = FastAPI(title="Game events reports", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HTTPException)
    async def login_for_browsers(request: Request, exc: HTTPException):
        # A browser without a session goes to Airflow's login page and comes back; APIs get the 401.
        if exc.status_code == 401 and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), 303)
        return await http_exception_handler(request, exc)

    def found(call, *args):
        try:
            return call(*args)
        except artifacts.NotFound as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, user: User) -> str:
        return index_page(_root(), request.scope.get("root_path", URL_PREFIX))

    @app.get("/days/{day}", response_class=HTMLResponse)
    def day_report(day: str, request: Request, user: User) -> str:
        root, prefix = _root(), request.scope.get("root_path", URL_PREFIX)
        report = found(artifacts.artifact_path, root, day, artifacts.REPORT).read_text()
        banner = day_banner(found(artifacts.day_overview, root, day), prefix)
        head, marker, rest = report.partition("<body>")
        return head + marker + banner + rest if marker else banner + report

    @app.get("/days/{day}/files/{path:path}")
    def day_file(day: str, path: str, user: User) -> FileResponse:
        return FileResponse(found(artifacts.artifact_path, _root(), day, path))

    return app


app = create_app()

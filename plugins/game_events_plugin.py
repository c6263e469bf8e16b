"""Registers the project's Airflow plugin: the "Game events reports" view in the Airflow UI.

The api-server mounts the FastAPI app of game_events_airflow.reports under /game-events-reports, and
an external view with a url_route embeds it in the UI (Browse > Game events reports). The offsets
sensor (game_events_airflow.offsets) needs no registration: DAGs import it, plugins/ is on sys.path.
Check: `airflow plugins` lists `game_events`.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from game_events_airflow.reports import URL_PREFIX, app


class GameEventsPlugin(AirflowPlugin):
    name = "game_events"
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": "Game events reports"}]
    # url_route: the UI shows the app in an iframe at /plugin/game-events-reports, under Browse.
    external_views = [{"name": "Game events reports", "href": f"{URL_PREFIX}/", "url_route": "game-events-reports",
                       "destination": "nav", "category": "browse"}]

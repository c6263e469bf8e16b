"""Which refusals of Airflow's REST API the client retries: only a database that is busy at that moment
(the embedded SQLite's write lock), never a refusal about the request itself."""

from __future__ import annotations

import pytest
import requests

from game_events.airflow_api import _database_busy


def _response(status: int, body: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    return response


@pytest.mark.parametrize(("status", "body", "busy"), [
    (503, '{"detail": "database is locked"}', True),
    # What the api-server answered when SQLite's lock hit its audit-log insert (tests/reliability case 6).
    (500, '{"detail":{"reason":"Database error","statement":"hidden","orig_error":"hidden"}}', True),
    (500, '{"detail": "Internal Server Error"}', False),
    (409, '{"detail": "Database error"}', False),
    (422, '{"detail": "from_date must be before to_date"}', False),
])
def test_only_a_busy_database_is_retried(status, body, busy):
    assert _database_busy(_response(status, body)) is busy

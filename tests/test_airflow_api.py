"""Which refusals of Airflow's REST API the client retries: only a database that is busy at that moment
(the embedded SQLite's write lock), never a refusal about the request itself. And the scheduler latency
the backfill command reports, from task instances as the REST API returns them."""

from __future__ import annotations

import pytest
import requests

from game_events.airflow_api import _database_busy, scheduler_latency


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


def test_scheduler_latency_is_queued_to_running_over_the_tasks_that_ran():
    def ti(queued: str | None, started: str | None) -> dict:
        return {"queued_when": queued, "start_date": started}

    # Waits of 1, 2, 3, 4 and 10 s, by hand; a task never queued and one queued but not started do not count.
    tasks = [ti("2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z"), ti("2026-12-01T00:00:00Z", "2026-12-01T00:00:02Z"),
             ti("2026-12-01T00:00:00+00:00", "2026-12-01T00:00:03.000000+00:00"),
             ti("2026-12-01T00:00:00Z", "2026-12-01T00:00:04Z"), ti("2026-12-01T00:00:00Z", "2026-12-01T00:00:10Z"),
             ti(None, None), ti("2026-12-01T00:00:00Z", None)]
    assert scheduler_latency(tasks) == {"tasks": 5, "p50_s": 3.0, "p95_s": 10.0, "max_s": 10.0}
    assert scheduler_latency([ti(None, None)]) == {"tasks": 0}

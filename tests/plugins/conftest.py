"""Plugin tests use the same throw-away Airflow settings as tests/dags (set before airflow is imported):
AIRFLOW__CORE__PLUGINS_FOLDER points at plugins/, so `game_events_airflow` imports like in Airflow."""

from __future__ import annotations

import tests.dags.conftest  # noqa: F401  (sets the environment at import)

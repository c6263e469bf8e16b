"""Do the day's tables agree with the generator's ground truth (data/truth/D.json)? Pure Python.

The truth's business figures count player traffic (browsers and the game's apps), as the business
tables do; its client figures (lake rows, events and players per client class and OS, automation per
client and provider) count every event, as the clients, automation and data_quality tables do. The
truth knows each event's client from the generator's catalog, not from the lake's parsers.

The truth counts the valid, distinct events the generator made with event_ts in D. Two things make
the lake hold more for D than that file says: late events that a *later* day's generation made for D
(listed in that day's truth under injected.late / late_date). Those are added to the expected
events_by_type (the players' late events) and lake_rows (all of them); the checks that cannot be
corrected by type counts alone are then reported as not comparable rather than as failures.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from spark.analysis.tables import Table

MATCH, MISMATCH, NOT_COMPARABLE = "match", "mismatch", "not comparable"


def read_truth(truth_dir: Path, day: date) -> dict[str, Any] | None:
    path = truth_dir / f"{day.isoformat()}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def late_events_for(truth_dir: Path, day: date) -> dict[str, dict[str, int]]:
    """Late events other days' generations made for `day`, by event type: {"all": ..., "players": ...}."""
    late: dict[str, dict[str, int]] = {"all": {}, "players": {}}
    for path in sorted(truth_dir.glob("*.json")):
        injected = json.loads(path.read_text(encoding="utf-8")).get("injected", {})
        if injected.get("late_date") == day.isoformat() and injected.get("late"):
            for scope, key in (("all", "late_events_by_type"), ("players", "late_player_events_by_type")):
                for event_type, count in injected.get(key, {}).items():
                    late[scope][event_type] = late[scope].get(event_type, 0) + count
    return late


def _non_zero(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value}


def _by_key(table: Table, key: str, value: str, where: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = [row for row in table.rows if all(row[k] == v for k, v in (where or {}).items())]
    return _non_zero({row[key]: row[value] for row in rows})


def _nested(rows, outer: str, inner: str, value: str) -> dict[str, dict[str, Any]]:
    nested: dict[str, dict[str, Any]] = {}
    for row in rows:
        nested.setdefault(row[outer], {})[row[inner]] = row[value]
    return nested


def actual_figures(tables: dict[str, Table]) -> dict[str, Any]:
    """The tables' figures in the shape of the truth file."""
    items, providers = tables["purchases_by_item"], tables["host_providers"]
    provider_items = _nested([row for row in providers.rows if row["item_type"] != "all"],
                             "host_provider", "item_type", "purchases")
    class_systems = [row for row in tables["clients"].rows if row["ua_os"] != "all"]
    engagement = tables["engagement"].rows[0]
    return {
        "events_by_type": _by_key(tables["daily_event_counts"], "event_type", "events"),
        "purchases_by_item": {row["item_type"]: {k: row[k] for k in ("purchases", "units", "revenue_cents",
                                                                     "unique_buyers")} for row in items.rows},
        "purchases_by_provider_item": provider_items,
        "events_by_provider": _by_key(providers, "host_provider", "events", {"item_type": "all"}),
        "users_by_provider": _by_key(providers, "host_provider", "users", {"item_type": "all"}),
        "revenue_by_provider_cents": _by_key(providers, "host_provider", "revenue_cents", {"item_type": "all"}),
        "revenue_cents": engagement["revenue_cents"],
        "unique_users": engagement["active_users"],
        "unique_buyers": engagement["buyers"],
        "guild_joins_by_guild": {row["guild_id"]: {"joins": row["joins"], "unique_joiners": row["unique_joiners"]}
                                 for row in tables["guild_joins"].rows},
        "lake_rows": sum(row["value"] for row in tables["data_quality"].rows if row["metric"] == "rows_in_lake"),
        "events_by_client_class": _by_key(tables["clients"], "client_class", "events", {"ua_os": "all"}),
        "users_by_client_class": _by_key(tables["clients"], "client_class", "users", {"ua_os": "all"}),
        "events_by_client_class_os": _nested(class_systems, "client_class", "ua_os", "events"),
        "users_by_client_class_os": _nested(class_systems, "client_class", "ua_os", "users"),
        "automation_events_by_client_provider": _nested(tables["automation"].rows, "ua_family", "host_provider",
                                                        "events"),
    }


# The checks that late events can be added to by type; every other one is not comparable on such a day.
_LATE_CORRECTED = ("events_by_type", "lake_rows")


def compare_with_truth(tables: dict[str, Table], truth: dict[str, Any],
                       late_for_day: dict[str, dict[str, int]] | None = None) -> list[dict[str, Any]]:
    """One check per truth figure: {check, status, expected, actual}, in a fixed order.

    late_for_day is late_events_for's answer ({"all": by type, "players": by type})."""
    late_all = _non_zero((late_for_day or {}).get("all", {}))
    late_players = (late_for_day or {}).get("players", {})
    actual = actual_figures(tables)
    expected = dict(truth)
    expected["events_by_type"] = _non_zero({event_type: count + late_players.get(event_type, 0)
                                           for event_type, count in truth["events_by_type"].items()})
    expected["lake_rows"] = sum(truth.get("lake_rows_by_type", {}).values()) + sum(late_all.values())
    for key in ("events_by_provider", "users_by_provider", "revenue_by_provider_cents"):
        expected[key] = _non_zero(truth[key])
    checks = []
    for name in actual:
        if late_all and name not in _LATE_CORRECTED:
            status = NOT_COMPARABLE  # late events of unknown item/provider/user/client were added to the day
        else:
            # A truth file older than a figure lacks it (None): a mismatch, so that the report says so.
            status = MATCH if actual[name] == expected.get(name) else MISMATCH
        checks.append({"check": name, "status": status, "expected": expected.get(name), "actual": actual[name]})
    return checks


def verdict(checks: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The headline: available, matches (True/False, None without a truth file) and the check names."""
    if checks is None:
        return {"available": False, "matches": None, "checks": 0, "mismatches": [], "not_comparable": []}
    mismatches = [c["check"] for c in checks if c["status"] == MISMATCH]
    return {"available": True, "matches": not mismatches, "checks": len(checks), "mismatches": mismatches,
            "not_comparable": [c["check"] for c in checks if c["status"] == NOT_COMPARABLE]}

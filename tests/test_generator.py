"""The generator without I/O: deterministic, valid, inside its day, and its truth recounted independently."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from game_events import contract
from game_events.generator import Outage, generate_day, write_truth
from game_events.serde import DecodeError, decode_event
from tests.api.truth_recount import provider_from_host, recount

DAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def faulty_day():
    return generate_day(DAY, 5_000, seed=3, duplicates=0.02, late=0.03, malformed=0.01)


def test_same_arguments_give_the_same_day():
    first = generate_day(DAY, 2_000, seed=11, duplicates=0.05, late=0.05, malformed=0.05)
    again = generate_day(DAY, 2_000, seed=11, duplicates=0.05, late=0.05, malformed=0.05)
    assert first.events == again.events
    assert first.malformed == again.malformed
    assert first.truth == again.truth
    other_seed = generate_day(DAY, 2_000, seed=12)
    assert {e["event_id"] for e in other_seed.events}.isdisjoint({e["event_id"] for e in first.events})


def test_players_keep_provider_and_client_across_days():
    monday, tuesday = generate_day(DAY, 3_000), generate_day(DAY + timedelta(days=1), 3_000)
    hosts = defaultdict(set)
    for event in monday.events + tuesday.events:
        hosts[event["user_id"]].add((event["host"], event["user_agent"]))
    assert all(len(pairs) == 1 for pairs in hosts.values())
    assert {e["event_id"] for e in monday.events}.isdisjoint({e["event_id"] for e in tuesday.events})


def test_every_event_is_valid_and_on_its_day(faulty_day):
    assert all(contract.validate(e) == [] for e in faulty_day.events)
    late_ids = Counter()
    for event in faulty_day.events:
        event_day = contract.parse_ts(event["event_ts"]).date()
        assert event_day in (DAY, DAY - timedelta(days=1))
        if event_day != DAY:
            late_ids[event["event_id"]] += 1
    injected = faulty_day.truth["injected"]
    assert len(late_ids) == injected["late"] == 150
    assert injected["late_date"] == "2026-11-26"
    assert sum(injected["late_events_by_type"].values()) == 150
    late_players = [e for e in faulty_day.events if e["event_id"] in late_ids
                    and faulty_day.players[e["user_id"]].client.client_class != "automation"]
    assert sum(injected["late_player_events_by_type"].values()) == len(late_players) < 150


def test_duplicates_are_exact_resends_sent_after_their_original(faulty_day):
    seen: dict[str, tuple[int, dict]] = {}
    duplicates = 0
    for position, event in enumerate(faulty_day.events):
        if event["event_id"] in seen:
            first_position, original = seen[event["event_id"]]
            assert event == original and position > first_position
            duplicates += 1
        else:
            seen[event["event_id"]] = (position, event)
    assert duplicates == faulty_day.truth["injected"]["duplicates"] == 100
    assert len(faulty_day.events) == 5_000 + 100 + 150


def test_malformed_records_all_break_the_contract(faulty_day):
    assert len(faulty_day.malformed) == faulty_day.truth["injected"]["malformed"] == 50
    for raw in faulty_day.malformed:
        try:
            event = decode_event(raw)
        except DecodeError:
            continue
        assert contract.validate(event), raw


def test_truth_matches_an_independent_recount(faulty_day):
    truth = faulty_day.truth
    counted = recount(faulty_day.events, DAY, provider_from_host)
    assert truth["events_requested"] == 5_000
    assert truth["events_by_type"] == counted["events_by_type"]
    # Every requested event is a lake row; the business figures leave the automation among them out.
    assert sum(truth["lake_rows_by_type"].values()) == counted["lake_rows"] == 5_000
    assert sum(truth["events_by_client_class"].values()) == 5_000
    assert sum(truth["events_by_type"].values()) == 5_000 - truth["events_by_client_class"]["automation"]
    assert truth["events_by_client_class"] == counted["events_by_client_class"]
    assert {(cls, os): n for cls, systems in truth["events_by_client_class_os"].items()
            for os, n in systems.items()} == counted["events_by_client_os"]
    assert {(family, provider): n for family, providers in truth["automation_events_by_client_provider"].items()
            for provider, n in providers.items()} == counted["automation_events_by_client_provider"]
    assert truth["purchases_by_item"] == counted["purchases_by_item"]
    assert truth["purchases_by_provider_item"] == counted["purchases_by_provider_item"]
    assert truth["events_by_provider"] == counted["events_by_provider"]
    assert truth["revenue_cents"] == counted["revenue_cents"] == sum(truth["revenue_by_provider_cents"].values())
    assert truth["unique_users"] == counted["unique_users"]
    assert truth["unique_buyers"] == counted["unique_buyers"]
    assert {g: v["joins"] for g, v in truth["guild_joins_by_guild"].items()} == counted["guild_joins"]


def test_providers_include_multi_label_suffixes_and_differ(faulty_day):
    providers = faulty_day.truth["events_by_provider"]
    assert {"comcast.com", "att.com", "google.com", "frontier.com", "cox.com", "earthlink.com"} <= set(providers)
    assert {"virginmedia.co.uk", "bigpond.com.au"} <= set(providers)
    by_item = faulty_day.truth["purchases_by_provider_item"]

    def knife_share(provider: str) -> float:
        return by_item[provider].get("knife", 0) / sum(by_item[provider].values())

    # Earthlink's players prefer knives (catalog preference 2.0 vs 1.0): a difference to be found.
    assert knife_share("earthlink.com") > knife_share("comcast.com")


def test_item_trend_over_the_year():
    def gauntlet_share(day: date) -> float:
        items = generate_day(day, 4_000).truth["purchases_by_item"]
        return items["gauntlets"]["purchases"] / sum(v["purchases"] for v in items.values())

    assert gauntlet_share(date(2026, 12, 1)) > gauntlet_share(date(2026, 2, 1))


def test_truth_counts_players_and_clients_by_class_and_os(faulty_day):
    truth = faulty_day.truth
    assert set(truth["events_by_client_class"]) == {"browser", "app", "automation"}
    assert set(truth["events_by_client_class_os"]["app"]) == {"iOS", "Android"}
    assert set(truth["events_by_client_class_os"]["automation"]) == {"Other"}
    assert "Googlebot" in truth["automation_events_by_client_provider"]  # curl's 1 % of players may be none
    assert set(truth["automation_events_by_client_provider"]) <= {"Googlebot", "curl", "Python Requests"}
    # A player has one client, so the players per class add up to the day's players (automation included).
    automation_users = truth["users_by_client_class"]["automation"]
    assert sum(truth["users_by_client_class"].values()) == truth["unique_users"] + automation_users
    assert all(truth["users_by_client_class_os"][cls][os] <= n for cls, systems in
               truth["events_by_client_class_os"].items() for os, n in systems.items())


def test_truth_file_is_sorted_and_stable(tmp_path, faulty_day):
    path = write_truth(faulty_day, tmp_path / "truth")
    assert path.name == "2026-11-27.json"
    text = path.read_text()
    loaded = json.loads(text)
    assert loaded == faulty_day.truth
    assert list(loaded) == sorted(loaded)
    assert list(loaded["purchases_by_provider_item"]) == sorted(loaded["purchases_by_provider_item"])
    assert write_truth(generate_day(DAY, 5_000, seed=3, duplicates=0.02, late=0.03, malformed=0.01),
                       tmp_path / "truth").read_text() == text
    assert set(loaded) >= {"events_by_type", "purchases_by_item", "purchases_by_provider_item", "revenue_cents",
                           "unique_users", "unique_buyers", "guild_joins_by_guild", "injected",
                           "events_by_provider", "users_by_provider", "revenue_by_provider_cents",
                           "lake_rows_by_type", "events_by_client_class", "users_by_client_class",
                           "events_by_client_class_os", "users_by_client_class_os",
                           "automation_events_by_client_provider"}


def test_rates_out_of_range_are_refused():
    with pytest.raises(ValueError):
        generate_day(DAY, 10, duplicates=1.5)
    with pytest.raises(ValueError):
        generate_day(DAY, -1)


def test_an_empty_day_has_an_empty_truth(tmp_path):
    day = generate_day(DAY, 0)
    assert day.events == [] and day.truth["events_by_type"] == {"join_guild": 0, "purchase_item": 0}
    assert day.truth["lake_rows_by_type"] == {"join_guild": 0, "purchase_item": 0}
    assert day.truth["events_by_client_class"] == {} and day.truth["automation_events_by_client_provider"] == {}
    assert json.loads(write_truth(day, tmp_path).read_text()) == day.truth  # the file holds the whole truth


def test_an_outage_takes_a_seeded_share_of_one_providers_players_offline():
    normal = generate_day(DAY, 3_000, seed=4)
    outage = generate_day(DAY, 3_000, seed=4, outage=Outage("comcast.com", 0.5))
    assert outage.events == generate_day(DAY, 3_000, seed=4, outage=Outage.parse("comcast.com:0.5")).events
    recorded = outage.truth["injected"]["outage"]
    assert normal.truth["injected"]["outage"] is None
    # The outage day is the normal day without the offline players' events: nothing else changes.
    offline = {e["user_id"] for e in normal.events} - {e["user_id"] for e in outage.events}
    assert outage.events == [e for e in normal.events if e["user_id"] not in offline]
    assert {normal.players[user].provider.domain for user in offline} == {"comcast.com"}
    comcast_players = {e["user_id"] for e in normal.events if normal.players[e["user_id"]].provider.domain
                       == "comcast.com"}
    assert recorded == {"provider": "comcast.com", "offline_share": 0.5, "players_offline": len(offline),
                        "events_lost": len(normal.events) - len(outage.events)}
    assert 0.3 < len(offline) / len(comcast_players) < 0.7
    assert outage.truth["users_by_provider"]["comcast.com"] == len(comcast_players) - len(offline)
    assert {p: n for p, n in outage.truth["users_by_provider"].items() if p != "comcast.com"} == {
        p: n for p, n in normal.truth["users_by_provider"].items() if p != "comcast.com"}


def test_an_outage_of_an_unknown_provider_is_refused():
    with pytest.raises(ValueError, match="unknown provider"):
        generate_day(DAY, 100, outage=Outage("example.org"))
    with pytest.raises(ValueError, match="offline share"):
        generate_day(DAY, 100, outage=Outage("comcast.com", 0.0))

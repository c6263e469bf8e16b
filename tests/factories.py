"""Valid events for tests, built through the contract's own builders; override any field by keyword."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from game_events import contract

MOMENT = datetime(2026, 11, 27, 13, 45, 1, 123456, tzinfo=timezone.utc)


def _common() -> dict:
    return dict(event_id=str(uuid.UUID(int=7)), event_ts=MOMENT, received_at=MOMENT, user_id="user7",
                host="user7.comcast.com", user_agent="Mozilla/5.0", accept="*/*", client_ip="10.1.2.0")


def a_purchase(**overrides) -> dict:
    event = contract.purchase_item(item_type="sword", price_cents=1299, quantity=2, **_common())
    event.update(overrides)
    return event


def a_guild_join(**overrides) -> dict:
    event = contract.join_guild(guild_id="red-dragons", guild_name="Red Dragons", **_common())
    event.update(overrides)
    return event

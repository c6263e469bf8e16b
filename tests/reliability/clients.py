"""Game clients for the reliability cases: they POST events one request each and record every answer.

Every request is logged as (event_id, status, sent_at, answered_at), so a case can say exactly which
events got a 2xx and what the API answered at any moment (e.g. while the broker was down).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import orjson
import requests

from game_events import contract

# One trusted proxy hop in the API under test: this is the client address it sees (and must anonymise).
HEADERS = {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.77"}


def an_event(day_start: datetime, number: int) -> dict:
    """A valid client event (the fields a client sends) for a moment of the day."""
    moment = day_start + timedelta(seconds=(number * 7919) % 86_400, microseconds=number % 1_000_000)
    return {"event_id": str(uuid.uuid4()), "event_type": contract.PURCHASE_ITEM, "event_ts": contract.format_ts(moment),
            "user_id": f"player{number % 97}", "item_type": contract.ITEM_TYPES[number % 5],
            "price_cents": 100 + number % 900, "quantity": 1 + number % 3, "currency": "USD"}


@dataclass
class Answer:
    event_id: str
    status: int  # 0: no HTTP answer (connection refused, timeout)
    sent_at: float
    answered_at: float


@dataclass
class Client:
    """POSTs to <api_url>/v1/events; thread-safe log of every answer."""
    api_url: str
    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def post(self, event: dict) -> int:
        sent_at = time.monotonic()
        try:
            status = self._session().post(f"{self.api_url}/v1/events", data=orjson.dumps(event), headers=HEADERS,
                                          timeout=30).status_code
        except requests.RequestException:
            status = 0
        with self._lock:
            self.answers.append(Answer(event["event_id"], status, sent_at, time.monotonic()))
        return status

    def post_all(self, events: list[dict], threads: int = 8) -> list[int]:
        with ThreadPoolExecutor(threads, thread_name_prefix="client") as pool:
            return list(pool.map(self.post, events))

    def accepted_ids(self) -> set[str]:
        return {a.event_id for a in self.answers if 200 <= a.status < 300}

    def accepted_requests(self) -> int:
        return sum(1 for a in self.answers if 200 <= a.status < 300)

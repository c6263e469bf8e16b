"""The figures a report page shows, read back from its HTML, and what the generator's truth file says they are.

The report tests compare the two, so a figure is checked against the generator, never against the report's
own summary or its own ground-truth verdict. Works on report.html as written and on Chromium's --dump-dom.
"""

from __future__ import annotations

import html
import re
from typing import Any

_CARD = re.compile(r'<div class="card">([^<]*)<b>([^<]*)</b>')
_CELL = re.compile(r"<t[hd]>(.*?)</t[hd]>")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def headline_cards(page: str) -> dict[str, str]:
    """{label: shown value} of the headline cards."""
    return {html.unescape(label).strip(): html.unescape(value) for label, value in _CARD.findall(page)}


def section_rows(page: str, heading: str) -> list[dict[str, str]]:
    """The rows of the first table after <h2>heading</h2>, as {column: shown text}."""
    section = page.split(f"<h2>{heading}</h2>", 1)[1]
    table = section.split("<table>", 1)[1].split("</table>", 1)[0]
    head, body = table.split("</thead>", 1)
    columns = [html.unescape(c) for c in _CELL.findall(head)]
    return [dict(zip(columns, (html.unescape(c) for c in _CELL.findall(row))))
            for row in body.split("</tr>") if "<td>" in row]


def shown_figures(page: str) -> dict[str, Any]:
    """The page's headline figures and its purchases per item, as numbers."""
    cards = headline_cards(page)
    return {
        "players_events": _number(cards["Players' events"]), "active_players": _number(cards["Active players"]),
        "buyers": _number(cards["Buyers"]), "purchases": _number(cards["Purchases"]),
        "revenue_cents": _number(cards["Revenue (cents)"]), "guild_joins": _number(cards["Guild joins"]),
        "automation_events": _number(cards["Automation events"]),
        "purchases_by_item": {row["item_type"]: {key: _number(row[key]) for key in (
            "purchases", "units", "revenue_cents", "unique_buyers")}
            for row in section_rows(page, "Purchases by item")},
    }


def truth_figures(truth: dict[str, Any]) -> dict[str, Any]:
    """The same figures from the generator's truth file (players only; automation counted apart)."""
    by_type = truth["events_by_type"]
    return {
        "players_events": sum(by_type.values()), "active_players": truth["unique_users"],
        "buyers": truth["unique_buyers"], "purchases": by_type.get("purchase_item", 0),
        "revenue_cents": truth["revenue_cents"], "guild_joins": by_type.get("join_guild", 0),
        "automation_events": truth["events_by_client_class"].get("automation", 0),
        "purchases_by_item": truth["purchases_by_item"],
    }

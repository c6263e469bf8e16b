"""The game's world as the generator plays it: items and prices, guilds, internet providers, clients.

Plain data and a few pure helpers, shared by the generator (which builds a day of players from it) and
the game API (whose convenience routes fill a purchase's price and a guild's name from it). The numbers
are chosen so that the analyses have something real to find: providers differ in how much their players
buy and what, items trend up or down over the year, and activity follows a daily curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from game_events.contract import ITEM_TYPES

CURRENCY = "USD"

# Unit prices in cents, one per contract item type.
ITEM_PRICES_CENTS: dict[str, int] = {"sword": 1299, "shield": 899, "helmet": 599, "knife": 349, "gauntlets": 749}
assert set(ITEM_PRICES_CENTS) == set(ITEM_TYPES), "the price list must cover exactly the contract's items"

# How often each item is bought, before provider preferences and the yearly trend.
ITEM_BASE_WEIGHTS: dict[str, float] = {"sword": 0.30, "shield": 0.22, "helmet": 0.18, "knife": 0.20, "gauntlets": 0.10}

# Change of each item's weight per day since TREND_EPOCH: gauntlets become fashionable, swords fade.
TREND_EPOCH = date(2026, 1, 1)
ITEM_DAILY_TREND: dict[str, float] = {"sword": -0.0015, "shield": 0.0, "helmet": 0.0005, "knife": 0.0,
                                      "gauntlets": 0.004}

# guild_id -> display name, most popular first (joins follow a Zipf-like curve down this list).
GUILDS: dict[str, str] = {
    "red-dragons": "Red Dragons", "iron-wolves": "Iron Wolves", "silver-hand": "Silver Hand",
    "night-owls": "Night Owls", "storm-riders": "Storm Riders", "ember-circle": "Ember Circle",
    "frost-giants": "Frost Giants", "golden-lions": "Golden Lions", "shadow-blades": "Shadow Blades",
    "emerald-order": "Emerald Order",
}
DEFAULT_GUILD_ID = "red-dragons"


@dataclass(frozen=True)
class Provider:
    domain: str  # the registered domain, as the lake's Public-Suffix-List logic should find it
    share: float  # fraction of players on this provider
    purchase_share: float  # chance that one of its players' events is a purchase
    item_preference: tuple[tuple[str, float], ...] = ()  # multipliers on ITEM_BASE_WEIGHTS
    ipv4_first_octet: int = 10


# The seed project's six providers plus a few more; two sit under multi-label public suffixes
# (co.uk, com.au) so that "last two labels" is visibly the wrong way to find a provider.
PROVIDERS: tuple[Provider, ...] = (
    Provider("comcast.com", 0.22, 0.62, (("sword", 1.3),), 73),
    Provider("att.com", 0.16, 0.55, (("shield", 1.4),), 99),
    Provider("google.com", 0.12, 0.71, (("sword", 1.6), ("gauntlets", 1.5)), 136),
    Provider("frontier.com", 0.10, 0.44, (("knife", 1.8),), 47),
    Provider("cox.com", 0.09, 0.50, (("helmet", 1.5),), 68),
    Provider("earthlink.com", 0.06, 0.38, (("knife", 2.0), ("sword", 0.6)), 207),
    Provider("verizon.com", 0.09, 0.58, (), 108),
    Provider("charter.net", 0.06, 0.52, (("helmet", 1.3),), 24),
    Provider("virginmedia.co.uk", 0.06, 0.60, (("shield", 1.5),), 82),
    Provider("bigpond.com.au", 0.04, 0.47, (("gauntlets", 1.7),), 144),
)
assert abs(sum(p.share for p in PROVIDERS) - 1.0) < 1e-9


# The classes of client the lake tells apart (its client_class column): people in a web browser, people
# in the game's own app, and automation (crawlers, scripts, HTTP libraries: not players).
CLIENT_CLASSES = ("browser", "app", "automation")


@dataclass(frozen=True)
class Client:
    """A client the generator plays as, with what it *is* (declared here, by hand, as ground truth): the
    family, OS and class a correct reading of its User-Agent gives (the lake's ua_family, ua_os and
    client_class). Written independently of the lake's parsers, so that the truth can catch them."""

    user_agent: str
    accept: str
    share: float
    family: str
    os: str
    client_class: str

    @property
    def is_automation(self) -> bool:
        return self.client_class == "automation"


_BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Browsers, the game's own iOS and Android clients, and a few bots and scripts (automation: they name
# no OS, which the lake records as "Other").
CLIENTS: tuple[Client, ...] = (
    Client("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36", _BROWSER_ACCEPT, 0.20, "Chrome", "Windows", "browser"),
    Client("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/18.1 Safari/605.1.15", _BROWSER_ACCEPT, 0.09, "Safari", "Mac OS X", "browser"),
    Client("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", _BROWSER_ACCEPT, 0.05,
           "Firefox", "Linux", "browser"),
    Client("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", _BROWSER_ACCEPT, 0.05, "Edge", "Windows", "browser"),
    Client("Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Mobile Safari/537.36", _BROWSER_ACCEPT, 0.07, "Chrome Mobile", "Android", "browser"),
    Client("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/18.1 Mobile/15E148 Safari/604.1", _BROWSER_ACCEPT, 0.08, "Mobile Safari", "iOS", "browser"),
    Client("GuildQuest/3.2.1 (iPhone; iOS 18.1; Scale/3.00) CFNetwork/1568.100.1 Darwin/24.0.0",
           "application/json", 0.22, "GuildQuest app", "iOS", "app"),
    Client("GuildQuest/3.2.1 (Linux; U; Android 14; SM-S918B Build/UP1A.231005.007) okhttp/4.12.0",
           "application/json", 0.20, "GuildQuest app", "Android", "app"),
    Client("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "*/*", 0.015,
           "Googlebot", "Other", "automation"),
    Client("curl/8.5.0", "*/*", 0.01, "curl", "Other", "automation"),
    Client("python-requests/2.32.3", "*/*", 0.005, "Python Requests", "Other", "automation"),
)
assert {c.client_class for c in CLIENTS} == set(CLIENT_CLASSES)

# Relative activity per UTC hour: most players are in the Americas, so the evening peak is at 00-03 UTC.
HOURLY_ACTIVITY: tuple[float, ...] = (
    9.0, 9.5, 9.0, 7.5, 5.5, 3.5, 2.2, 1.6, 1.3, 1.2, 1.4, 1.8,
    2.4, 3.0, 3.6, 4.2, 4.6, 5.0, 5.5, 6.0, 6.6, 7.2, 7.9, 8.6,
)


@lru_cache(maxsize=1024)  # asked once per generated purchase; few (provider, day) pairs exist
def item_weights(provider: Provider, day: date) -> tuple[float, ...]:
    """Purchase weights of ITEM_TYPES for a provider's players on a day (preference x yearly trend)."""
    days = (day - TREND_EPOCH).days
    preference = dict(provider.item_preference)
    return tuple(ITEM_BASE_WEIGHTS[item] * preference.get(item, 1.0)
                 * max(0.2, 1.0 + ITEM_DAILY_TREND[item] * days) for item in ITEM_TYPES)


def host_for(user_number: int, provider: Provider) -> str:
    """The seed's Host naming: user7 on comcast.com sends `Host: user7.comcast.com`."""
    return f"user{user_number}.{provider.domain}"

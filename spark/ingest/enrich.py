"""Derived columns that need Python parsers: the host's provider (Public Suffix List) and the client.

The parsers are Python (tldextract's bundled PSL snapshot, never fetched over the network; ua-parser
with its maintained regexes from ua-parser-builtins; the maintained bot list of crawler-user-agents),
so a per-row UDF would cross into Python a million times a day. Instead the job collects the few
thousand *distinct* hosts and user agents, parses them here in the driver, and joins the small lookup
tables back (broadcast).

A client is one of three classes (`client_class`): `app` (the game's own iOS / Android apps, the only
rules of our own: ua-parser reads "GuildQuest/3.2.1 (iPhone; iOS 18.1) CFNetwork/..." as an Oculus
Quest on Android), `automation` (crawlers, scripts and HTTP libraries: crawler-user-agents' list or
ua-parser's Spider device; `is_bot` is true exactly for these) and `browser` (every other agent).
An event without a User-Agent has no client columns (NULL) and is not counted as automation.

    host_provider("user3.virginmedia.co.uk:5000") == "virginmedia.co.uk"
    user_agent_fields("curl/8.5.0") == ClientFields("curl", "Other", "Other", "automation", True)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

HOST_LOOKUP_DDL = "host string, host_provider string"
AGENT_LOOKUP_DDL = ("user_agent string, ua_family string, ua_os string, ua_device string, client_class string, "
                    "is_bot boolean")
BROWSER, APP, AUTOMATION = "browser", "app", "automation"
OWN_APP_FAMILY = "GuildQuest app"
# The game's own apps: "GuildQuest/<version> (<platform>) <HTTP stack>/..." (the HTTP stack is
# CFNetwork on iOS, okhttp on Android; crawler-user-agents lists okhttp as a bot, so this rule goes first).
_OWN_APP = re.compile(r"^GuildQuest/[\w.]+ \((?P<platform>[^)]*)\)")
_OWN_APP_SYSTEMS = ((re.compile(r"\b(iOS|iPhone|iPad)\b"), "iOS"), (re.compile(r"\bAndroid\b"), "Android"))


@lru_cache(maxsize=1)
def _suffix_list():
    import tldextract

    # suffix_list_urls=() and no cache: the snapshot shipped with the pinned tldextract, no network.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def _host_name(host: str) -> str:
    """The Host header without port or trailing dot, lower-cased ("[::1]:5000" -> "::1")."""
    name = host.strip().lower()
    if name.startswith("["):
        return name[1:].split("]", 1)[0]
    if name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name.rstrip(".")


def host_provider(host: str | None) -> str | None:
    """The registered domain (e.g. comcast.com); the bare name for hosts without one (IPs, localhost)."""
    if host is None or not host.strip():
        return None
    name = _host_name(host)
    return _suffix_list()(name).top_domain_under_public_suffix or name or None


class ClientFields(NamedTuple):
    family: str | None
    os: str | None
    device: str | None
    client_class: str | None
    is_bot: bool


def _own_app(user_agent: str, parsed) -> ClientFields | None:
    """The game's own app, with the OS its platform names; None for every other agent."""
    match = _OWN_APP.match(user_agent)
    if match is None:
        return None
    from ua_parser import parse

    # Without the product token ua-parser reads the platform right (an iPhone, a Samsung SM-S918B).
    device = parse(user_agent[match.start("platform") - 1:]).with_defaults().device.family
    system = next((name for pattern, name in _OWN_APP_SYSTEMS if pattern.search(match["platform"])),
                  parsed.os.family)
    return ClientFields(OWN_APP_FAMILY, system, device, APP, False)


def user_agent_fields(user_agent: str | None) -> ClientFields:
    """(family, os, device, client_class, is_bot) of a User-Agent, all None (and not a bot) without one."""
    if user_agent is None:
        return ClientFields(None, None, None, None, False)
    import crawleruseragents
    from ua_parser import parse

    parsed = parse(user_agent).with_defaults()
    app = _own_app(user_agent, parsed)
    if app is not None:
        return app
    is_automation = parsed.device.family == "Spider" or crawleruseragents.is_crawler(user_agent)
    return ClientFields(parsed.user_agent.family, parsed.os.family, parsed.device.family,
                        AUTOMATION if is_automation else BROWSER, is_automation)


def lookup_tables(spark: SparkSession, hosts: list[str], user_agents: list[str]) -> tuple[DataFrame, DataFrame]:
    """Small DataFrames mapping each distinct host / user agent to its derived columns."""
    host_rows = [(host, host_provider(host)) for host in sorted(hosts)]
    agent_rows = [(agent, *user_agent_fields(agent)) for agent in sorted(user_agents)]
    return (spark.createDataFrame(host_rows, HOST_LOOKUP_DDL),
            spark.createDataFrame(agent_rows, AGENT_LOOKUP_DDL))


def enrich_events(events: DataFrame, host_lookup: DataFrame, agent_lookup: DataFrame) -> DataFrame:
    """Add host_provider, ua_family, ua_os, ua_device, client_class and is_bot by joining the lookup tables."""
    with_provider = events.join(F.broadcast(host_lookup), on="host", how="left")
    with_agent = with_provider.join(F.broadcast(agent_lookup), on="user_agent", how="left")
    return with_agent.withColumn("is_bot", F.coalesce(F.col("is_bot"), F.lit(False)))

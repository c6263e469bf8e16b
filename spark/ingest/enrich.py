"""Derived columns that need Python parsers: the host's provider (Public Suffix List) and the user agent.

The parsers are Python (tldextract's bundled PSL snapshot, never fetched over the network; ua-parser
with its maintained regexes from ua-parser-builtins), so a per-row UDF would cross into Python a million
times a day. Instead the job collects the few thousand *distinct* hosts and user agents, parses them
here in the driver, and joins the small lookup tables back (broadcast).

    host_provider("user3.virginmedia.co.uk:5000") == "virginmedia.co.uk"
"""

from __future__ import annotations

from functools import lru_cache

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

HOST_LOOKUP_DDL = "host string, host_provider string"
AGENT_LOOKUP_DDL = "user_agent string, ua_family string, ua_os string, ua_device string, is_bot boolean"


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


def user_agent_fields(user_agent: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """(family, os, device, is_bot) of a User-Agent; crawlers are the devices ua-parser calls Spider."""
    if user_agent is None:
        return None, None, None, False
    from ua_parser import parse

    parsed = parse(user_agent).with_defaults()
    return parsed.user_agent.family, parsed.os.family, parsed.device.family, parsed.device.family == "Spider"


def lookup_tables(spark: SparkSession, hosts: list[str], user_agents: list[str]) -> tuple[DataFrame, DataFrame]:
    """Small DataFrames mapping each distinct host / user agent to its derived columns."""
    host_rows = [(host, host_provider(host)) for host in sorted(hosts)]
    agent_rows = [(agent, *user_agent_fields(agent)) for agent in sorted(user_agents)]
    return (spark.createDataFrame(host_rows, HOST_LOOKUP_DDL),
            spark.createDataFrame(agent_rows, AGENT_LOOKUP_DDL))


def enrich_events(events: DataFrame, host_lookup: DataFrame, agent_lookup: DataFrame) -> DataFrame:
    """Add host_provider, ua_family, ua_os, ua_device and is_bot by joining the lookup tables."""
    with_provider = events.join(F.broadcast(host_lookup), on="host", how="left")
    with_agent = with_provider.join(F.broadcast(agent_lookup), on="user_agent", how="left")
    return with_agent.withColumn("is_bot", F.coalesce(F.col("is_bot"), F.lit(False)))

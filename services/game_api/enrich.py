"""From a client's body to a stored event: the fields the API owns, and metadata from the request.

Pure functions (no Flask), unit-tested on their own. The contract says who supplies each field
(`contract.Source`): the API always sets `received_at` and the request metadata (`host`, `user_agent`,
`accept`, `client_ip`, replacing anything a client sent), and fills `event_id`, `event_ts` and
`schema_version` only when the client left them out, so a client's retry keeps its event_id.
Only allow-listed headers are copied, never the whole header set; the client address is anonymised.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Mapping
from typing import Any

from game_events import contract
from game_events.contract import COMMON_FIELDS, Source

# Header -> event field, and the contract's length limit of each (a longer header is cut, not refused:
# it is request metadata the player did not choose).
_HEADER_FIELDS = (("Host", "host"), ("User-Agent", "user_agent"), ("Accept", "accept"))
_MAX_LENGTH = {f.name: f.max_length for f in COMMON_FIELDS if f.source is Source.API and f.max_length}
_STORED_ORDER = {event_type: tuple(f.name for f in contract.fields_for(event_type))
                 for event_type in contract.EVENT_TYPES}
_USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_IPV4 = re.compile(r"^\s*(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\s*$")


def anonymise_ip(address: str | None) -> str | None:
    """IPv4 keeps its /24 (last octet zeroed), IPv6 its /48; anything unparseable becomes None."""
    if not address:
        return None
    dotted = _IPV4.match(address)
    if dotted and all(int(octet) <= 255 for octet in dotted.groups()):  # the common case, without ipaddress
        return f"{int(dotted[1])}.{int(dotted[2])}.{int(dotted[3])}.0"
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:1.2.3.4 is an IPv4 client
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def request_metadata(headers: Mapping[str, str], remote_addr: str | None) -> dict[str, str | None]:
    """host, user_agent, accept and the anonymised client_ip of one request.

    remote_addr is already the forwarded client when the app runs behind a configured proxy (ProxyFix)."""
    metadata: dict[str, str | None] = {}
    for header, name in _HEADER_FIELDS:
        value = headers.get(header)
        metadata[name] = value[: _MAX_LENGTH[name]] if value else None
    metadata["client_ip"] = anonymise_ip(remote_addr)
    return metadata


def user_from_host(host: str | None) -> str | None:
    """The seed's convention: `Host: user7.comcast.com` is player user7. None for IPs and odd hosts."""
    if not host:
        return None
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host  # drop a port, leave IPv6 alone
    name = name.strip("[]")
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    label = name.split(".", 1)[0]
    return label if _USER_ID.match(label) else None


def enrich(body: Mapping[str, Any], metadata: Mapping[str, str | None], received_at: str) -> dict[str, Any]:
    """The event to validate: the client's fields, the API's fields set, the optional ones filled."""
    event = dict(body)
    event.update(metadata)
    event["received_at"] = received_at
    if event.get("event_id") is None:
        event["event_id"] = str(uuid.uuid4())
    if event.get("event_ts") is None:
        event["event_ts"] = received_at
    if event.get("schema_version") is None:
        event["schema_version"] = contract.SCHEMA_VERSION
    return event


def stored_form(event: Mapping[str, Any]) -> dict[str, Any]:
    """A valid event with its keys in the contract's order (what goes to Kafka)."""
    return {name: event.get(name) for name in _STORED_ORDER[event["event_type"]]}

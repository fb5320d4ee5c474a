"""The address a request came from, believing ``X-Forwarded-For`` only from trusted proxies.

Behind a load balancer every request's TCP peer is the balancer, so a limit keyed on the peer
puts every client in one bucket. The balancer says who its own peer was by appending it to
``X-Forwarded-For``; but anyone can send that header, so it is read only when the peer is one of
``TRUSTED_PROXIES`` (IPs or CIDRs), and then from the right: each entry was appended by the hop
to its right, so entries are believed while that hop is trusted, and the first entry appended
by a trusted hop that is not itself trusted is the client. Whatever stands further left was
sent by the client and proves nothing.

With no trusted proxies (the default) the header is ignored and the peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.requests import HTTPConnection

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# An address is at most 45 characters; anything much longer in the header is not one.
MAX_ENTRY = 64
UNKNOWN = "unknown"


def parse_networks(entries: Iterable[str]) -> list[IPNetwork]:
    """``["10.0.0.0/8", "192.0.2.7"]`` → networks; a bare address is a one-address network.

    Host bits are allowed (``10.1.2.3/8`` means ``10.0.0.0/8``); anything else raises
    ``ValueError`` naming the entry.
    """
    networks: list[IPNetwork] = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR: {text!r}") from None
    return networks


def _address(text: str) -> IPAddress | None:
    """An address as a proxy may write it: bare, ``[v6]``, ``v4:port`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, proxies: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in proxies)


def from_trusted_proxy(connection: HTTPConnection, proxies: Sequence[IPNetwork]) -> bool:
    """Whether the TCP peer is one of the trusted proxies."""
    peer = connection.client.host if connection.client else None
    return _trusted(_address(peer) if peer else None, proxies)


def resolve_client(peer: str | None, forwarded_for: Iterable[str],
                   proxies: Sequence[IPNetwork]) -> str:
    """The client's address, given the TCP ``peer``, the ``X-Forwarded-For`` header values in
    the order received, and the trusted ``proxies``.

    The answer is a normalised IP address; an entry a trusted proxy wrote that is not one
    (``unknown``, a name) is returned as it stands, cut short, since nothing better is known.
    """
    peer_address = _address(peer) if peer else None
    client = str(peer_address) if peer_address is not None else (peer or UNKNOWN)[:MAX_ENTRY]
    if not _trusted(peer_address, proxies):
        return client
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    for hop in reversed([h for h in hops if h]):
        address = _address(hop)
        if address is None:
            return hop[:MAX_ENTRY]
        client = str(address)
        if not _trusted(address, proxies):
            return client
    # Every hop is a trusted proxy (or there is no header): the leftmost one asked itself.
    return client


def client_address(connection: HTTPConnection, proxies: Sequence[IPNetwork]) -> str:
    """The address ``connection`` (a request or a websocket) came from; see the module."""
    peer = connection.client.host if connection.client else None
    return resolve_client(peer, connection.headers.getlist("x-forwarded-for"), proxies)

"""Who a request came from (``gateway.client_address``): the TCP peer, or — only when the peer is
a trusted proxy — the first untrusted hop of ``X-Forwarded-For`` read from the right. Headers
that a client made up are ignored."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import ValidationError

from gateway.client_address import client_address, parse_networks, resolve_client
from gateway.settings import GatewaySettings

PROXIES = parse_networks(["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert resolve_client("203.0.113.9", ["198.51.100.1"], []) == "203.0.113.9"
    assert resolve_client("10.0.0.1", ["198.51.100.1"], []) == "10.0.0.1"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored() -> None:
    # A client on the internet claims to be someone else, or to be a trusted proxy.
    for claimed in (["198.51.100.1"], ["10.0.0.5"], ["198.51.100.1, 10.0.0.5"], ["garbage"]):
        assert resolve_client("203.0.113.9", claimed, PROXIES) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_client_is_the_last_untrusted_hop() -> None:
    assert resolve_client("10.0.0.1", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    # Through two trusted proxies: each appended its own peer.
    assert resolve_client("10.0.0.1", ["198.51.100.1, 192.0.2.7"], PROXIES) == "198.51.100.1"
    # Whatever the client put in front of the real entries proves nothing.
    assert resolve_client("10.0.0.1", ["1.1.1.1, 10.9.9.9, 198.51.100.1"],
                          PROXIES) == "198.51.100.1"
    # Several header lines read as one list, in order.
    assert resolve_client("10.0.0.1", ["1.1.1.1", "198.51.100.1, 10.2.2.2"],
                          PROXIES) == "198.51.100.1"


def test_addresses_are_normalised() -> None:
    assert resolve_client("10.0.0.1", [" [2001:DB9::1]:443 "], PROXIES) == "2001:db9::1"
    assert resolve_client("10.0.0.1", ["198.51.100.1:5555"], PROXIES) == "198.51.100.1"
    # A dual-stack socket's IPv4 peer is that IPv4 address, trusted as such.
    assert resolve_client("::ffff:10.0.0.1", ["198.51.100.1"], PROXIES) == "198.51.100.1"
    assert resolve_client("2001:db8::5", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_when_every_hop_is_trusted_the_leftmost_asked() -> None:
    assert resolve_client("10.0.0.1", [], PROXIES) == "10.0.0.1"
    assert resolve_client("10.0.0.1", ["10.0.0.2, 192.0.2.7"], PROXIES) == "10.0.0.2"


def test_a_proxy_that_wrote_no_address_is_taken_at_its_word() -> None:
    assert resolve_client("10.0.0.1", ["1.1.1.1, unknown"], PROXIES) == "unknown"
    assert resolve_client("10.0.0.1", ["x" * 500], PROXIES) == "x" * 64
    assert resolve_client(None, ["198.51.100.1"], PROXIES) == "unknown"


def test_trusted_proxies_setting() -> None:
    parsed = GatewaySettings(trusted_proxies="10.0.0.0/8, 192.0.2.7/24,::1")
    assert [str(n) for n in parsed.trusted_proxies] == ["10.0.0.0/8", "192.0.2.0/24", "::1/128"]
    assert GatewaySettings().trusted_proxies == []
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES: not an IP address or CIDR"):
        GatewaySettings(trusted_proxies="10.0.0.0/8, proxy.internal")


async def test_a_request_s_address() -> None:
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> str:
        return client_address(request, PROXIES)

    async def ask(peer: str, forwarded: str) -> str:
        transport = httpx.ASGITransport(app=app, client=(peer, 4321))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get("/who", headers={"X-Forwarded-For": forwarded})
        return str(answer.json())

    assert await ask("10.0.0.1", "198.51.100.1") == "198.51.100.1"
    assert await ask("203.0.113.9", "198.51.100.1") == "203.0.113.9"

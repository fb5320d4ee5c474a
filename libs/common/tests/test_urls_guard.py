"""The SSRF guard, proven on loopback only.

Nothing here connects to a non-loopback address: names are answered by resolver stubs, and
every guarded fetch goes through ``RecordingBackend``, which records what the guard asked it to
connect to and refuses (without connecting) anything that is not a loopback literal. A canary
HTTP server on 127.0.0.1 counts the connections it accepts, so "no request reached it" is
observed, not assumed.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from paynto_common.safety.urls import (
    DEFAULT_CONTENT_TYPES,
    FetchPolicy,
    UrlRefused,
    address_refusal,
    check_url,
    fetch,
    guarded_client,
    parse_allow_hosts,
)

PUBLIC = "93.184.216.34"


# --- helpers --------------------------------------------------------------------------------


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every connect the guard asks for; connects only to loopback literals."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise httpcore.ConnectError(f"test backend: not connecting to {host}")
        return await self._real.connect_tcp(
            host, port, timeout=timeout, local_address=local_address,
            socket_options=socket_options,
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("the guard never asks for a Unix socket")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class StubResolver:
    """Answers from a table, or from a list of answers per call; records each question."""

    def __init__(
        self,
        table: dict[str, list[str]] | None = None,
        sequence: list[list[str]] | None = None,
    ) -> None:
        self.table = table or {}
        self.sequence = sequence
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append((host, port))
        if self.sequence is not None:
            return self.sequence[min(len(self.calls), len(self.sequence)) - 1]
        if host not in self.table:
            raise OSError(f"stub: no answer for {host}")
        return self.table[host]


Handler = Callable[[str, asyncio.StreamWriter], Awaitable[None]]


def _head(status: int, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status", *(f"{k}: {v}" for k, v in headers),
             "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1")


class Canary:
    """A tiny HTTP/1.1 server on 127.0.0.1 that counts accepted connections and requests."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.accepts = 0
        self.requests: list[tuple[str, str | None]] = []
        self.sni: list[str | None] = []
        self.port = 0
        self._ssl = ssl_context
        self._tasks: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        if ssl_context is not None:
            ssl_context.sni_callback = self._record_sni

    def _record_sni(self, sock: Any, name: str | None, ctx: ssl.SSLContext) -> None:
        self.sni.append(name)

    def url(self, path: str = "/", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self._ssl)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *lines = head.split("\r\n")
            target = request_line.split(" ")[1]
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (line.partition(":") for line in lines if line)}
            self.requests.append((target, headers.get("host")))
            await self._respond(target, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _respond(self, target: str, writer: asyncio.StreamWriter) -> None:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/redirect":
            writer.write(_head(302, [("Location", query["to"][0]), ("Content-Length", "0")]))
        elif path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            if left:
                writer.write(_head(302, [("Location", f"/chain/{left - 1}"),
                                         ("Content-Length", "0")]))
            else:
                writer.write(_head(200, [*html, ("Content-Length", "3")]) + b"end")
        elif path == "/relative/start":
            writer.write(_head(301, [("Location", "next/../final"), ("Content-Length", "0")]))
        elif path == "/huge":
            # No length declared and no end: only the client's byte cap stops it.
            writer.write(_head(200, [("Content-Type", "text/plain")]))
            chunk = b"x" * 65536
            while True:
                writer.write(chunk)
                await writer.drain()
        elif path == "/huge-declared":
            # The body never comes: a client that tried to read it would hang.
            writer.write(_head(200, [("Content-Type", "text/plain"),
                                     ("Content-Length", str(50 * 1024 * 1024))]))
            await writer.drain()
            await asyncio.Event().wait()
        elif path == "/binary-hang":
            writer.write(_head(200, [("Content-Type", "application/octet-stream"),
                                     ("Content-Length", "4")]))
            await writer.drain()
            await asyncio.Event().wait()
        elif path == "/binary":
            writer.write(_head(200, [("Content-Type", "application/octet-stream"),
                                     ("Content-Length", "4")]) + b"\x00\x01\x02\x03")
        elif path == "/png":
            writer.write(_head(200, [("Content-Type", "image/png"),
                                     ("Content-Length", "4")]) + b"\x89PNG")
        elif path == "/no-type":
            writer.write(_head(200, [("Content-Length", "1")]) + b"x")
        elif path == "/latin1":
            body = "<p>café</p>".encode("latin-1")
            writer.write(_head(200, [("Content-Type", "text/html; charset=iso-8859-1"),
                                     ("Content-Length", str(len(body)))]) + body)
        elif path == "/silent":
            await asyncio.Event().wait()
        elif path == "/drip":
            # Each byte arrives well within any per-read timeout; only a total one ends it.
            writer.write(_head(200, [("Content-Type", "text/plain")]))
            while True:
                writer.write(b".")
                await writer.drain()
                await asyncio.sleep(0.05)
        else:
            body = b"<h1>canary</h1>"
            writer.write(_head(200, [*html, ("Content-Length", str(len(body)))]) + body)
        await writer.drain()


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    server = Canary()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def allowing(*entries: str, **overrides: Any) -> FetchPolicy:
    return FetchPolicy.from_env({"SCRAPER_ALLOW_HOSTS": ",".join(entries)}, **overrides)


# --- the battery: refused before any connection ---------------------------------------------

REFUSED_URLS = [
    # schemes
    ("file:///etc/passwd", "scheme file:"),
    ("ftp://example.com/", "scheme ftp:"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme gopher:"),
    ("data:text/html,<h1>hi</h1>", "scheme data:"),
    ("javascript:alert(1)", "scheme javascript:"),
    ("ws://example.com/", "scheme ws:"),
    ("//example.com/", "without a scheme"),
    ("example.com", "without a scheme"),
    ("", "without a scheme"),
    # addresses, IPv4
    ("http://127.0.0.1/", "loopback"),
    ("http://127.0.0.2:8080/", "loopback"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("http://169.254.1.1/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://192.0.2.1/", "documentation"),
    ("http://198.51.100.7/", "documentation"),
    ("http://203.0.113.9/", "documentation"),
    ("http://198.18.0.1/", "private"),
    # addresses, IPv6
    ("http://[::1]/", "loopback"),
    ("http://[::]/", "unspecified"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[ff0e::1]/", "multicast"),
    ("http://[fec0::1]/", "site-local"),
    ("http://[2001:db8::1]/", "documentation"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped IPv6 address of 127.0.0.1"),
    ("http://[::ffff:7f00:1]/", "IPv4-mapped IPv6 address of 127.0.0.1"),
    ("http://[::ffff:169.254.169.254]/", "of 169.254.169.254 (the cloud metadata"),
    ("http://[::ffff:93.184.216.34]/", "IPv4-mapped"),
    ("http://[::127.0.0.1]/", "IPv4-compatible IPv6 address of 127.0.0.1"),
    ("http://[::a00:1]/", "IPv4-compatible IPv6 address of 10.0.0.1"),
    ("http://[64:ff9b::7f00:1]/", "NAT64 address of 127.0.0.1"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 address of 169.254.169.254"),
    ("http://[64:ff9b:1::a00:1]/", "local-use NAT64"),
    ("http://[2002:7f00:1::]/", "6to4 address of 127.0.0.1"),
    ("http://[2002:c0a8:101::1]/", "6to4 address of 192.168.1.1"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("http://[fe80::1%25eth0]/", "zone identifiers"),
    # odd notations
    ("http://2130706433/", "browser reads it as 127.0.0.1"),
    ("http://0x7f.0.0.1/", "browser reads it as 127.0.0.1"),
    ("http://0x7f000001/", "browser reads it as 127.0.0.1"),
    ("http://0X7F.1/", "browser reads it as 127.0.0.1"),
    ("http://017700000001/", "browser reads it as 127.0.0.1"),
    ("http://0177.0.0.1/", "not a valid URL"),
    ("http://0251.0376.0251.0376/", "not a valid URL"),
    ("http://127.1/", "browser reads it as 127.0.0.1"),
    ("http://127.0.1/", "browser reads it as 127.0.0.1"),
    ("http://169.254.43518/", "browser reads it as 169.254.169.254"),
    ("http://0/", "browser reads it as 0.0.0.0"),
    ("http://1.2.3.4.5/", "non-standard IPv4 notation"),
    ("http://example.123/", "non-standard IPv4 notation"),
    ("http://127.0.0.1./", "loopback"),
    ("http://127.0.0.%31/", "percent-encoded"),
    ("http://１２７.０.０.１/", "not a valid URL"),
    ("http://localhost/", "always means this machine"),
    ("http://LOCALHOST:8080/", "always means this machine"),
    ("http://localhost./", "always means this machine"),
    ("http://app.localhost/", "always means this machine"),
    ("http://a.b.LocalHost./", "always means this machine"),
    ("http://example.com@127.0.0.1/", "credentials"),
    ("http://user:secret@example.com/", "credentials"),
    ("http://example.com\\@127.0.0.1/", "backslash"),
    ("http:\\\\127.0.0.1\\x", "backslash"),
    ("http://example.com/\\..\\x", "backslash"),
    ("http://exa\tmple.com/", "control characters"),
    ("http://example.com/\r\nX-Injected: 1", "control characters"),
    ("http:///x", "no host"),
    ("http://:80/", "no host"),
    ("http://example.com:0/", "port 0 is out of range"),
    ("http://example.com:65536/", "port 65536 is out of range"),
    ("http://example.com:99999/", "out of range"),
    ("http://exa mple.com/", "percent-encoded"),
    ("http://exa*mple.com/", "not a plain host name"),
    ("http://a..b/", "not a plain host name"),
    ("http://a.b../", "not a plain host name"),
    ("http://[v1.x]/", "not a valid URL"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_URLS)
async def test_refused_before_any_connection(url: str, why: str) -> None:
    backend = RecordingBackend()
    resolver = StubResolver({"example.com": [PUBLIC], "example.123": [PUBLIC]})
    with pytest.raises(UrlRefused) as refused:
        await fetch(url, resolver=resolver, network_backend=backend)
    assert why in refused.value.reason
    assert "secret" not in str(refused.value)
    assert backend.connects == []
    # Literal and malformed hosts are judged without asking DNS.
    assert resolver.calls == []
    with pytest.raises(UrlRefused):
        await check_url(url, resolver=resolver)


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        (["10.1.2.3"], "resolves to 10.1.2.3, a private address"),
        (["169.254.169.254"], "cloud metadata"),
        (["127.0.0.1"], "loopback"),
        (["::1"], "loopback"),
        (["::ffff:10.0.0.1"], "IPv4-mapped"),
        (["fd00::5"], "private"),
        # A mixed answer is refused whole: the public address may be the decoy.
        ([PUBLIC, "127.0.0.1"], "resolves to 127.0.0.1"),
        ([PUBLIC, "2606:4700::1111", "172.17.0.1"], "resolves to 172.17.0.1"),
        (["not-an-address"], "not an address"),
    ],
)
async def test_names_resolving_to_internal_addresses_are_refused(
    answers: list[str], why: str
) -> None:
    backend = RecordingBackend()
    resolver = StubResolver({"innocent.test": answers})
    with pytest.raises(UrlRefused) as refused:
        await fetch("https://innocent.test/page", resolver=resolver, network_backend=backend)
    assert why in refused.value.reason
    assert backend.connects == []
    assert resolver.calls == [("innocent.test", 443)]


async def test_unresolvable_name_is_refused_by_check_url() -> None:
    with pytest.raises(UrlRefused, match="does not resolve"):
        await check_url("http://nowhere.test/", resolver=StubResolver())


@pytest.mark.parametrize(
    ("url", "answers", "expected"),
    [
        ("http://public.test/", [PUBLIC], [PUBLIC]),
        ("http://public.test./", [PUBLIC, PUBLIC], [PUBLIC]),
        ("http://ex_ample.test/", ["2606:4700::1111"], ["2606:4700::1111"]),
        ("https://8.8.8.8/", [], ["8.8.8.8"]),
        ("http://[2606:4700::1111]:8443/", [], ["2606:4700::1111"]),
        ("http://[2002:5db8:d822::1]/", [], ["2002:5db8:d822::1"]),
        ("http://[64:ff9b::5db8:d822]/", [], ["64:ff9b::5db8:d822"]),
        ("HTTP://Public.TEST/x?q=1#f", [PUBLIC], [PUBLIC]),
    ],
)
async def test_public_targets_pass_the_check(
    url: str, answers: list[str], expected: list[str]
) -> None:
    resolver = StubResolver({"public.test": answers, "public.test.": answers,
                             "ex_ample.test": answers})
    addresses = await check_url(url, resolver=resolver)
    assert addresses == [ipaddress.ip_address(a) for a in expected]
    # DNS is asked only for names, never for literals.
    assert len(resolver.calls) == (1 if answers else 0)


async def test_idna_names_are_resolved_in_their_ascii_form() -> None:
    resolver = StubResolver({"xn--bcher-kva.test": [PUBLIC]})
    assert await check_url("http://bücher.test/", resolver=resolver) == [
        ipaddress.ip_address(PUBLIC)
    ]
    assert resolver.calls == [("xn--bcher-kva.test", 80)]


def test_address_refusal_passes_only_global_unicast() -> None:
    for public in [PUBLIC, "1.1.1.1", "2606:4700::1111", "2a00:1450::1"]:
        assert address_refusal(ipaddress.ip_address(public)) is None
    for internal in ["127.0.0.1", "10.0.0.1", "169.254.169.254", "100.127.255.254", "::1",
                     "fe80::1", "::ffff:1.1.1.1", "64:ff9b::a00:1"]:
        assert address_refusal(ipaddress.ip_address(internal)) is not None


# --- the canary: nothing reaches it while the allowlist is off ------------------------------


async def test_canary_gets_no_request_while_the_allowlist_is_off(canary: Canary) -> None:
    port = canary.port
    urls = [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://LocalHost.:{port}/",
        f"http://canary.localhost:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f.0.0.1:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://017700000001:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://127.0.0.1.:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://[::127.0.0.1]:{port}/",
        f"http://[64:ff9b::7f00:1]:{port}/",
        f"http://[2002:7f00:1::]:{port}/",
        f"http://0.0.0.0:{port}/",
        f"http://[::]:{port}/",
        f"http://0:{port}/",
        f"http://example.com@127.0.0.1:{port}/",
        f"http://example.com\\@127.0.0.1:{port}/",
        f"http://canary.test:{port}/",
    ]
    resolver = StubResolver({"canary.test": ["127.0.0.1"]})
    for url in urls:
        with pytest.raises(UrlRefused):
            await fetch(url, resolver=resolver)
        if "canary.test" not in url:
            # The default resolver too: none of these may reach DNS (which is not loopback).
            with pytest.raises(UrlRefused):
                await fetch(url)
    async with guarded_client(resolver=resolver) as client:
        for url in urls:
            # httpx itself rejects a few (0177.0.0.1) while building the request.
            with pytest.raises((UrlRefused, httpx.InvalidURL)):
                await client.get(url)
    assert canary.accepts == 0
    assert canary.requests == []


async def test_allowlisted_canary_is_fetched(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}")
    backend = RecordingBackend()
    fetched = await fetch(canary.url(), policy, network_backend=backend)
    assert fetched.status == 200
    assert fetched.content == b"<h1>canary</h1>"
    assert fetched.content_type == "text/html"
    assert fetched.text() == "<h1>canary</h1>"
    assert fetched.redirects == []
    assert backend.connects == [("127.0.0.1", canary.port)]
    assert canary.requests == [("/", f"127.0.0.1:{canary.port}")]


async def test_allowlist_from_the_environment(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCRAPER_ALLOW_HOSTS", raising=False)
    assert FetchPolicy.from_env().allow_hosts == frozenset()
    with pytest.raises(UrlRefused):
        await fetch(canary.url(), FetchPolicy.from_env())
    monkeypatch.setenv("SCRAPER_ALLOW_HOSTS", f" other.test , 127.0.0.1:{canary.port} ")
    fetched = await fetch(canary.url(), FetchPolicy.from_env())
    assert fetched.status == 200
    assert canary.accepts == 1


async def test_allowlist_entry_with_a_port_allows_only_that_port(canary: Canary) -> None:
    with pytest.raises(UrlRefused, match="loopback"):
        await fetch(canary.url(), allowing(f"127.0.0.1:{canary.port + 1}"))
    fetched = await fetch(canary.url(), allowing("127.0.0.1"))
    assert fetched.status == 200
    assert canary.accepts == 1


async def test_allowlisted_localhost_through_the_system_resolver(canary: Canary) -> None:
    # getaddrinfo may answer ::1 first; nothing listens there, so the guard moves on to
    # 127.0.0.1. Both are loopback, so the recording backend really connects.
    backend = RecordingBackend()
    fetched = await fetch(canary.url(host="localhost"), allowing(f"localhost:{canary.port}"),
                          network_backend=backend)
    assert fetched.status == 200
    assert ("127.0.0.1", canary.port) in backend.connects
    assert canary.requests == [("/", f"localhost:{canary.port}")]


async def test_allowlisted_name_is_connected_by_ip_and_keeps_its_host_header(
    canary: Canary,
) -> None:
    backend = RecordingBackend()
    resolver = StubResolver({"canary.test": ["127.0.0.1"]})
    fetched = await fetch(canary.url(host="canary.test"), allowing("canary.test"),
                          resolver=resolver, network_backend=backend)
    assert fetched.status == 200
    assert backend.connects == [("127.0.0.1", canary.port)]
    assert canary.requests == [("/", f"canary.test:{canary.port}")]


# --- rebinding: the address checked is the address connected to ----------------------------


async def test_rebinding_resolver_never_gets_a_connection_to_loopback(canary: Canary) -> None:
    # First answer public (passes the check), every later answer loopback. If the connection
    # resolved the name again on its own, it would reach the canary.
    resolver = StubResolver(sequence=[[PUBLIC], ["127.0.0.1"]])
    backend = RecordingBackend()
    with pytest.raises(UrlRefused, match=r"resolves to 127\.0\.0\.1"):
        await fetch(canary.url(host="rebind.test"), resolver=resolver, network_backend=backend)
    # Asked twice (the URL check, then the connection itself), connected never.
    assert resolver.calls == [("rebind.test", canary.port)] * 2
    assert backend.connects == []
    assert canary.accepts == 0


async def test_guarded_client_rebinding_connects_only_to_checked_addresses(
    canary: Canary,
) -> None:
    resolver = StubResolver(sequence=[[PUBLIC], ["127.0.0.1"]])
    backend = RecordingBackend()
    async with guarded_client(resolver=resolver, network_backend=backend) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(canary.url(host="rebind.test"))
        with pytest.raises(UrlRefused, match=r"resolves to 127\.0\.0\.1"):
            await client.get(canary.url(host="rebind.test"))
    assert backend.connects == [(PUBLIC, canary.port)]
    assert canary.accepts == 0


async def test_connection_goes_to_the_checked_ip_not_the_name() -> None:
    resolver = StubResolver({"public.test": [PUBLIC]})
    backend = RecordingBackend()
    with pytest.raises(httpx.ConnectError, match=re.escape(f"not connecting to {PUBLIC}")):
        await fetch("http://public.test:8080/", resolver=resolver, network_backend=backend)
    assert backend.connects == [(PUBLIC, 8080)]


# --- TLS: connected by IP, verified by name -------------------------------------------------


def _self_signed(name: str, directory: Path) -> tuple[Path, Path, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(pem)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, pem.decode()


async def test_tls_sni_and_certificate_use_the_name_while_connecting_by_ip(
    tmp_path: Path,
) -> None:
    cert_path, key_path, pem = _self_signed("guard.test", tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_path, key_path)
    server = Canary(server_context)
    await server.start()
    try:
        resolver = StubResolver({"guard.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        policy = allowing("guard.test", "other.test",
                          ssl_context=ssl.create_default_context(cadata=pem))
        backend = RecordingBackend()
        fetched = await fetch(server.url(host="guard.test", scheme="https"), policy,
                              resolver=resolver, network_backend=backend)
        assert fetched.status == 200
        # The certificate names only guard.test (no IP): verification used the name.
        assert backend.connects == [("127.0.0.1", server.port)]
        assert server.sni == ["guard.test"]
        # Same address, another name: the certificate does not match, so it is rejected.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await fetch(server.url(host="other.test", scheme="https"), policy,
                        resolver=resolver, network_backend=backend)
        assert server.sni == ["guard.test", "other.test"]
        assert len(server.requests) == 1
    finally:
        await server.stop()


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://localhost:{port}/", "always means this machine"),
        ("http://127.0.0.2:{port}/", "loopback"),
        ("http://127.0.0.1:{other}/", "loopback"),
        ("http://[::1]:{port}/", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/", "IPv4-mapped"),
        ("http://2130706433:{port}/", "browser reads it as 127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://internal.test:{port}/", "resolves to 10.0.0.7"),
        ("http://user:pw@127.0.0.1:{port}/", "credentials"),
        ("file:///etc/passwd", "scheme file:"),
        ("gopher://127.0.0.1:{port}/", "scheme gopher:"),
    ],
)
async def test_redirect_from_allowed_canary_to_internal_target_is_refused(
    canary: Canary, location: str, why: str
) -> None:
    target = location.format(port=canary.port, other=canary.port + 1)
    backend = RecordingBackend()
    resolver = StubResolver({"internal.test": ["10.0.0.7"]})
    policy = allowing(f"127.0.0.1:{canary.port}")
    url = canary.url("/redirect?" + httpx.QueryParams({"to": target}).__str__())
    with pytest.raises(UrlRefused) as refused:
        await fetch(url, policy, resolver=resolver, network_backend=backend)
    assert why in refused.value.reason
    assert "pw" not in str(refused.value)
    assert backend.connects == [("127.0.0.1", canary.port)]
    assert canary.accepts == 1


async def test_redirects_are_followed_up_to_the_cap(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}", max_redirects=2)
    fetched = await fetch(canary.url("/chain/2"), policy)
    assert fetched.content == b"end"
    assert fetched.url == canary.url("/chain/0")
    assert fetched.redirects == [canary.url("/chain/1"), canary.url("/chain/0")]
    assert len(canary.requests) == 3

    canary.requests.clear()
    with pytest.raises(UrlRefused, match="more than 2 redirects"):
        await fetch(canary.url("/chain/3"), policy)
    # The third Location was never followed.
    assert [path for path, _ in canary.requests] == ["/chain/3", "/chain/2", "/chain/1"]


async def test_relative_redirect_is_resolved_against_the_current_url(canary: Canary) -> None:
    fetched = await fetch(canary.url("/relative/start"), allowing(f"127.0.0.1:{canary.port}"))
    assert fetched.url == canary.url("/relative/final")
    assert fetched.redirects == [canary.url("/relative/final")]
    assert fetched.content == b"<h1>canary</h1>"


async def test_fetches_can_share_a_guarded_client(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}")
    backend = RecordingBackend()
    async with guarded_client(policy, network_backend=backend) as client:
        first = await fetch(canary.url("/chain/1"), policy, client=client)
        with pytest.raises(UrlRefused, match="always means this machine"):
            await fetch(canary.url(host="localhost"), policy, client=client)
    assert first.redirects == [canary.url("/chain/0")]
    assert backend.connects == [("127.0.0.1", canary.port)] * 2
    async with httpx.AsyncClient() as unguarded:
        with pytest.raises(TypeError, match="guarded_client"):
            await fetch(canary.url(), policy, client=unguarded)
    assert canary.accepts == 2


# --- caps: bytes, content type, time --------------------------------------------------------


async def test_endless_body_is_cut_at_the_byte_cap(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}", max_bytes=100_000)
    with pytest.raises(UrlRefused, match="larger than 100000 bytes"):
        await fetch(canary.url("/huge"), policy)


async def test_declared_length_over_the_cap_is_refused_before_reading(canary: Canary) -> None:
    # The server never sends this body: reading it would run into the time limit instead.
    policy = allowing(f"127.0.0.1:{canary.port}", max_bytes=1_000_000, timeout=10)
    with pytest.raises(UrlRefused, match="larger than 1000000 bytes"):
        await fetch(canary.url("/huge-declared"), policy)


async def test_wrong_content_type_is_refused_before_reading(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}", timeout=10)
    with pytest.raises(UrlRefused, match="application/octet-stream is not accepted"):
        await fetch(canary.url("/binary-hang"), policy)
    with pytest.raises(UrlRefused, match="without a type is not accepted"):
        await fetch(canary.url("/no-type"), policy)


async def test_accepted_types_per_call_and_wildcards(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}")
    binary = await fetch(canary.url("/binary"), policy, accept=("application/octet-stream",))
    assert binary.content == b"\x00\x01\x02\x03"
    assert "image/*" in DEFAULT_CONTENT_TYPES
    png = await fetch(canary.url("/png"), policy)
    assert png.content_type == "image/png"
    with pytest.raises(UrlRefused, match="text/html is not accepted"):
        await fetch(canary.url("/"), policy, accept=("image/*",))


async def test_declared_charset_decodes_text(canary: Canary) -> None:
    fetched = await fetch(canary.url("/latin1"), allowing(f"127.0.0.1:{canary.port}"))
    assert fetched.encoding == "iso-8859-1"
    assert fetched.text() == "<p>café</p>"


async def test_server_that_never_answers_hits_the_time_limit(canary: Canary) -> None:
    policy = allowing(f"127.0.0.1:{canary.port}", timeout=0.5)
    with pytest.raises(UrlRefused, match=r"no complete answer within 0\.5 s"):
        await fetch(canary.url("/silent"), policy)


async def test_dripping_body_hits_the_total_time_limit(canary: Canary) -> None:
    # Every byte arrives within the per-read timeout; only the total limit can end this.
    policy = allowing(f"127.0.0.1:{canary.port}", timeout=0.5)
    with pytest.raises(UrlRefused, match=r"no complete answer within 0\.5 s"):
        await fetch(canary.url("/drip"), policy)


# --- configuration and logging --------------------------------------------------------------


def test_parse_allow_hosts_normalises_entries() -> None:
    assert parse_allow_hosts(None) == frozenset()
    assert parse_allow_hosts(" , ") == frozenset()
    assert parse_allow_hosts(
        "Canary.Test., 127.0.0.1:8080,[::1]:9000,::1,bücher.test,LOCALHOST:3000"
    ) == frozenset({"canary.test", "127.0.0.1:8080", "[::1]:9000", "::1",
                    "xn--bcher-kva.test", "localhost:3000"})


@pytest.mark.parametrize(
    "entry",
    ["http://a.test", "a.test/path", "2130706433", "0x7f.0.0.1", "a.test:0", "a.test:70000",
     "user@a.test", "*.a.test", "a b"],
)
def test_parse_allow_hosts_rejects_bad_entries(entry: str) -> None:
    with pytest.raises(ValueError, match="SCRAPER_ALLOW_HOSTS"):
        parse_allow_hosts(f"ok.test,{entry}")


async def test_refusals_are_logged_without_credentials_or_query(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="paynto_common.safety.urls")
    with pytest.raises(UrlRefused) as refused:
        await fetch("http://169.254.169.254/latest/meta-data?token=s3cr3t#frag")
    assert str(refused.value) == (
        "refused http://169.254.169.254/latest/meta-data: "
        "169.254.169.254 is the cloud metadata address (link-local)"
    )
    with pytest.raises(UrlRefused) as with_userinfo:
        await fetch("http://admin:hunter2@10.0.0.1/?key=s3cr3t")
    assert "hunter2" not in str(with_userinfo.value)
    messages = [r.getMessage() for r in caplog.records]
    assert any("host=169.254.169.254" in m and "cloud metadata" in m for m in messages)
    assert all(r.levelno >= logging.INFO for r in caplog.records)
    text = " ".join(messages)
    assert "s3cr3t" not in text and "hunter2" not in text and "admin" not in text

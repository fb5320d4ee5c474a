"""Guard outbound fetches made for a user against server-side request forgery (SSRF).

Every URL a user (or a page they point us at) names is untrusted: it may aim at this machine,
the cluster network or the cloud metadata service (169.254.169.254), directly or through an odd
notation, a redirect, or a DNS name that answers differently the second time it is asked.

How the guard decides:

- **Schemes**: http and https only. URLs with credentials (``user:pw@``), backslashes, control
  characters or a port outside 1-65535 are refused.
- **Host notation is strict, not normalised.** A host must be a plain DNS name (IDNA is encoded
  to ``xn--``), a canonical dotted quad or a bracketed IPv6 address. Anything a browser would
  read as an IPv4 address in another notation (``2130706433``, ``0x7f.0.0.1``, ``0177.0.0.1``,
  ``127.1``) is refused whatever it means; the reason says what a browser would make of it.
  Refusing rather than normalising means no two parsers (ours, httpx's, getaddrinfo's, a
  browser's) can disagree about where a URL points. ``localhost`` and ``*.localhost`` are
  refused by name, percent-encoded and zone-scoped hosts too. One trailing dot is accepted.
- **Addresses**: only global unicast addresses may be reached; see :func:`address_refusal`.
  A name is refused if *any* of its addresses is refused: mixed answers are a rebinding trick.
- **No DNS-rebinding gap**: the transport under :func:`guarded_client` resolves the name itself
  when it opens a connection, checks every address and connects to a checked one *by IP*.
  httpcore passes the URL's host (not the IP) to ``start_tls``, so SNI and the certificate
  check still use the name (httpcore ``_async/connection.py``: ``server_hostname=sni_hostname
  or self._origin.host``).
- **Allowlist**: hosts named in ``SCRAPER_ALLOW_HOSTS`` (``host`` or ``host:port``, off by
  default) skip the address check, so tests and private deployments can reach named internal
  hosts; the notation rules still apply. A redirect away from an allowed host is judged afresh.
- **Caps** (:func:`fetch`): redirects are followed here, each one re-checked; Content-Type is
  checked before the body is read; the body is streamed and abandoned past ``max_bytes``; one
  timeout covers the whole fetch, redirects included.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import os
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

__all__ = [
    "DEFAULT_CONTENT_TYPES",
    "FetchPolicy",
    "Fetched",
    "GuardedBackend",
    "IPAddress",
    "Resolver",
    "UrlRefused",
    "address_refusal",
    "check_url",
    "fetch",
    "guarded_client",
    "parse_allow_hosts",
    "system_resolver",
]

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> addresses as text (what getaddrinfo puts in sockaddr[0]) or address objects.
Resolver = Callable[[str, int], Awaitable[Sequence[str | IPAddress]]]

ALLOW_HOSTS_ENV = "SCRAPER_ALLOW_HOSTS"
SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_CONTENT_TYPES: tuple[str, ...] = (
    "text/html",
    "application/xhtml+xml",
    "text/css",
    "text/plain",
    "image/*",
    "application/xml",
    "text/xml",
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_METADATA = ipaddress.IPv4Address("169.254.169.254")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")
# ipaddress files these under is_private (or not at all for 3fff::/20), which would give a
# misleading reason; they are named separately.
_DOCUMENTATION = (
    ipaddress.IPv4Network("192.0.2.0/24"),
    ipaddress.IPv4Network("198.51.100.0/24"),
    ipaddress.IPv4Network("203.0.113.0/24"),
    ipaddress.IPv6Network("2001:db8::/32"),
    ipaddress.IPv6Network("3fff::/20"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")

_CANONICAL_IPV4_RE = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
)
# A label of a plain host name. Underscores are not valid in host names but occur in real DNS
# names and browsers accept them; they cannot change where a name points.
_LABEL_RE = re.compile(r"^[a-z0-9_-]{1,63}$")
# The WHATWG URL standard parses a host as IPv4 when its last label is a number in any of
# these forms; such a host must then be a canonical dotted quad here.
_NUMERIC_LABEL_RE = re.compile(r"^(?:\d+|0x[0-9a-f]*)$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_USERINFO_RE = re.compile(r"//[^/?#]*@")


class UrlRefused(ValueError):
    """An outbound fetch was refused; ``reason`` says why in plain words.

    ``url`` is the target without credentials, query or fragment, so the message is safe to
    log and to show to the user who asked.
    """

    def __init__(self, url: str, reason: str, host: str = "") -> None:
        super().__init__(f"refused {url}: {reason}")
        self.url = url
        self.reason = reason
        self.host = host


def _refuse(url: str, reason: str, host: str = "", *, level: int = logging.WARNING) -> UrlRefused:
    log.log(level, "outbound fetch refused: host=%s reason=%s", host or "-", reason)
    return UrlRefused(url, reason, host)


def _shown(raw: str) -> str:
    """``raw`` as it may be shown: no userinfo, query or fragment, at most 200 characters."""
    text = raw.strip()
    text = _USERINFO_RE.sub("//", text, count=1)
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    text = _CONTROL_RE.sub("", text)
    return text[:200] + ("…" if len(text) > 200 else "") if text else "an empty URL"


def _shown_url(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}{port}{url.path}"


# --- addresses ------------------------------------------------------------------------------


def address_refusal(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be reached from a user's fetch, or None for a global unicast address.

    Built on ``ipaddress`` (``is_global`` and friends) plus what it does not cover: multicast,
    CGNAT, documentation ranges, and IPv6 forms that carry an IPv4 address (mapped, compatible,
    NAT64, 6to4: judged by the IPv4 address inside; Teredo: always refused).
    """
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped
        if mapped is not None:
            # Refused even for a public IPv4: a URL never needs this spelling of an address.
            inner = address_refusal(mapped)
            return f"an IPv4-mapped IPv6 address of {mapped}" + (f" ({inner})" if inner else "")
        if ip in _NAT64:
            v4 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            inner = address_refusal(v4)
            # A NAT64 address of a public IPv4 is how an IPv6-only network reaches it.
            return f"a NAT64 address of {v4} ({inner})" if inner else None
        if ip in _NAT64_LOCAL:
            return "a local-use NAT64 address"
        if ip.sixtofour is not None:
            inner = address_refusal(ip.sixtofour)
            return f"a 6to4 address of {ip.sixtofour} ({inner})" if inner else None
        if ip.teredo is not None:
            return "a Teredo tunnel address"
        if int(ip) >> 32 == 0 and int(ip) > 1:
            v4 = ipaddress.IPv4Address(int(ip))
            return f"an IPv4-compatible IPv6 address of {v4}"
    if ip.is_unspecified:
        return "the unspecified address (it means this machine)"
    if ip.is_loopback:
        return "a loopback address"
    if ip == _METADATA:
        return "the cloud metadata address (link-local)"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if ip.is_multicast:
        return "a multicast address"
    if ip == _BROADCAST:
        return "the broadcast address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if any(ip.version == net.version and ip in net for net in _DOCUMENTATION):
        return "a documentation address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


# --- hosts ----------------------------------------------------------------------------------


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a browser reads in a numeric ``host`` (``0x7f.1``, ``2130706433``), if any."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if re.fullmatch(r"0x[0-9a-f]*", part):
            numbers.append(int(part[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", part):
            numbers.append(int(part, 8))
        elif re.fullmatch(r"\d+", part) and not (len(part) > 1 and part[0] == "0"):
            numbers.append(int(part))
        else:
            return None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _classify_host(host: str) -> IPAddress | str:
    """The address a host literal names, or the normalised DNS name; raise ValueError(reason).

    ``host`` is what httpx and httpcore carry: IDNA already encoded, IPv6 without brackets.
    The returned name has no trailing dot.
    """
    if not host:
        raise ValueError("the URL has no host")
    if ":" in host:
        if "%" in host:
            raise ValueError("IPv6 zone identifiers are not accepted")
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("not a valid IPv6 address") from None
    name = host.lower()
    if "%" in name:
        raise ValueError("percent-encoded host names are not accepted")
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise ValueError("not a plain host name")
    if _NUMERIC_LABEL_RE.match(labels[-1]):
        if _CANONICAL_IPV4_RE.match(name):
            return ipaddress.IPv4Address(name)
        meant = _whatwg_ipv4(name)
        reading = f"a browser reads it as {meant}" if meant else "it is not a valid address"
        raise ValueError(f"the host is written in a non-standard IPv4 notation ({reading})")
    return name


def _host_key(host: IPAddress | str) -> str:
    return str(host)


def _with_port(key: str, port: int) -> str:
    return f"[{key}]:{port}" if ":" in key else f"{key}:{port}"


def parse_allow_hosts(text: str | None) -> frozenset[str]:
    """Parse a comma-separated allowlist (``host``, ``host:port``, ``[v6]:port``), normalised.

    Raise ValueError naming the bad entry, so a mistyped setting stops the service at start.
    Empty or unset means no host is allowed past the address check.
    """
    entries: set[str] = set()
    for raw in (text or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        if entry.count(":") > 1 and not entry.startswith("["):
            entry = f"[{entry}]"
        try:
            url = httpx.URL(f"http://{entry}/")
            if url.raw_path != b"/" or url.userinfo or url.query or url.fragment:
                raise ValueError("not a host or host:port")
            host = _classify_host(url.raw_host.decode("ascii"))
        except (httpx.InvalidURL, ValueError) as exc:
            raise ValueError(f"{ALLOW_HOSTS_ENV}: bad entry {raw.strip()!r}: {exc}") from None
        if url.port is not None and not 1 <= url.port <= 65535:
            raise ValueError(f"{ALLOW_HOSTS_ENV}: bad port in {raw.strip()!r}")
        key = _host_key(host)
        entries.add(key if url.port is None else _with_port(key, url.port))
    return frozenset(entries)


# --- policy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchPolicy:
    """What a guarded fetch may reach and how much it may take.

    ``ssl_context`` replaces the default certificate verification (for a private CA, or a test
    with its own certificate); it never turns verification off by itself.
    """

    allow_hosts: frozenset[str] = frozenset()
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024
    timeout: float = 20.0
    content_types: tuple[str, ...] = DEFAULT_CONTENT_TYPES
    user_agent: str = "Paynto/0.1 (website import)"
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> FetchPolicy:
        """A policy whose allowlist comes from ``SCRAPER_ALLOW_HOSTS`` (default: os.environ)."""
        env = os.environ if environ is None else environ
        return cls(allow_hosts=parse_allow_hosts(env.get(ALLOW_HOSTS_ENV)), **overrides)

    def allows(self, host: IPAddress | str, port: int) -> bool:
        """Whether ``host`` (as classified) on ``port`` is on the allowlist."""
        key = _host_key(host)
        return key in self.allow_hosts or _with_port(key, port) in self.allow_hosts


# --- resolution and the per-host verdict ----------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo (the default resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _Unresolvable(Exception):
    """The name did not resolve: a network failure, not a verdict on the target."""


async def _vet_host(
    host: str, port: int, policy: FetchPolicy, resolver: Resolver, shown: str
) -> list[IPAddress]:
    """The addresses ``host`` may be reached at on ``port``; raise UrlRefused or _Unresolvable."""
    try:
        target = _classify_host(host)
    except ValueError as exc:
        raise _refuse(shown, str(exc), host) from None
    if not 1 <= port <= 65535:
        raise _refuse(shown, f"port {port} is out of range", host)
    allowed = policy.allows(target, port)
    if not isinstance(target, str):
        reason = None if allowed else address_refusal(target)
        if reason:
            raise _refuse(shown, f"{target} is {reason}", host)
        return [target]
    if not allowed and (target == "localhost" or target.endswith(".localhost")):
        raise _refuse(shown, f"{target} always means this machine", host)
    try:
        answers = await resolver(host, port)
    except OSError as exc:
        raise _Unresolvable(f"{target} does not resolve: {exc}") from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            ip = ipaddress.ip_address(str(answer))
        except ValueError:
            raise _refuse(shown, f"{target} resolved to something that is not an address",
                          host) from None
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise _Unresolvable(f"{target} has no addresses")
    if not allowed:
        for ip in addresses:
            reason = address_refusal(ip)
            if reason:
                raise _refuse(shown, f"{target} resolves to {ip}, {reason}", host)
    return addresses


def _parse(raw: str, base: httpx.URL | None = None) -> httpx.URL:
    """Parse ``raw`` (joined to ``base`` when given) and apply the rules that need no DNS."""
    text = raw.strip()
    shown = _shown(text)
    if "\\" in text:
        # Browsers read a backslash as a slash in http(s) URLs, httpx does not: the two would
        # disagree about the host of http://a.example\@10.0.0.1/.
        raise _refuse(shown, "the URL contains a backslash")
    if _CONTROL_RE.search(text):
        raise _refuse(shown, "the URL contains control characters")
    try:
        url = base.join(text) if base is not None else httpx.URL(text)
    except (httpx.InvalidURL, ValueError) as exc:
        # httpx quotes the bad part, which could hold a password when the URL has userinfo.
        detail = "" if "@" in text else f" ({exc})"
        raise _refuse(shown, f"not a valid URL{detail}") from None
    if url.scheme not in SCHEMES:
        what = f"the scheme {url.scheme}:" if url.scheme else "a URL without a scheme"
        raise _refuse(shown, f"{what} is not allowed (only http and https)")
    host = url.raw_host.decode("ascii")
    if url.userinfo:
        raise _refuse(_shown_url(url), "credentials in URLs are not accepted", host)
    if not host:
        raise _refuse(shown, "the URL has no host")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise _refuse(_shown_url(url), f"port {url.port} is out of range", host)
    return url


def _port_of(url: httpx.URL) -> int:
    return url.port if url.port is not None else DEFAULT_PORTS[url.scheme]


async def _check(
    url: httpx.URL, policy: FetchPolicy, resolver: Resolver
) -> list[IPAddress]:
    shown = _shown_url(url)
    try:
        return await _vet_host(url.raw_host.decode("ascii"), _port_of(url), policy, resolver,
                               shown)
    except _Unresolvable as exc:
        raise _refuse(shown, str(exc), url.host, level=logging.INFO) from None


async def check_url(
    url: str, policy: FetchPolicy | None = None, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Validate ``url`` and resolve its host without connecting; return the allowed addresses.

    For callers that only need the verdict (a headless browser's request interception). A
    caller that then connects by itself must connect to one of the returned addresses, or it
    reopens the rebinding gap. Raise UrlRefused, also when the name does not resolve.
    """
    policy = policy or FetchPolicy()
    return await _check(_parse(url), policy, resolver or system_resolver)


# --- transport ------------------------------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that vets each host when connecting and connects by IP.

    Wraps ``inner`` (httpcore's default backend unless given; a test passes a recording one).
    Each connection resolves the host again, so the address connected to is the address checked.
    """

    def __init__(
        self,
        policy: FetchPolicy,
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._policy = policy
        self._resolver = resolver or system_resolver
        # What httpcore's default (auto) backend picks under asyncio.
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        shown = _with_port(host, port)
        try:
            addresses = await _vet_host(host, port, self._policy, self._resolver, shown)
        except _Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception | None = None
        for ip in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise _refuse("a Unix socket", "Unix sockets cannot be reached through the guard")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """Verification against the system's CAs, built once: loading them takes ~20 ms, which
    every client (a reading of a site makes one) would otherwise pay again."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its pool rebuilt on a GuardedBackend.

    httpx 0.28's AsyncHTTPTransport has no ``network_backend`` argument, so the pool it builds
    (empty, nothing to close) is replaced by one built the same way plus the backend.
    """

    def __init__(self, policy: FetchPolicy, backend: GuardedBackend) -> None:
        limits = httpx.Limits()
        context = policy.ssl_context or _default_ssl_context()
        super().__init__(verify=context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class _GuardedClient(httpx.AsyncClient):
    """The client :func:`guarded_client` builds; :func:`fetch` accepts no other."""


def guarded_client(
    policy: FetchPolicy | None = None,
    resolver: Resolver | None = None,
    *,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> httpx.AsyncClient:
    """An httpx client whose every connection goes through the guard.

    For callers that need a client (robots.txt, an SDK), and for :func:`fetch` calls that
    should share connections. Scheme, credentials and host notation are checked on each
    request (redirects included, should the caller turn them on); the address when connecting.
    Refusals raise UrlRefused out of the request. Byte and content-type caps are
    :func:`fetch`'s: a caller of the bare client enforces its own. ``network_backend`` is what
    the guard connects through (httpcore's default unless given).
    """
    policy = policy or FetchPolicy()
    backend = GuardedBackend(policy, resolver, network_backend)

    async def vet_request(request: httpx.Request) -> None:
        _parse(str(request.url))

    return _GuardedClient(
        transport=_GuardedTransport(policy, backend),
        trust_env=False,  # an environment proxy would connect on our behalf, unchecked
        follow_redirects=False,
        max_redirects=policy.max_redirects,
        timeout=policy.timeout,
        headers={"User-Agent": policy.user_agent},
        event_hooks={"request": [vet_request]},
    )


# --- fetch ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """A fetched document. ``redirects`` lists each URL redirected to, in order."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    content_type: str
    encoding: str | None
    redirects: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 if none or unknown)."""
        try:
            return self.content.decode(self.encoding or "utf-8", errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


def _type_accepted(content_type: str, accept: Sequence[str]) -> bool:
    major = content_type.split("/", 1)[0]
    for pattern in accept:
        pattern = pattern.strip().lower()
        if pattern in ("*/*", content_type) or pattern == f"{major}/*":
            return True
    return False


async def fetch(
    url: str,
    policy: FetchPolicy | None = None,
    *,
    resolver: Resolver | None = None,
    accept: tuple[str, ...] | None = None,
    client: httpx.AsyncClient | None = None,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> Fetched:
    """GET ``url`` for a user, within ``policy``; raise UrlRefused if any rule says no.

    Redirects are followed here (each Location checked like the first URL); ``accept``
    replaces the policy's content types for this call. Network failures (refused connection,
    unresolvable name) surface as httpx errors; exceeding a cap or the time limit is a refusal.

    ``client``, from :func:`guarded_client` with the same policy and resolver, lets many fetches
    share connections (and the TLS setup, which costs tens of milliseconds); without it each
    fetch builds its own, after the URL has passed the check.
    """
    policy = policy or FetchPolicy()
    resolver = resolver or system_resolver
    accept = accept if accept is not None else policy.content_types
    if client is not None and not isinstance(client, _GuardedClient):
        raise TypeError("fetch needs a client from guarded_client()")
    current = _parse(url)
    redirects: list[str] = []
    try:
        async with asyncio.timeout(policy.timeout):
            await _check(current, policy, resolver)
            async with contextlib.AsyncExitStack() as stack:
                if client is None:
                    client = await stack.enter_async_context(
                        guarded_client(policy, resolver, network_backend=network_backend)
                    )
                while True:
                    request = client.build_request(
                        "GET", current, headers={"Accept": ", ".join(accept)}
                    )
                    response = await client.send(request, stream=True)
                    try:
                        location = response.headers.get("location")
                        if response.status_code not in REDIRECT_STATUSES or not location:
                            return await _read(response, current, policy, accept, redirects)
                        if len(redirects) >= policy.max_redirects:
                            raise _refuse(
                                _shown_url(current),
                                f"more than {policy.max_redirects} redirects",
                                current.host, level=logging.INFO,
                            )
                    finally:
                        await response.aclose()
                    current = _parse(location, base=current)
                    await _check(current, policy, resolver)
                    redirects.append(str(current))
    except (TimeoutError, httpx.TimeoutException):
        raise _refuse(
            _shown_url(current), f"no complete answer within {policy.timeout:g} s",
            current.host, level=logging.INFO,
        ) from None


async def _read(
    response: httpx.Response,
    url: httpx.URL,
    policy: FetchPolicy,
    accept: Sequence[str],
    redirects: list[str],
) -> Fetched:
    shown = _shown_url(url)
    declared = response.headers.get("content-type", "")
    content_type = declared.split(";", 1)[0].strip().lower()
    length_text = response.headers.get("content-length")
    length: int | None = None
    with contextlib.suppress(ValueError):
        length = int(length_text) if length_text is not None else None
    empty = response.status_code in (204, 304) or length == 0
    # An error answer is read whatever its type: the caller reports its status.
    failed = response.status_code >= 400
    if not empty and not failed and not _type_accepted(content_type, accept):
        what = f"content type {content_type}" if content_type else "a response without a type"
        raise _refuse(shown, f"{what} is not accepted", url.host, level=logging.INFO)
    too_big = f"larger than {policy.max_bytes} bytes"
    if length is not None and length > policy.max_bytes:
        raise _refuse(shown, too_big, url.host, level=logging.INFO)
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > policy.max_bytes:
            raise _refuse(shown, too_big, url.host, level=logging.INFO)
        chunks.append(chunk)
    return Fetched(
        url=str(url),
        status=response.status_code,
        headers=response.headers,
        content=b"".join(chunks),
        content_type=content_type,
        encoding=response.charset_encoding,
        redirects=list(redirects),
    )

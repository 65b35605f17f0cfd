"""Standard Webhooks (standardwebhooks.com): secrets, signatures and the retry schedule; and the
addresses webhooks may go to."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import random
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from uuid import UUID

import httpcore
import httpx

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret
MAX_RETRY_AFTER_SECONDS = 86_400.0


def subscription_secret(secret_key: str, subscription_id: UUID, salt: str) -> str:
    """``whsec_<base64 of 32 bytes>``, derived from the server's key: never stored anywhere."""
    raw = hmac.new(
        secret_key.encode(), f"webhook:{subscription_id}:{salt}".encode(), hashlib.sha256
    ).digest()
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def parse_schedule(text: str) -> tuple[float, ...]:
    """Seconds to wait after each failed attempt, e.g. the spec's "5,300,1800,7200,18000,36000,
    36000": after the last, the delivery has failed."""
    return tuple(float(part) for part in text.split(",") if part.strip())


def backoff(schedule: tuple[float, ...], failures: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt after this many failures (None: give up). Jitter of up
    to a tenth either way spreads retries; a Retry-After asking for longer is honoured."""
    if failures > len(schedule):
        return None
    delay = schedule[failures - 1] * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret
    return max(delay, min(retry_after or 0.0, MAX_RETRY_AFTER_SECONDS))


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# Where webhooks may go. Off by default, the dispatcher connects to public addresses only, so
# an ADMIN cannot point it at the network it runs in (loopback services, the cloud's metadata
# endpoint, a LAN) and read what answers in the delivery log.

RESOLVE_SECONDS = 5.0  # a subscribe or change waits no longer than this on DNS
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # the well-known prefix: an IPv4 address inside
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_PRIVATE_HINT = "webhooks go to public addresses only"


class RefusedDestinationError(Exception):
    """A webhook URL that is not http(s), or whose host is, or resolves to, an address outside
    the public internet (allowed only with CENTSOURCE_WEBHOOK_ALLOW_PRIVATE=true)."""


def address_refusal(address: IPAddress) -> str | None:
    """Why webhooks may not go to ``address`` (None: they may). An IPv6 address that carries an
    IPv4 one (mapped, 6to4, NAT64) is judged by the IPv4 address it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None:
            return address_refusal(embedded)
    for refused, why in (
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        # What is left and not global: shared address space (CGNAT, 100.64.0.0/10).
        (not address.is_global, "not a public address"),
    ):
        if refused:
            return why
    return None


def name_refusal(host: str) -> str | None:
    """``localhost`` and its subdomains are this machine whatever DNS says (RFC 6761)."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "this machine's own name"
    return None


async def public_addresses(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    """Every address ``host`` resolves to, as the connection would resolve it (the system's
    resolver: ``2130706433``, ``0x7f.1`` and ``127.1`` are all 127.0.0.1); RefusedDestinationError
    when any of them is not public, OSError or TimeoutError when the name does not resolve."""
    refusal = name_refusal(host)
    if refusal is not None:
        raise RefusedDestinationError(f"{host} is {refusal}; {ALLOW_PRIVATE_HINT}")
    loop = asyncio.get_running_loop()
    found = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
    )  # in the loop's executor: DNS never blocks the loop
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
    for address in addresses:
        refusal = address_refusal(address)
        if refusal is not None:
            said = f"{address} is" if str(address) == host else f"{host} resolves to {address},"
            raise RefusedDestinationError(f"{said} {refusal}; {ALLOW_PRIVATE_HINT}")
    return addresses


async def check_destination(
    url: str, allow_private: bool, timeout: float = RESOLVE_SECONDS
) -> str | None:
    """Refuses (RefusedDestinationError) a URL httpx would not send over http(s), or whose host
    is not public. A name that does not resolve now is accepted with the warning returned: the
    dispatcher checks the address again on every send, and a subscriber's name may be published
    after its subscription, or DNS be down for a moment."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise RefusedDestinationError(f"not a URL: {error}") from None
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise RefusedDestinationError("a webhook URL is an http:// or https:// URL")
    if allow_private:
        return None
    host = parsed.raw_host.decode("ascii")  # what the connection resolves (IDNA-encoded)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        await public_addresses(host, port, timeout)
    except (OSError, TimeoutError) as error:
        return f"{host} does not resolve now ({error or 'timed out'}); each send checks it again"
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses it has checked: it resolves
    the host once, refuses if any address is not public, and connects to those very addresses,
    so a name cannot pass the check with one address and connect to another (DNS rebinding).
    TLS still verifies the URL's name: httpcore passes it as the server name, not the IP."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.allow_private:
            return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        try:
            addresses = await public_addresses(host, port, timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
        failure: Exception = httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedDestinationError("webhooks go over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, its connections made through a ``GuardedBackend``; no proxy from
    the environment (a proxy would connect for us, past the check)."""

    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False, limits=LIMITS)
        # httpx takes no network backend: its pool is made again, as it makes it, with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )

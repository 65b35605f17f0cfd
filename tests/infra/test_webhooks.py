"""Where webhooks may go: every address that is not public is refused, however the URL spells
it, and the guarded transport never connects to one."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from infra.webhooks import (
    GuardedTransport,
    RefusedDestinationError,
    address_refusal,
    check_destination,
)
from tests.webhooks.receiver import Receiver


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.0.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),  # shared address space (CGNAT)
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ],
)
def test_an_address_that_is_not_public_is_refused_with_the_reason(address: str, why: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))
    assert refusal is not None
    assert why in refusal


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "1.1.1.1", "2606:4700::1111", "64:ff9b::5db8:d70e"]
)
def test_a_public_address_is_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal
        "http://0x7f.1/",  # hex, two parts
        "http://127.1/",  # two parts
        "http://017700000001/",  # octal
        "http://0/",
        "http://localhost:8080/",
        "http://Hooks.LocalHost./",
    ],
)
def test_odd_spellings_of_this_machine_are_refused_as_the_connection_would_resolve_them(
    url: str,
) -> None:
    with pytest.raises(RefusedDestinationError):
        asyncio.run(check_destination(url, allow_private=False))


def test_allowed_private_addresses_and_other_schemes() -> None:
    assert asyncio.run(check_destination("http://127.0.0.1:9/", allow_private=True)) is None
    with pytest.raises(RefusedDestinationError, match="http"):
        asyncio.run(check_destination("ftp://93.184.215.14/", allow_private=True))


def test_the_guarded_transport_refuses_before_connecting_unless_private_is_allowed() -> None:
    receiver = Receiver()

    async def post(allow_private: bool) -> int:
        async with httpx.AsyncClient(transport=GuardedTransport(allow_private)) as http:
            return (await http.post(receiver.url("/guarded"), content=b"{}")).status_code

    try:
        with pytest.raises(RefusedDestinationError, match=r"127\.0\.0\.1 is a loopback address"):
            asyncio.run(post(allow_private=False))
        assert receiver.at("/guarded") == []
        assert asyncio.run(post(allow_private=True)) == 200
        assert len(receiver.at("/guarded")) == 1
    finally:
        receiver.stop()

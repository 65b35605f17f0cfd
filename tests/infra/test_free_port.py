"""Ports handed to servers: free, and never from the range outgoing connections take theirs."""

from __future__ import annotations

import socket

from infra.embedded import EPHEMERAL_RANGE, LOWEST_PORT, free_port


def test_a_free_port_is_bindable_and_below_the_ephemeral_range() -> None:
    below = int(EPHEMERAL_RANGE.read_text().split()[0])
    ports = [free_port() for _ in range(200)]
    assert all(LOWEST_PORT <= port < below for port in ports), ports
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))  # free when handed out

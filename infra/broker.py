"""NATS JetStream: connection and the stream every domain event is published to."""

from __future__ import annotations

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

SUBJECT_PREFIX = "centsource.events"
# Publishing an event again within this window (a relay restarted after publishing but
# before committing its position) is dropped by JetStream: Nats-Msg-Id is the event id.
DUPLICATE_WINDOW_SECONDS = 3600.0
log = structlog.get_logger("broker")


async def connect(url: str) -> Client:
    """Connects, retrying for as long as it takes, then reconnects whenever the link drops."""
    return await nats.connect(
        url, connect_timeout=5, max_reconnect_attempts=-1, error_cb=_log_error
    )


async def _log_error(error: Exception) -> None:
    # The client's default prints a traceback for every failed attempt; one line says enough.
    log.warning("nats connection error", error=f"{type(error).__name__}: {error}")


async def ensure_stream(js: JetStreamContext, name: str) -> None:
    config = StreamConfig(
        name=name,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )
    try:
        await js.stream_info(name)
    except NotFoundError:
        await js.add_stream(config)

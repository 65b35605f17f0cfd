"""NATS JetStream: connection and the stream every domain event is published to."""

from __future__ import annotations

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

SUBJECT_PREFIX = "centsource.events"
# Publishing an event again within this window (a relay restarted after publishing but
# before committing its position) is dropped by JetStream: Nats-Msg-Id is the event id.
DUPLICATE_WINDOW_SECONDS = 3600.0


async def connect(url: str) -> Client:
    return await nats.connect(url, connect_timeout=5, max_reconnect_attempts=-1)


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

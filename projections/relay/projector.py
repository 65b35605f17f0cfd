"""Publishes each event as a CloudEvents 1.0 envelope to centsource.events.<workspace>.<Type>.

The relay is a tracked projection: it commits its position only after JetStream has
acknowledged every event of the batch. A crash in between publishes those events again on
restart, and JetStream drops them, because Nats-Msg-Id is the event id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from infra import broker
from projections.runtime import Cursor, Projection, event_id, event_payload, event_type

ACK_TIMEOUT_SECONDS = 30.0


def subject_for(event: Any) -> str:
    workspace = event.workspace_id or "system"
    return f"{broker.SUBJECT_PREFIX}.{workspace}.{event_type(event)}"


def cloud_event(event: Any, position: int, max_bytes: int | None = None) -> bytes:
    """The envelope; where it would be over ``max_bytes`` (the broker refuses a message over its
    max_payload, and the relay would stop there for good), its data's long texts and lists are
    cut, ever shorter, until it fits, and ``datatruncated`` says so. Keys all stay: readers of
    the stream look some up. The audit trail and the read models keep the whole event."""
    envelope = {
        "specversion": "1.0",
        "id": event_id(event),
        "source": "centsource",
        "type": f"centsource.{event_type(event)}",
        "subject": str(event.originator_id),
        "time": event.timestamp,
        "datacontenttype": "application/json",
        "position": position,
        "workspaceid": event.workspace_id,
        "actorid": event.actor_id,
        "correlationid": _cut(event.correlation_id, CORRELATION_ID_CHARS),
        "data": event_payload(event) | {"version": event.originator_version},
    }
    encoded = msgspec.json.encode(envelope)
    for limit in TRUNCATION_LIMITS:
        if max_bytes is None or len(encoded) <= max_bytes:
            break
        data = {key: _cut(value, limit) for key, value in event_payload(event).items()}
        data["version"] = event.originator_version
        encoded = msgspec.json.encode(envelope | {"data": data, "datatruncated": True})
    return encoded


# Each a number of characters per text and of items per list or object, tried in turn.
TRUNCATION_LIMITS = (1000, 100, 10, 1)
CORRELATION_ID_CHARS = 200
HEADERS_BYTES = 1024  # room left in a message for its headers (Nats-Msg-Id)


def _cut(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "\u2026"
    if isinstance(value, tuple | list):
        return [_cut(item, limit) for item in value[:limit]]
    if isinstance(value, dict):
        return {key: _cut(item, limit) for key, item in list(value.items())[:limit]}
    return value


class RelayProjection(Projection):
    name = "relay"
    every_event = True

    def __init__(self, nats_url: str, stream: str) -> None:
        self.nats_url = nats_url
        self.stream = stream
        self.client: Client | None = None
        self.js: JetStreamContext | None = None
        self.pending: list[asyncio.Future[PubAck]] = []

    async def before_batch(self) -> None:
        self.pending = []  # a failed batch's futures must not be awaited by the next one
        if self.client is None or not self.client.is_connected:
            self.client = await broker.connect(self.nats_url)
            self.js = self.client.jetstream()
            await broker.ensure_stream(self.js, self.stream)

    async def on_event(self, cur: Cursor, event: Any, position: int) -> None:
        assert self.js is not None
        assert self.client is not None
        self.pending.append(
            await self.js.publish_async(
                subject_for(event),
                cloud_event(event, position, self.client.max_payload - HEADERS_BYTES),
                headers={"Nats-Msg-Id": event_id(event)},
            )
        )

    async def after_batch(self) -> None:
        pending, self.pending = self.pending, []
        async with asyncio.timeout(ACK_TIMEOUT_SECONDS):
            await asyncio.gather(*pending)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

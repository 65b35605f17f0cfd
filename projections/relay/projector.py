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


def cloud_event(event: Any, position: int) -> bytes:
    return msgspec.json.encode(
        {
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
            "correlationid": event.correlation_id,
            "data": event_payload(event) | {"version": event.originator_version},
        }
    )


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
        self.pending.append(
            await self.js.publish_async(
                subject_for(event),
                cloud_event(event, position),
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

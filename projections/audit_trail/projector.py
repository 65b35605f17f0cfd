"""Records every event: who, when, where, which aggregate at which version, and what."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from projections.audit_trail.view import TABLES
from projections.runtime import Cursor, Projection, copy_rows, event_payload, event_type

LINE_COLUMNS = (
    *("position", "occurred_at", "actor_id", "workspace_id", "correlation_id", "aggregate_id"),
    *("aggregate_type", "version", "type", "payload"),
)
LINE_TYPES = (
    "int8",
    "timestamptz",
    "uuid",
    "uuid",
    "text",
    "uuid",
    "text",
    "int4",
    "text",
    "jsonb",
)


class AuditTrailProjection(Projection):
    name = "audit_trail"
    tables = TABLES
    every_event = True

    def __init__(self) -> None:
        self.lines: list[tuple[Any, ...]] = []  # the batch's, written together in flush

    async def before_batch(self) -> None:
        self.lines = []

    async def flush(self, cur: Cursor) -> None:
        await copy_rows(cur, "audit_trail", LINE_COLUMNS, LINE_TYPES, self.lines)

    async def on_event(self, cur: Cursor, event: Any, position: int) -> None:
        self.lines.append(
            (
                position,
                event.timestamp,
                event.actor_id,
                event.workspace_id,
                str(event.correlation_id),
                event.originator_id,
                type(event).__qualname__.split(".")[0],
                event.originator_version,
                event_type(event),
                Jsonb(event_payload(event), dumps=msgspec.json.encode),
            ),
        )

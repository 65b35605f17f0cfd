"""The audit trail's table, and the queries the read API asks of it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from projections.audit_trail.model import AuditEntry, AuditPage

TABLES = (
    """CREATE TABLE IF NOT EXISTS audit_trail (
        position bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        actor_id uuid NOT NULL,
        workspace_id uuid,
        correlation_id text NOT NULL,
        aggregate_id uuid NOT NULL,
        aggregate_type text NOT NULL,
        version integer NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_trail_by_workspace ON audit_trail (workspace_id, position)",
    "CREATE INDEX IF NOT EXISTS audit_trail_by_aggregate ON audit_trail (aggregate_id, version)",
)


async def audit_page(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, after: int, limit: int
) -> AuditPage:
    rows = await (
        await conn.execute(
            "SELECT * FROM audit_trail WHERE workspace_id = %s AND position > %s "
            "ORDER BY position LIMIT %s",
            (workspace_id, after, limit),
        )
    ).fetchall()
    entries = [AuditEntry(**row) for row in rows]
    return AuditPage(
        data=entries, next_after=entries[-1].position if len(entries) == limit else None
    )


async def aggregate_history(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, aggregate_id: UUID
) -> list[AuditEntry]:
    rows = await (
        await conn.execute(
            "SELECT * FROM audit_trail WHERE workspace_id = %s AND aggregate_id = %s "
            "ORDER BY version",
            (workspace_id, aggregate_id),
        )
    ).fetchall()
    return [AuditEntry(**row) for row in rows]

"""Tables of the workspaces projection, and the queries the read API asks of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

TABLES = (
    """CREATE TABLE IF NOT EXISTS workspaces (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        base_currency text NOT NULL,
        created_at timestamptz NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS workspaces_members (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL,
        PRIMARY KEY (workspace_id, user_id)
    )""",
)


async def role_of(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, user_id: UUID
) -> str | None:
    cursor = await conn.execute(
        "SELECT role FROM workspaces_members WHERE workspace_id = %s AND user_id = %s",
        (workspace_id, user_id),
    )
    row = await cursor.fetchone()
    return None if row is None else str(row["role"])

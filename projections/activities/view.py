"""Tables of the activities projection, and the feed query (names joined as they are now)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

TABLES = (
    """CREATE TABLE IF NOT EXISTS activities (
        position bigint PRIMARY KEY,
        workspace_id uuid NOT NULL,
        occurred_at timestamptz NOT NULL,
        actor_id uuid NOT NULL,
        type text NOT NULL,
        text text NOT NULL,
        subject_id uuid
    )""",
    "CREATE INDEX IF NOT EXISTS activities_feed ON activities (workspace_id, position DESC)",
)


async def feed(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """Actors and subjects are named at read time, from the users projection (or the API
    key's name), so that a member's new name shows on old entries too."""
    total_cursor = await conn.execute(
        "SELECT count(*) AS total FROM activities WHERE workspace_id = %s", (workspace_id,)
    )
    total_row = await total_cursor.fetchone()
    cursor = await conn.execute(
        "SELECT a.position, a.occurred_at, a.actor_id, a.type, a.text, a.subject_id,"
        " COALESCE(au.name, 'API key ' || ak.name, 'someone') AS actor_name,"
        " COALESCE(su.name, 'API key ' || sk.name, 'someone') AS subject_name"
        " FROM activities a"
        " LEFT JOIN users au ON au.id = a.actor_id"
        " LEFT JOIN workspaces_api_keys ak ON ak.id = a.actor_id"
        " LEFT JOIN users su ON su.id = a.subject_id"
        " LEFT JOIN workspaces_api_keys sk ON sk.id = a.subject_id"
        " WHERE a.workspace_id = %s ORDER BY a.position DESC LIMIT %s OFFSET %s",
        (workspace_id, page_size, (page - 1) * page_size),
    )
    return await cursor.fetchall(), int(total_row["total"] if total_row else 0)

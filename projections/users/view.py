"""Tables of the users projection, and the queries the read API asks of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

TABLES = (
    """CREATE TABLE IF NOT EXISTS users (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        email text,
        system_role text NOT NULL DEFAULT 'USER'
    )""",
    """CREATE TABLE IF NOT EXISTS users_sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz
    )""",
    "CREATE INDEX IF NOT EXISTS users_sessions_user ON users_sessions (user_id, started_at)",
)


async def session_ended(conn: psycopg.AsyncConnection[dict[str, Any]], session_id: UUID) -> bool:
    """A session the projection has not seen yet is new, so not ended."""
    cursor = await conn.execute(
        "SELECT ended_at IS NOT NULL AS ended FROM users_sessions WHERE id = %s", (session_id,)
    )
    row = await cursor.fetchone()
    return bool(row and row["ended"])


async def is_system_admin(conn: psycopg.AsyncConnection[dict[str, Any]], user_id: UUID) -> bool:
    cursor = await conn.execute(
        "SELECT system_role = 'ADMIN' AS admin FROM users WHERE id = %s", (user_id,)
    )
    row = await cursor.fetchone()
    return bool(row and row["admin"])

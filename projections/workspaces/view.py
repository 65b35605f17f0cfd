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
    # Columns added after the first release: a running projection keeps its position.
    "ALTER TABLE workspaces ADD COLUMN IF NOT EXISTS timezone text NOT NULL DEFAULT 'UTC'",
    "ALTER TABLE workspaces ADD COLUMN IF NOT EXISTS week_start text NOT NULL DEFAULT 'MONDAY'",
    "ALTER TABLE workspaces ADD COLUMN IF NOT EXISTS deleted_at timestamptz",
    """CREATE TABLE IF NOT EXISTS workspaces_members (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role text NOT NULL,
        PRIMARY KEY (workspace_id, user_id)
    )""",
    "ALTER TABLE workspaces_members ADD COLUMN IF NOT EXISTS joined_at timestamptz",
    "CREATE INDEX IF NOT EXISTS workspaces_members_user ON workspaces_members (user_id)",
    """CREATE TABLE IF NOT EXISTS workspaces_invitations (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        email text NOT NULL,
        role text NOT NULL,
        invited_by uuid NOT NULL,
        invited_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS workspaces_api_keys (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        role text NOT NULL,
        prefix text NOT NULL,
        secret_hash text NOT NULL,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
    )""",
)


async def role_of(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID, user_id: UUID
) -> str | None:
    """The member's role in a workspace that is not deleted; None for anyone else."""
    cursor = await conn.execute(
        "SELECT m.role FROM workspaces_members m JOIN workspaces w ON w.id = m.workspace_id"
        " WHERE m.workspace_id = %s AND m.user_id = %s AND w.deleted_at IS NULL",
        (workspace_id, user_id),
    )
    row = await cursor.fetchone()
    return None if row is None else str(row["role"])


async def api_key(
    conn: psycopg.AsyncConnection[dict[str, Any]], key_id: UUID
) -> dict[str, Any] | None:
    """A key that is not revoked, of a workspace that is not deleted."""
    cursor = await conn.execute(
        "SELECT k.workspace_id, k.role, k.secret_hash FROM workspaces_api_keys k"
        " JOIN workspaces w ON w.id = k.workspace_id"
        " WHERE k.id = %s AND k.revoked_at IS NULL AND w.deleted_at IS NULL",
        (key_id,),
    )
    row: dict[str, Any] | None = await cursor.fetchone()
    return row


async def workspaces_of(
    conn: psycopg.AsyncConnection[dict[str, Any]], user_id: UUID
) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        "SELECT w.id, w.name, w.base_currency, w.timezone, w.week_start, w.created_at, m.role"
        " FROM workspaces w JOIN workspaces_members m ON m.workspace_id = w.id"
        " WHERE m.user_id = %s AND w.deleted_at IS NULL ORDER BY w.created_at, w.id",
        (user_id,),
    )
    return await cursor.fetchall()


async def workspace(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID
) -> dict[str, Any]:
    cursor = await conn.execute(
        "SELECT id, name, base_currency, timezone, week_start, created_at"
        " FROM workspaces WHERE id = %s",
        (workspace_id,),
    )
    row: dict[str, Any] = await cursor.fetchone()  # type: ignore[assignment]
    return row


async def members(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID
) -> list[dict[str, Any]]:
    """Names come from the users projection: a member's new name shows at once."""
    cursor = await conn.execute(
        "SELECT m.user_id, m.role, m.joined_at, u.name, u.email FROM workspaces_members m"
        " LEFT JOIN users u ON u.id = m.user_id WHERE m.workspace_id = %s"
        " ORDER BY m.joined_at NULLS FIRST, m.user_id",
        (workspace_id,),
    )
    return await cursor.fetchall()


async def invitations(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID
) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        "SELECT id, email, role, invited_by, invited_at, expires_at FROM workspaces_invitations"
        " WHERE workspace_id = %s ORDER BY invited_at, id",
        (workspace_id,),
    )
    return await cursor.fetchall()


async def api_keys(
    conn: psycopg.AsyncConnection[dict[str, Any]], workspace_id: UUID
) -> list[dict[str, Any]]:
    cursor = await conn.execute(
        "SELECT id, name, role, prefix, created_by, created_at, revoked_at"
        " FROM workspaces_api_keys WHERE workspace_id = %s ORDER BY created_at, id",
        (workspace_id,),
    )
    return await cursor.fetchall()

"""The latest event that took access away, so the read API can wait until it is projected.

The read API checks membership, sessions and API keys in the ``workspaces`` and ``users``
projections. Before it trusts them it waits until they have passed the last committed event
of these types: a removed member, an ended session or a revoked key is refused at the next
request, while reads pay one index lookup when nothing was taken away.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from domain.identity.session import Session
from domain.identity.user import User
from domain.workspaces.api_key import ApiKey
from domain.workspaces.workspace import Workspace
from infra.database import EVENT_STORE_LOCK
from projections.runtime import EVENTS_TABLE

ACCESS_MODELS = ("workspaces", "users")
NARROWING_EVENTS = (
    Session.Ended,
    User.PasswordChanged,
    User.PasswordReset,
    User.SystemRoleChanged,
    Workspace.Deleted,
    Workspace.MemberRoleChanged,
    Workspace.MemberRemoved,
    Workspace.MemberLeft,
    ApiKey.Revoked,
)
_NARROWING_TOPICS = tuple(get_topic(cls) for cls in NARROWING_EVENTS)
_TOPICS = sql.SQL(", ").join(sql.Literal(topic) for topic in _NARROWING_TOPICS)
_INDEX = (
    "centsource_events_narrowing_"
    + hashlib.sha256("|".join(_NARROWING_TOPICS).encode()).hexdigest()[:8]
)


async def create_index(conn: psycopg.AsyncConnection[dict[str, Any]]) -> bool:
    """A partial index on the few narrowing events; False while the event table is missing.

    Made once, plainly, under the event store's lock (two read APIs starting together would
    clash). Not CONCURRENTLY: that holds a lock every write of the log waits for, for as long
    as it waits for every older transaction in the whole database to end."""
    if await _index_valid(conn):
        return True
    await conn.execute("SELECT pg_advisory_lock(%s)", (EVENT_STORE_LOCK,))
    try:
        if await _index_valid(conn) is False:  # an earlier version's CONCURRENTLY cut short
            await conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(_INDEX)))
        await conn.execute(
            sql.SQL(
                "CREATE INDEX IF NOT EXISTS {} ON {} (notification_id) WHERE topic IN ({})"
            ).format(sql.Identifier(_INDEX), sql.Identifier(EVENTS_TABLE), _TOPICS)
        )
    except psycopg.errors.UndefinedTable:
        return False
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (EVENT_STORE_LOCK,))
    return True


async def _index_valid(conn: psycopg.AsyncConnection[dict[str, Any]]) -> bool | None:
    """Whether the index is there and usable; None when it is not there."""
    cursor = await conn.execute(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (_INDEX,)
    )
    row = await cursor.fetchone()
    return None if row is None else bool(row["indisvalid"])


async def last_narrowing_position(conn: psycopg.AsyncConnection[dict[str, Any]]) -> int:
    try:
        cursor = await conn.execute(
            sql.SQL(
                "SELECT COALESCE(max(notification_id), 0) AS position FROM {} WHERE topic IN ({})"
            ).format(sql.Identifier(EVENTS_TABLE), _TOPICS)
        )
    except psycopg.errors.UndefinedTable:
        return 0
    row = await cursor.fetchone()
    return int(row["position"]) if row else 0


async def session_access(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    session_id: UUID,
    user_id: UUID,
    workspace_id: UUID | None,
) -> dict[str, Any]:
    """In one round trip: the last narrowing event's position, whether the session ended,
    and the user's role in the workspace (None for a stranger, or without a workspace)."""
    cursor = await conn.execute(
        sql.SQL(
            "SELECT (SELECT COALESCE(max(notification_id), 0) FROM {} WHERE topic IN ({}))"
            " AS narrowed_at,"
            " EXISTS (SELECT 1 FROM users_sessions WHERE id = %s AND ended_at IS NOT NULL)"
            " AS ended,"
            " (SELECT m.role FROM workspaces_members m JOIN workspaces w ON w.id = m.workspace_id"
            "  WHERE m.workspace_id = %s AND m.user_id = %s AND w.deleted_at IS NULL) AS role"
        ).format(sql.Identifier(EVENTS_TABLE), _TOPICS),
        (session_id, workspace_id, user_id),
    )
    row = await cursor.fetchone()
    assert row is not None
    return row

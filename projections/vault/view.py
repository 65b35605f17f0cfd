"""Tables of the vault projection and their queries; everything sealed stays sealed here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

TABLES = (
    """CREATE TABLE IF NOT EXISTS vault_keys (
        workspace_id uuid PRIMARY KEY,
        salt text NOT NULL,
        wrapped_key text NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS vault_records (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        type text NOT NULL,
        sealed_title text NOT NULL,
        sealed_version integer NOT NULL,
        visible_to_beneficiaries boolean NOT NULL,
        attachments integer NOT NULL DEFAULT 0,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS vault_records_workspace ON vault_records (workspace_id)",
    """CREATE TABLE IF NOT EXISTS vault_beneficiaries (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        sealed text NOT NULL,
        sealed_version integer NOT NULL,
        records jsonb,
        confirmed boolean NOT NULL DEFAULT false,
        removed boolean NOT NULL DEFAULT false,
        version integer NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS vault_beneficiaries_ws ON vault_beneficiaries (workspace_id)",
    """CREATE TABLE IF NOT EXISTS vault_access_log (
        position bigint PRIMARY KEY,
        workspace_id uuid NOT NULL,
        action text NOT NULL,
        actor_id uuid NOT NULL,
        record_id uuid,
        session_id uuid,
        release_id uuid,
        at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS vault_access_log_ws ON vault_access_log (workspace_id, position)",
)

Conn = psycopg.AsyncConnection[dict[str, Any]]


async def key(conn: Conn, workspace_id: UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await (
        await conn.execute(
            "SELECT salt, wrapped_key FROM vault_keys WHERE workspace_id = %s", (workspace_id,)
        )
    ).fetchone()
    return row


async def records(
    conn: Conn, workspace_id: UUID, type: str | None, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    where = "workspace_id = %s AND NOT deleted AND (%s::text IS NULL OR type = %s)"
    params = (workspace_id, type, type)
    total = await (
        await conn.execute(f"SELECT count(*) AS n FROM vault_records WHERE {where}", params)  # noqa: S608
    ).fetchone()
    rows = await (
        await conn.execute(
            f"SELECT * FROM vault_records WHERE {where} "  # noqa: S608 - a constant
            "ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (*params, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    return rows, int(total["n"]) if total else 0


async def record_ids(conn: Conn, workspace_id: UUID) -> list[UUID]:
    rows = await (
        await conn.execute(
            "SELECT id FROM vault_records WHERE workspace_id = %s AND NOT deleted "
            "ORDER BY created_at, id",
            (workspace_id,),
        )
    ).fetchall()
    return [row["id"] for row in rows]


async def beneficiaries(conn: Conn, workspace_id: UUID) -> list[dict[str, Any]]:
    return await (
        await conn.execute(
            "SELECT * FROM vault_beneficiaries WHERE workspace_id = %s AND NOT removed ORDER BY id",
            (workspace_id,),
        )
    ).fetchall()


async def beneficiary_count(conn: Conn, workspace_id: UUID) -> int:
    row = await (
        await conn.execute(
            "SELECT count(*) AS n FROM vault_beneficiaries WHERE workspace_id = %s AND NOT removed",
            (workspace_id,),
        )
    ).fetchone()
    return int(row["n"]) if row else 0


async def access_log(
    conn: Conn, workspace_id: UUID, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    total = await (
        await conn.execute(
            "SELECT count(*) AS n FROM vault_access_log WHERE workspace_id = %s", (workspace_id,)
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            "SELECT * FROM vault_access_log WHERE workspace_id = %s "
            "ORDER BY position DESC LIMIT %s OFFSET %s",
            (workspace_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    return rows, int(total["n"]) if total else 0

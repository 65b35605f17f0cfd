"""Tables of webhook subscriptions (rebuildable) and of deliveries (the dispatcher's log, never
rebuilt: it records what was sent), and the queries the read API asks of them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
import psycopg

from infra.database import DDL_LOCK
from projections.pages import PageMeta
from projections.webhooks.model import (
    DeliveryPage,
    DeliveryView,
    SubscriptionView,
)

TABLES = (
    """CREATE TABLE IF NOT EXISTS webhook_subscriptions (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        url text NOT NULL,
        event_types text[] NOT NULL,
        description text,
        secret_salt text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        deleted boolean NOT NULL DEFAULT false,
        created_position bigint NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_subscriptions_by_workspace "
    "ON webhook_subscriptions (workspace_id)",
)
DELIVERY_TABLES = (
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id uuid PRIMARY KEY,
        subscription_id uuid NOT NULL,
        workspace_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        position bigint NOT NULL,
        body bytea NOT NULL,
        status text NOT NULL DEFAULT 'PENDING',
        failures integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) "
    "WHERE status = 'PENDING'",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_by_subscription "
    "ON webhook_deliveries (subscription_id, position DESC)",
    """CREATE TABLE IF NOT EXISTS webhook_attempts (
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL,
        status_code integer,
        latency_ms double precision NOT NULL,
        error text,
        PRIMARY KEY (delivery_id, attempt)
    )""",
)

Conn = psycopg.AsyncConnection[dict[str, Any]]
SUBSCRIPTION_COLUMNS = (
    "id, workspace_id, url, event_types, description, enabled, disabled_reason, "
    "created_position, version, created_at, updated_at"
)


def webhook_id(delivery_id: UUID) -> str:
    return f"msg_{delivery_id.hex}"


async def create_delivery_tables(conn: Conn) -> None:
    """Made by the dispatcher and the read API, whichever starts first."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        for statement in DELIVERY_TABLES:
            await conn.execute(statement)


async def list_subscriptions(conn: Conn, workspace_id: UUID) -> list[SubscriptionView]:
    rows = await (
        await conn.execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions "  # noqa: S608
            "WHERE workspace_id = %s AND NOT deleted ORDER BY created_at, id",
            (workspace_id,),
        )
    ).fetchall()
    return [msgspec.convert(row, SubscriptionView) for row in rows]


async def get_subscription(
    conn: Conn, workspace_id: UUID, subscription_id: UUID
) -> SubscriptionView | None:
    row = await (
        await conn.execute(
            f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions "  # noqa: S608
            "WHERE workspace_id = %s AND id = %s AND NOT deleted",
            (workspace_id, subscription_id),
        )
    ).fetchone()
    return None if row is None else msgspec.convert(row, SubscriptionView)


async def list_deliveries(
    conn: Conn, subscription_id: UUID, status: str | None, page: int, page_size: int
) -> DeliveryPage:
    """Newest first, each with every attempt: when, the response code, how long it took."""
    params = {
        "sub": subscription_id,
        "status": status,
        "limit": page_size,
        "offset": (page - 1) * page_size,
    }
    where = "d.subscription_id = %(sub)s AND (%(status)s::text IS NULL OR d.status = %(status)s)"
    counted = await (
        await conn.execute(
            f"SELECT count(*) AS n FROM webhook_deliveries d WHERE {where}",  # noqa: S608
            params,
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            "SELECT d.id, d.event_id, d.event_type, d.position, d.status, d.next_attempt_at, "  # noqa: S608
            "d.created_at, d.delivered_at, coalesce(jsonb_agg(jsonb_build_object("
            "'attempt', a.attempt, 'attempted_at', a.attempted_at, 'status_code', a.status_code, "
            "'latency_ms', a.latency_ms, 'error', a.error) ORDER BY a.attempt) "
            "FILTER (WHERE a.attempt IS NOT NULL), '[]') AS attempts "
            "FROM webhook_deliveries d LEFT JOIN webhook_attempts a ON a.delivery_id = d.id "
            f"WHERE {where} GROUP BY d.id "
            "ORDER BY d.position DESC, d.id LIMIT %(limit)s OFFSET %(offset)s",
            params,
        )
    ).fetchall()
    total = counted["n"] if counted else 0
    return DeliveryPage(
        data=[
            msgspec.convert({**row, "webhook_id": webhook_id(row["id"])}, DeliveryView)
            for row in rows
        ],
        meta=PageMeta.of(page, page_size, total),
    )

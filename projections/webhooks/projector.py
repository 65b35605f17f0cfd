"""Webhook subscriptions as they stand, and the position each one began at."""

from __future__ import annotations

from typing import Any

from domain.webhooks.subscription import WebhookSubscription
from projections.runtime import Cursor, Projection, handles
from projections.webhooks.view import TABLES


class WebhooksProjection(Projection):
    name = "webhooks"
    tables = TABLES

    @handles(WebhookSubscription.Created)
    async def on_subscribed(
        self, cur: Cursor, event: WebhookSubscription.Created, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO webhook_subscriptions (id, workspace_id, url, event_types, description, "
            "secret_salt, created_position, version, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.url,
                list(event.event_types),
                event.description,
                event.secret_salt,
                position,
                event.originator_version,
                event.timestamp,
                event.timestamp,
            ),
        )

    @handles(WebhookSubscription.Changed)
    async def on_changed(
        self, cur: Cursor, event: WebhookSubscription.Changed, position: int
    ) -> None:
        await self._update(
            cur,
            event,
            "url = %s, event_types = %s, description = %s",
            event.url,
            list(event.event_types),
            event.description,
        )

    @handles(WebhookSubscription.Disabled)
    async def on_disabled(self, cur: Cursor, event: Any, position: int) -> None:
        await self._update(cur, event, "enabled = false, disabled_reason = %s", event.reason)

    @handles(WebhookSubscription.Enabled)
    async def on_enabled(self, cur: Cursor, event: Any, position: int) -> None:
        await self._update(cur, event, "enabled = true, disabled_reason = NULL")

    @handles(WebhookSubscription.SecretRotated)
    async def on_secret_rotated(self, cur: Cursor, event: Any, position: int) -> None:
        await self._update(cur, event, "secret_salt = %s", event.secret_salt)

    @handles(WebhookSubscription.Deleted)
    async def on_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await self._update(cur, event, "deleted = true")

    async def _update(self, cur: Cursor, event: Any, assignments: str, *values: Any) -> None:
        await cur.execute(
            f"UPDATE webhook_subscriptions SET {assignments}, "  # noqa: S608 - our own SQL
            "version = %s, updated_at = %s WHERE id = %s",
            (*values, event.originator_version, event.timestamp, event.originator_id),
        )

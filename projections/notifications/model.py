"""What the read API returns about notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class NotificationView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID | None
    # ALERT, ALERT_DIGEST, GOAL_COMPLETED, INVITATION, LARGE_TRANSACTION, UNUSUAL_TRANSACTION
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    position: int
    created_at: datetime
    read_at: datetime | None


class NotificationPage(msgspec.Struct, kw_only=True):
    data: list[NotificationView]
    unread: int
    meta: PageMeta

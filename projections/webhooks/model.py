"""What the read API returns about webhook subscriptions and their deliveries."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class SubscriptionView(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    url: str
    event_types: list[str]  # empty: every public type
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_position: int
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionList(msgspec.Struct, kw_only=True):
    data: list[SubscriptionView]


class AttemptView(msgspec.Struct, kw_only=True):
    attempt: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: float
    error: str | None


class DeliveryView(msgspec.Struct, kw_only=True):
    id: UUID
    webhook_id: str  # the webhook-id header: the same on every attempt
    event_id: UUID
    event_type: str
    position: int
    status: str  # PENDING, DELIVERED, FAILED, CANCELLED
    attempts: list[AttemptView]
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(msgspec.Struct, kw_only=True):
    data: list[DeliveryView]
    meta: PageMeta

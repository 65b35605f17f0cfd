"""What the read API returns of the activity feed."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class Named(msgspec.Struct, kw_only=True):
    id: UUID
    name: str


class ActivityView(msgspec.Struct, kw_only=True):
    position: int
    occurred_at: datetime
    type: str
    actor: Named
    subject: Named | None
    text: str  # "Ada recorded -5.75 EUR «Coffee»", with names as they are now


class ActivityPage(msgspec.Struct, kw_only=True):
    data: list[ActivityView]
    meta: PageMeta

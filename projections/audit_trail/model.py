"""What the read API returns from the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec


class AuditEntry(msgspec.Struct, kw_only=True):
    position: int
    occurred_at: datetime
    actor_id: UUID
    workspace_id: UUID | None
    correlation_id: str
    aggregate_id: UUID
    aggregate_type: str
    version: int
    type: str
    payload: dict[str, Any]


class AuditPage(msgspec.Struct, kw_only=True):
    """The log paginates by position: pass the last entry's position as ``after``."""

    data: list[AuditEntry]
    next_after: int | None

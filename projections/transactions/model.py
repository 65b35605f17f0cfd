"""What the read API returns about transactions."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class SplitView(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    amount: str
    notes: str | None


class TransactionView(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``type`` is income, expense or transfer (a transfer's legs are neither)."""

    id: UUID
    workspace_id: UUID
    account_id: UUID
    date: date
    time: time | None  # local, to the second; none when not known
    amount: str
    currency: str
    type: str
    description: str
    merchant: str | None
    category_id: UUID | None
    category: str | None
    categorized_by: str | None
    confidence: str | None
    user_corrected: bool
    tags: list[str]
    notes: str | None
    splits: list[SplitView]
    transfer_id: UUID | None
    counter_account_id: UUID | None
    import_id: UUID | None
    reconciled: bool
    deleted: bool
    deleted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class TransactionPage(msgspec.Struct, kw_only=True):
    data: list[TransactionView]
    meta: PageMeta


class HistoryEntry(msgspec.Struct, kw_only=True):
    position: int
    version: int
    type: str
    occurred_at: datetime
    actor_id: UUID
    correlation_id: str
    payload: dict[str, Any]


class TransactionHistory(msgspec.Struct, kw_only=True):
    data: list[HistoryEntry]


class AttachmentView(msgspec.Struct, kw_only=True):
    id: UUID
    transaction_id: UUID
    file_name: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class AttachmentList(msgspec.Struct, kw_only=True):
    data: list[AttachmentView]

"""What the read API serves of the vault (titles and beneficiaries decrypted by the route)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

import msgspec

from projections.pages import PageMeta


class VaultRecordListed(msgspec.Struct, kw_only=True):
    id: UUID
    type: str
    title: str
    visible_to_beneficiaries: bool
    attachments: int
    version: int
    created_at: datetime
    updated_at: datetime


class VaultRecordList(msgspec.Struct, kw_only=True):
    data: list[VaultRecordListed]
    meta: PageMeta


class BeneficiaryListed(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    email: str
    relationship: str
    records: list[UUID] | Literal["all"]
    notes: str | None
    confirmed: bool
    version: int


class BeneficiaryList(msgspec.Struct, kw_only=True):
    data: list[BeneficiaryListed]


class AccessLogEntry(msgspec.Struct, kw_only=True):
    """``action``: VIEWED (a record decrypted; by a member's ``session_id`` or a
    beneficiary's ``release_id``), UNLOCKED, LOCKED_OUT (5 wrong PINs), RELEASE_OPENED."""

    position: int
    action: str
    actor_id: UUID
    record_id: UUID | None
    session_id: UUID | None
    release_id: UUID | None
    at: datetime


class AccessLog(msgspec.Struct, kw_only=True):
    data: list[AccessLogEntry]
    meta: PageMeta

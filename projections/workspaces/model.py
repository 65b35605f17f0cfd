"""What the read API returns about workspaces, their members, invitations and API keys."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class WorkspaceView(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    base_currency: str
    timezone: str
    week_start: str
    created_at: datetime
    role: str | None  # the reader's own role; None for an API key


class MemberView(msgspec.Struct, kw_only=True):
    user_id: UUID
    name: str | None
    email: str | None
    role: str
    joined_at: datetime | None


class InvitationView(msgspec.Struct, kw_only=True):
    id: UUID
    email: str
    role: str
    invited_by: UUID
    invited_at: datetime
    expires_at: datetime


class ApiKeyView(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    role: str
    prefix: str
    created_by: UUID
    created_at: datetime
    revoked_at: datetime | None


class WorkspaceList(msgspec.Struct, kw_only=True):
    data: list[WorkspaceView]


class MemberList(msgspec.Struct, kw_only=True):
    data: list[MemberView]


class InvitationList(msgspec.Struct, kw_only=True):
    data: list[InvitationView]


class ApiKeyList(msgspec.Struct, kw_only=True):
    data: list[ApiKeyView]

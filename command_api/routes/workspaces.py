"""Workspaces: create, rename, settings, delete; members, invitations and API keys."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, delete, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from command_api.access import Access, current_user
from command_api.context import new_id
from command_api.routes.auth import Email
from domain.base import Actor
from domain.identity.application import Identity
from domain.workspaces.application import Workspaces
from domain.workspaces.workspace import WEEKDAYS, Role, Workspace
from infra.mail import Mail, Mailer
from infra.tokens import Principal, api_key_prefix, new_api_key

Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
WorkspaceName = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
WORKSPACE = "/api/workspaces/{workspace_id:uuid}"


class CreateWorkspace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: WorkspaceName
    base_currency: Currency


class RenameWorkspace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: WorkspaceName


class ChangeSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    base_currency: Currency
    timezone: Annotated[str, Meta(min_length=1, max_length=64, examples=["Europe/Berlin"])]
    week_start: Annotated[str, Meta(pattern="^(" + "|".join(WEEKDAYS) + ")$")]


class WorkspaceOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    base_currency: str
    timezone: str
    week_start: str
    role: str | None
    version: int
    position: int


class InviteMember(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Email
    role: Role


class InvitationOut(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    email: str
    role: str
    expires_at: datetime
    email_sent: bool
    position: int


class AnswerInvitation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, Meta(min_length=1, max_length=512)]


class ChangeRole(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role


class CreateApiKey(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
    role: Role


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    role: str
    prefix: str
    key: str  # shown this once; only its hash is kept
    position: int


class Position(msgspec.Struct, kw_only=True):
    position: int


@post("/api/workspaces", sync_to_thread=True, status_code=201, access=Access.SIGNED_IN)
def create_workspace(
    data: JSONBody[CreateWorkspace],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> WorkspaceOut:
    workspace, position = workspaces.create_workspace(
        new_id(request, principal, "workspace"), data.name, data.base_currency, actor
    )
    return workspace_out(workspace, actor.actor_id, position)


@patch(WORKSPACE, sync_to_thread=True, access=Access.ADMIN)
def rename_workspace(
    workspace_id: FromPath[UUID],
    data: JSONBody[RenameWorkspace],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> WorkspaceOut:
    workspace, position = workspaces.rename(workspace_id, data.name, actor)
    return workspace_out(workspace, actor.actor_id, position)


@put(f"{WORKSPACE}/settings", sync_to_thread=True, access=Access.ADMIN)
def change_settings(
    workspace_id: FromPath[UUID],
    data: JSONBody[ChangeSettings],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> WorkspaceOut:
    workspace, position = workspaces.change_settings(
        workspace_id, data.base_currency, data.timezone, data.week_start, actor
    )
    return workspace_out(workspace, actor.actor_id, position)


@delete(WORKSPACE, sync_to_thread=True, status_code=200, access=Access.ADMIN)
def delete_workspace(
    workspace_id: FromPath[UUID],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    """Soft: its events stay for audit; every member loses access at once."""
    return Position(position=workspaces.delete(workspace_id, actor))


@post(f"{WORKSPACE}/invitations", status_code=201, access=Access.ADMIN)
async def invite_member(
    workspace_id: FromPath[UUID],
    data: JSONBody[InviteMember],
    workspaces: NamedDependency[Workspaces],
    identity: NamedDependency[Identity],
    mailer: NamedDependency[Mailer],
    actor: NamedDependency[Actor],
) -> InvitationOut:
    """Mails a one-use token to the email; only its hash is stored. Expires in 7 days."""
    existing_user_id = await asyncio.to_thread(identity.find_user_id, data.email)
    invited = await asyncio.to_thread(
        workspaces.invite, workspace_id, data.email, data.role, existing_user_id, actor
    )
    name = invited.workspace.name
    sent = await mailer.send(
        Mail(
            data.email,
            f"You are invited to {name} on centsource",
            f"You are invited to the workspace {name!r} as {data.role.value}.\n"
            f"Accept with POST /api/invitations/accept and this token:\n{invited.token}\n"
            "It works once and expires in 7 days.",
        )
    )
    return InvitationOut(
        id=invited.invitation_id,
        workspace_id=workspace_id,
        email=invited.invitation.email,
        role=invited.invitation.role.value,
        expires_at=invited.invitation.expires_at,
        email_sent=sent,
        position=invited.position,
    )


@delete(
    f"{WORKSPACE}/invitations/{{invitation_id:uuid}}",
    sync_to_thread=True,
    status_code=200,
    access=Access.ADMIN,
)
def revoke_invitation(
    workspace_id: FromPath[UUID],
    invitation_id: FromPath[UUID],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    return Position(position=workspaces.revoke_invitation(workspace_id, invitation_id, actor))


@post("/api/invitations/accept", sync_to_thread=True, status_code=200, access=Access.SIGNED_IN)
def accept_invitation(
    data: JSONBody[AnswerInvitation],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> WorkspaceOut:
    """Only the user with the invited email can accept."""
    workspace, _, position = workspaces.accept_invitation(
        data.token, current_user(request).email, actor
    )
    return workspace_out(workspace, actor.actor_id, position)


@post("/api/invitations/decline", sync_to_thread=True, status_code=200, access=Access.SIGNED_IN)
def decline_invitation(
    data: JSONBody[AnswerInvitation],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Position:
    position = workspaces.decline_invitation(data.token, current_user(request).email, actor)
    return Position(position=position)


@patch(f"{WORKSPACE}/members/{{user_id:uuid}}", sync_to_thread=True, access=Access.ADMIN)
def change_member_role(
    workspace_id: FromPath[UUID],
    user_id: FromPath[UUID],
    data: JSONBody[ChangeRole],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    return Position(position=workspaces.change_role(workspace_id, user_id, data.role, actor))


@delete(
    f"{WORKSPACE}/members/{{user_id:uuid}}",
    sync_to_thread=True,
    status_code=200,
    access=Access.ADMIN,
)
def remove_member(
    workspace_id: FromPath[UUID],
    user_id: FromPath[UUID],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    return Position(position=workspaces.remove_member(workspace_id, user_id, actor))


@post(f"{WORKSPACE}/leave", sync_to_thread=True, status_code=200, access=Access.VIEWER)
def leave_workspace(
    workspace_id: FromPath[UUID],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    return Position(position=workspaces.leave(workspace_id, actor))


@post(f"{WORKSPACE}/api-keys", sync_to_thread=True, status_code=201, access=Access.ADMIN)
def create_api_key(
    workspace_id: FromPath[UUID],
    data: JSONBody[CreateApiKey],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ApiKeyOut:
    key_id = new_id(request, principal, "api-key")
    text, secret = new_api_key(key_id)
    key, position = workspaces.create_api_key(
        key_id, workspace_id, data.name, data.role, api_key_prefix(key_id), secret, actor
    )
    return ApiKeyOut(
        id=key.id,
        workspace_id=workspace_id,
        name=key.name,
        role=key.role.value,
        prefix=key.prefix,
        key=text,
        position=position,
    )


@delete(
    f"{WORKSPACE}/api-keys/{{key_id:uuid}}",
    sync_to_thread=True,
    status_code=200,
    access=Access.ADMIN,
)
def revoke_api_key(
    workspace_id: FromPath[UUID],
    key_id: FromPath[UUID],
    workspaces: NamedDependency[Workspaces],
    actor: NamedDependency[Actor],
) -> Position:
    return Position(position=workspaces.revoke_api_key(workspace_id, key_id, actor))


def workspace_out(workspace: Workspace, actor_id: UUID, position: int) -> WorkspaceOut:
    role = workspace.members.get(actor_id)
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        base_currency=workspace.base_currency,
        timezone=workspace.timezone,
        week_start=workspace.week_start,
        role=None if role is None else role.value,
        version=workspace.version,
        position=position,
    )

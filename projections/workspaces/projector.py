"""Keeps workspaces, their members' roles, pending invitations and API keys."""

from __future__ import annotations

from domain.workspaces.api_key import ApiKey
from domain.workspaces.workspace import Role, Workspace
from projections.runtime import Cursor, Projection, handles
from projections.workspaces.view import TABLES


class WorkspacesProjection(Projection):
    name = "workspaces"
    tables = TABLES

    @handles(Workspace.Created)
    async def on_workspace_created(
        self, cur: Cursor, event: Workspace.Created, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO workspaces (id, name, base_currency, created_at) VALUES (%s, %s, %s, %s)",
            (event.originator_id, event.name, event.base_currency, event.timestamp),
        )
        await cur.execute(
            "INSERT INTO workspaces_members (workspace_id, user_id, role, joined_at)"
            " VALUES (%s, %s, %s, %s)",
            (event.originator_id, event.creator_id, Role.ADMIN.value, event.timestamp),
        )

    @handles(Workspace.Renamed)
    async def on_workspace_renamed(
        self, cur: Cursor, event: Workspace.Renamed, position: int
    ) -> None:
        await cur.execute(
            "UPDATE workspaces SET name = %s WHERE id = %s", (event.name, event.originator_id)
        )

    @handles(Workspace.SettingsChanged)
    async def on_workspace_settings_changed(
        self, cur: Cursor, event: Workspace.SettingsChanged, position: int
    ) -> None:
        await cur.execute(
            "UPDATE workspaces SET base_currency = %s, timezone = %s, week_start = %s"
            " WHERE id = %s",
            (event.base_currency, event.timezone, event.week_start, event.originator_id),
        )

    @handles(Workspace.Deleted)
    async def on_workspace_deleted(
        self, cur: Cursor, event: Workspace.Deleted, position: int
    ) -> None:
        await cur.execute(
            "UPDATE workspaces SET deleted_at = %s WHERE id = %s",
            (event.timestamp, event.originator_id),
        )

    @handles(Workspace.MemberInvited)
    async def on_workspace_member_invited(
        self, cur: Cursor, event: Workspace.MemberInvited, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO workspaces_invitations"
            " (id, workspace_id, email, role, invited_by, invited_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                event.invitation_id,
                event.originator_id,
                event.email,
                event.role,
                event.actor_id,
                event.timestamp,
                event.expires_at,
            ),
        )

    @handles(Workspace.InvitationAccepted)
    async def on_workspace_invitation_accepted(
        self, cur: Cursor, event: Workspace.InvitationAccepted, position: int
    ) -> None:
        await cur.execute(
            "DELETE FROM workspaces_invitations WHERE id = %s", (event.invitation_id,)
        )
        await cur.execute(
            "INSERT INTO workspaces_members (workspace_id, user_id, role, joined_at)"
            " VALUES (%s, %s, %s, %s)",
            (event.originator_id, event.user_id, event.role, event.timestamp),
        )

    @handles(Workspace.InvitationDeclined, Workspace.InvitationRevoked)
    async def on_workspace_invitation_closed(
        self,
        cur: Cursor,
        event: Workspace.InvitationDeclined | Workspace.InvitationRevoked,
        position: int,
    ) -> None:
        await cur.execute(
            "DELETE FROM workspaces_invitations WHERE id = %s", (event.invitation_id,)
        )

    @handles(Workspace.MemberRoleChanged)
    async def on_workspace_member_role_changed(
        self, cur: Cursor, event: Workspace.MemberRoleChanged, position: int
    ) -> None:
        await cur.execute(
            "UPDATE workspaces_members SET role = %s WHERE workspace_id = %s AND user_id = %s",
            (event.role, event.originator_id, event.user_id),
        )

    @handles(Workspace.MemberRemoved, Workspace.MemberLeft)
    async def on_workspace_member_gone(
        self, cur: Cursor, event: Workspace.MemberRemoved | Workspace.MemberLeft, position: int
    ) -> None:
        await cur.execute(
            "DELETE FROM workspaces_members WHERE workspace_id = %s AND user_id = %s",
            (event.originator_id, event.user_id),
        )

    @handles(ApiKey.Created)
    async def on_api_key_created(self, cur: Cursor, event: ApiKey.Created, position: int) -> None:
        await cur.execute(
            "INSERT INTO workspaces_api_keys (id, workspace_id, name, role, prefix,"
            " secret_hash, created_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.workspace_id,
                event.name,
                event.role,
                event.prefix,
                event.secret_hash,
                event.actor_id,
                event.timestamp,
            ),
        )

    @handles(ApiKey.Revoked)
    async def on_api_key_revoked(self, cur: Cursor, event: ApiKey.Revoked, position: int) -> None:
        await cur.execute(
            "UPDATE workspaces_api_keys SET revoked_at = %s WHERE id = %s",
            (event.timestamp, event.originator_id),
        )

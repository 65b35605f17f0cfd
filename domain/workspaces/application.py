"""The Workspaces application: workspaces, their members and invitations, API keys, access."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.base import Actor, CentsourceApplication, NotFoundError, UnauthorizedError
from domain.workspaces.api_key import ApiKey
from domain.workspaces.workspace import Invitation, Role, Workspace, check_role

INVITATION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Invited:
    """An invitation made; the token is for the mail only (just its hash is stored)."""

    workspace: Workspace
    invitation_id: UUID
    token: str
    position: int

    @property
    def invitation(self) -> Invitation:
        return self.workspace.invitations[self.invitation_id]


class Workspaces(CentsourceApplication):
    def create_workspace(
        self, workspace_id: UUID, name: str, base_currency: str, by: Actor
    ) -> tuple[Workspace, int]:
        existing = self.find(Workspace, workspace_id)
        if existing is not None:  # an idempotent retry of the same creation
            existing.check_access(by.actor_id, Role.ADMIN)
            return existing, 0
        workspace = Workspace.create(workspace_id, name, base_currency, by)
        return workspace, self.save_all(workspace)

    def check_access(self, workspace_id: UUID, user_id: UUID, required: Role) -> Workspace:
        workspace = self.get_workspace(workspace_id)
        workspace.check_access(user_id, required)
        return workspace

    def authenticate_key(self, key_id: UUID, secret: str) -> ApiKey:
        key = self.find(ApiKey, key_id)
        if key is None:
            raise UnauthorizedError("the API key is not valid")
        key.check_secret(secret)
        return key

    def check_key_access(self, workspace_id: UUID, key: ApiKey, required: Role) -> Workspace:
        """A key reaches its own workspace only; any other is as invisible as to a stranger."""
        workspace = self.get_workspace(workspace_id)
        if key.workspace_id != workspace_id or workspace.deleted:
            raise NotFoundError("no such workspace")
        check_role(key.role, required)
        return workspace

    def rename(self, workspace_id: UUID, name: str, by: Actor) -> tuple[Workspace, int]:
        workspace = self.get_workspace(workspace_id)
        workspace.rename(name, by)
        return workspace, self.save_all(workspace)

    def change_settings(
        self, workspace_id: UUID, base_currency: str, timezone: str, week_start: str, by: Actor
    ) -> tuple[Workspace, int]:
        workspace = self.get_workspace(workspace_id)
        workspace.change_settings(base_currency, timezone, week_start, by)
        return workspace, self.save_all(workspace)

    def delete(self, workspace_id: UUID, by: Actor) -> int:
        workspace = self.get_workspace(workspace_id)
        workspace.delete(by)
        return self.save_all(workspace)

    def invite(
        self,
        workspace_id: UUID,
        email: str,
        role: Role,
        existing_user_id: UUID | None,
        by: Actor,
    ) -> Invited:
        workspace = self.get_workspace(workspace_id)
        secret = secrets.token_urlsafe(32)
        invitation_id = workspace.invite(
            email, role, secret, _now() + INVITATION_LIFETIME, existing_user_id, by
        )
        position = self.save_all(workspace)
        token = f"{workspace_id.hex}.{invitation_id.hex}.{secret}"
        return Invited(workspace, invitation_id, token, position)

    def accept_invitation(
        self, token: str, email: str | None, by: Actor
    ) -> tuple[Workspace, Role, int]:
        workspace, invitation_id, secret = self._invited(token)
        role = workspace.accept_invitation(invitation_id, secret, email, _now(), by)
        return workspace, role, self.save_all(workspace)

    def decline_invitation(self, token: str, email: str | None, by: Actor) -> int:
        workspace, invitation_id, secret = self._invited(token)
        workspace.decline_invitation(invitation_id, secret, email, _now(), by)
        return self.save_all(workspace)

    def revoke_invitation(self, workspace_id: UUID, invitation_id: UUID, by: Actor) -> int:
        workspace = self.get_workspace(workspace_id)
        workspace.revoke_invitation(invitation_id, by)
        return self.save_all(workspace)

    def change_role(self, workspace_id: UUID, user_id: UUID, role: Role, by: Actor) -> int:
        workspace = self.get_workspace(workspace_id)
        workspace.change_role(user_id, role, by)
        return self.save_all(workspace)

    def remove_member(self, workspace_id: UUID, user_id: UUID, by: Actor) -> int:
        workspace = self.get_workspace(workspace_id)
        workspace.remove_member(user_id, by)
        return self.save_all(workspace)

    def leave(self, workspace_id: UUID, by: Actor) -> int:
        workspace = self.get_workspace(workspace_id)
        workspace.leave(by)
        return self.save_all(workspace)

    def create_api_key(
        self,
        key_id: UUID,
        workspace_id: UUID,
        name: str,
        role: Role,
        prefix: str,
        secret: str,
        by: Actor,
    ) -> tuple[ApiKey, int]:
        key = ApiKey.create(key_id, workspace_id, name, role, prefix, secret, by)
        return key, self.save_all(key)

    def revoke_api_key(self, workspace_id: UUID, key_id: UUID, by: Actor) -> int:
        key = self.find(ApiKey, key_id)
        if key is None or key.workspace_id != workspace_id:
            raise NotFoundError("no such API key")
        key.revoke(by)
        return self.save_all(key)

    def get_workspace(self, workspace_id: UUID) -> Workspace:
        workspace = self.find(Workspace, workspace_id)
        if workspace is None:
            raise NotFoundError("no such workspace")
        return workspace

    def _invited(self, token: str) -> tuple[Workspace, UUID, str]:
        workspace_hex, invitation_hex, secret = [*token.split(".", 2), "", ""][:3]
        try:
            workspace_id, invitation_id = UUID(hex=workspace_hex), UUID(hex=invitation_hex)
        except ValueError:
            raise NotFoundError("no such invitation", "token") from None
        workspace = self.find(Workspace, workspace_id)
        if workspace is None:
            raise NotFoundError("no such invitation", "token")
        return workspace, invitation_id, secret


def _now() -> datetime:
    return datetime.now(UTC)

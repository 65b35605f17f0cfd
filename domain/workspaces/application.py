"""The Workspaces application: create workspaces and answer who may act in them."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.base import Actor, CentsourceApplication, NotFoundError
from domain.workspaces.workspace import Role, Workspace


class Workspaces(CentsourceApplication):
    def create_workspace(
        self, workspace_id: UUID, name: str, base_currency: str, by: Actor
    ) -> tuple[Workspace, int]:
        existing = self._find(workspace_id)
        if existing is not None:  # an idempotent retry of the same creation
            existing.check_access(by.actor_id, Role.ADMIN)
            return existing, 0
        workspace = Workspace.create(workspace_id, name, base_currency, by)
        return workspace, self.save_all(workspace)

    def check_access(self, workspace_id: UUID, user_id: UUID, required: Role) -> Workspace:
        workspace = self._find(workspace_id)
        if workspace is None:
            raise NotFoundError("no such workspace")
        workspace.check_access(user_id, required)
        return workspace

    def _find(self, workspace_id: UUID) -> Workspace | None:
        try:
            workspace: Workspace = self.repository.get(workspace_id)
        except AggregateNotFoundError:
            return None
        return workspace

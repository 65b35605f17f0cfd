"""Keeps the workspaces and their members' roles."""

from __future__ import annotations

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
            "INSERT INTO workspaces_members (workspace_id, user_id, role) VALUES (%s, %s, %s)",
            (event.originator_id, event.creator_id, Role.ADMIN.value),
        )

"""Create a workspace; its creator becomes its ADMIN."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from command_api.context import new_id
from domain.base import Actor
from domain.workspaces.application import Workspaces
from domain.workspaces.workspace import Workspace
from infra.tokens import Principal

Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


class CreateWorkspace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    base_currency: Currency


class WorkspaceOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    base_currency: str
    role: str
    version: int
    position: int


@post("/api/workspaces", sync_to_thread=True, status_code=201)
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
    return workspace_out(workspace, principal.user_id, position)


def workspace_out(workspace: Workspace, user_id: UUID, position: int) -> WorkspaceOut:
    return WorkspaceOut(
        id=workspace.id,
        name=workspace.name,
        base_currency=workspace.base_currency,
        role=workspace.members[user_id].value,
        version=workspace.version,
        position=position,
    )

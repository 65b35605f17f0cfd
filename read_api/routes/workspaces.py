"""Serves the workspaces projection: my workspaces, one, its members, invitations, API keys."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath

from projections.workspaces import view
from projections.workspaces.model import (
    ApiKeyList,
    ApiKeyView,
    InvitationList,
    InvitationView,
    MemberList,
    MemberView,
    WorkspaceList,
    WorkspaceView,
)
from read_api.access import read_access, require_role

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"


@get("/api/workspaces")
async def list_workspaces(request: Request[Any, Any, State]) -> WorkspaceList:
    """The reader's workspaces, each with the reader's role."""
    reader = await read_access(request, None, "workspaces")
    async with request.app.state.pool.connection() as conn:
        rows = await view.workspaces_of(conn, reader.principal.actor_id)
    return WorkspaceList(data=[WorkspaceView(**row) for row in rows])


@get(WORKSPACE)
async def get_workspace(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> WorkspaceView:
    reader = await read_access(request, workspace_id, "workspaces")
    async with request.app.state.pool.connection() as conn:
        row = await view.workspace(conn, workspace_id)
    return WorkspaceView(**row, role=reader.role if not reader.principal.is_api_key else None)


@get(f"{WORKSPACE}/members")
async def list_members(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> MemberList:
    await read_access(request, workspace_id, "workspaces")
    async with request.app.state.pool.connection() as conn:
        rows = await view.members(conn, workspace_id)
    return MemberList(data=[MemberView(**row) for row in rows])


@get(f"{WORKSPACE}/invitations")
async def list_invitations(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> InvitationList:
    require_role(await read_access(request, workspace_id, "workspaces"), "ADMIN")
    async with request.app.state.pool.connection() as conn:
        rows = await view.invitations(conn, workspace_id)
    return InvitationList(data=[InvitationView(**row) for row in rows])


@get(f"{WORKSPACE}/api-keys")
async def list_api_keys(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> ApiKeyList:
    """Names, roles and prefixes; never a key itself."""
    require_role(await read_access(request, workspace_id, "workspaces"), "ADMIN")
    async with request.app.state.pool.connection() as conn:
        rows = await view.api_keys(conn, workspace_id)
    return ApiKeyList(data=[ApiKeyView(**row) for row in rows])

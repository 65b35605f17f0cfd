"""Who is reading, whether they may, and how fresh the projection must be first."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException

from infra.settings import Settings
from infra.tokens import InvalidTokenError, Principal, principal_from
from projections.runtime import MAX_POSITION
from projections.workspaces import view as workspaces_view
from read_api.consistency import PositionWatcher

MIN_POSITION_HEADER = "x-min-position"


async def read_access(
    request: Request[Any, Any, State], workspace_id: UUID, serving: str
) -> Principal:
    """Authenticates, waits for ``min_position`` if asked, then checks membership (else 404)."""
    settings: Settings = request.app.state.settings
    try:
        principal = principal_from(request.headers.get("authorization"), settings.secret)
    except InvalidTokenError as error:
        raise NotAuthorizedException(str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    request.scope["state"]["actor_id"] = str(principal.actor_id)
    await wait_for_min_position(request, serving)
    async with request.app.state.pool.connection() as conn:
        role = await workspaces_view.role_of(conn, workspace_id, principal.actor_id)
    if role is None:
        raise NotFoundException("no such workspace")
    return principal


async def wait_for_min_position(request: Request[Any, Any, State], serving: str) -> None:
    raw = request.query_params.get("min_position") or request.headers.get(MIN_POSITION_HEADER)
    watcher: PositionWatcher = request.app.state.positions
    state = request.scope["state"]
    state["projection_position"] = watcher.position(serving)
    if raw is None:
        return
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_POSITION:
        raise HTTPException(
            "min_position must be a position returned by a command", status_code=400
        )
    settings: Settings = request.app.state.settings
    # Membership comes from the workspaces projection, so it must be as fresh as the data.
    if not await watcher.wait((serving, "workspaces"), int(raw), settings.min_position_timeout):
        raise HTTPException(
            f"the {serving} projection has not reached position {raw} yet; retry shortly",
            status_code=503,
            headers={"Retry-After": "1"},
        )
    # What is read next is at least this fresh.
    state["projection_position"] = watcher.position(serving)

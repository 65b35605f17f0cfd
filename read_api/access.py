"""Who is reading, whether they may, and how fresh the projections must be first."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)

from infra.http import header
from infra.settings import Settings
from infra.tokens import InvalidTokenError, Principal, principal_from
from projections import access
from projections.runtime import MAX_POSITION
from projections.workspaces import view as workspaces_view
from read_api.consistency import PositionWatcher

MIN_POSITION = b"x-min-position"  # the header
ROLES = ("VIEWER", "EDITOR", "ADMIN")


@dataclass(frozen=True)
class Reader:
    principal: Principal
    role: str | None  # in the workspace read, where there is one


class Grants:
    """What the database answered about sessions and keys, kept in memory while no
    event has taken access away since (``PositionWatcher.last_narrowing``): a warm request
    checks its access without I/O, and a logout, a removed member or a revoked key is
    refused as soon as the log announces its insert."""

    MAX = 100_000  # entries; past it they are forgotten and read again

    def __init__(self) -> None:
        self._readers: dict[tuple[UUID, UUID | None, str], tuple[int, Reader]] = {}

    def reader(
        self, principal: Principal, workspace_id: UUID | None, narrowed_at: int
    ) -> Reader | None:
        found = self._readers.get(_reader_key(principal, workspace_id))
        return found[1] if found is not None and found[0] >= narrowed_at else None

    def grant(
        self, principal: Principal, workspace_id: UUID | None, as_of: int, reader: Reader
    ) -> None:
        """Keeps ``reader``, found with no access taken away after position ``as_of``."""
        _keep(self._readers, _reader_key(principal, workspace_id), (as_of, reader), self.MAX)


def _reader_key(principal: Principal, workspace_id: UUID | None) -> tuple[UUID, UUID | None, str]:
    # A key's entry is for its secret: another secret under the same id is checked anew.
    secret = "" if principal.key_secret is None else _hash(principal.key_secret)
    return principal.session_id or principal.actor_id, workspace_id, secret


def _keep(kept: dict[Any, Any], key: Any, value: Any, most: int) -> None:
    if len(kept) >= most:
        kept.clear()
    kept[key] = value


async def read_access(
    request: Request[Any, Any, State], workspace_id: UUID | None, serving: str | tuple[str, ...]
) -> Reader:
    """Authenticates, waits for ``min_position`` and for the last access change, then checks
    the session or key and the membership (a stranger gets 404)."""
    settings: Settings = request.app.state.settings
    grants: Grants = request.app.state.grants
    try:
        principal = principal_from(header(request.scope, b"authorization"), settings.secret)
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from None
    request.scope["state"]["actor_id"] = principal.actor_id  # a string when logged
    await wait_for_min_position(request, serving)
    watcher: PositionWatcher = request.app.state.positions
    narrowed_at = await watcher.last_narrowing()
    if narrowed_at is not None:
        known = grants.reader(principal, workspace_id, narrowed_at)
        if known is not None:
            return known
    if principal.is_api_key:
        as_of, reader = await _key_access(request, principal, workspace_id)
    else:
        as_of, reader = await _session_reader(request, principal, workspace_id)
    grants.grant(principal, workspace_id, as_of, reader)
    return reader


async def _session_reader(
    request: Request[Any, Any, State], principal: Principal, workspace_id: UUID | None
) -> tuple[int, Reader]:
    """The session's reader, and the last narrowing position the answer is current past."""
    assert principal.session_id is not None
    watcher: PositionWatcher = request.app.state.positions
    # What the access models had surely projected before the query below began: where that
    # is past the last narrowing event, what the query read of them is current.
    projected = min(watcher.position(name) for name in access.ACCESS_MODELS)
    async with request.app.state.pool.connection() as conn:
        found = await _session_access(conn, principal, workspace_id)
        as_of = int(found["narrowed_at"])
        if as_of > projected:
            await _wait(request, access.ACCESS_MODELS, as_of)
            found = await _session_access(conn, principal, workspace_id)
    if found["ended"]:
        raise _unauthorized("this session has ended; log in again")
    if workspace_id is None:
        return as_of, Reader(principal, None)
    if found["role"] is None:
        raise NotFoundException("no such workspace")
    return as_of, Reader(principal, str(found["role"]))


async def _session_access(
    conn: psycopg.AsyncConnection[dict[str, Any]], principal: Principal, workspace_id: UUID | None
) -> dict[str, Any]:
    assert principal.session_id is not None
    try:
        return await access.session_access(
            conn, principal.session_id, principal.actor_id, workspace_id
        )
    except psycopg.errors.UndefinedTable:  # a new installation: no event or read model yet
        raise HTTPException(
            "the read models are starting; retry shortly",
            status_code=503,
            headers={"Retry-After": "1"},
        ) from None


async def _key_access(
    request: Request[Any, Any, State], principal: Principal, workspace_id: UUID | None
) -> tuple[int, Reader]:
    async with request.app.state.pool.connection() as conn:
        narrowed_at = await access.last_narrowing_position(conn)
        await _wait(request, access.ACCESS_MODELS, narrowed_at)
        key = await workspaces_view.api_key(conn, principal.actor_id)
    if key is None or not hmac.compare_digest(
        key["secret_hash"], _hash(principal.key_secret or "")
    ):
        raise _unauthorized("the API key is not valid")
    if workspace_id is None:
        raise PermissionDeniedException("an API key reaches its workspace's routes only")
    if key["workspace_id"] != workspace_id:
        raise NotFoundException("no such workspace")
    return narrowed_at, Reader(principal, str(key["role"]))


def require_role(reader: Reader, required: str) -> None:
    assert reader.role is not None
    if ROLES.index(reader.role) < ROLES.index(required):
        raise PermissionDeniedException(f"this needs the {required} role; you are {reader.role}")


async def wait_for_min_position(
    request: Request[Any, Any, State], serving: str | tuple[str, ...]
) -> None:
    """``serving`` names the read model(s) an answer is made from; it is as fresh as the
    least fresh of them."""
    names = (serving,) if isinstance(serving, str) else serving
    raw = min_position_asked(request)
    watcher: PositionWatcher = request.app.state.positions
    state = request.scope["state"]
    state["projection_position"] = min(watcher.position(name) for name in names)
    if raw is None:
        return
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_POSITION:
        raise HTTPException(
            "min_position must be a position returned by a command", status_code=400
        )
    # Access is checked in the access projections, so they must be as fresh as the data.
    await _wait(request, (*names, *access.ACCESS_MODELS), int(raw))
    # What is read next is at least this fresh.
    state["projection_position"] = min(watcher.position(name) for name in names)


def min_position_asked(request: Request[Any, Any, State]) -> str | None:
    """``min_position`` as the query or the ``X-Min-Position`` header gives it, if at all."""
    scope = request.scope
    # Litestar builds the query's mapping on demand: not when it cannot hold the parameter.
    query = scope["query_string"]
    asked = b"min_position" in query or b"%" in query
    return (asked and request.query_params.get("min_position")) or header(scope, MIN_POSITION)


async def _wait(request: Request[Any, Any, State], names: tuple[str, ...], position: int) -> None:
    settings: Settings = request.app.state.settings
    watcher: PositionWatcher = request.app.state.positions
    if not await watcher.wait(names, position, settings.min_position_timeout):
        raise HTTPException(
            f"the read models have not reached position {position} yet; retry shortly",
            status_code=503,
            headers={"Retry-After": "1"},
        )


def _unauthorized(detail: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": "Bearer"})


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()

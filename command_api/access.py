"""Who may call which command route: every route declares a rule; one guard enforces them all.

A workspace route's rule is the least role it needs. Membership is read from the Workspace
aggregate itself, so a removed member or a demoted one is refused at the next request.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from domain.aggregate_cache import LogChanges
from domain.base import ForbiddenError, UnauthorizedError
from domain.identity.application import Identity
from domain.identity.user import SystemRole, User
from domain.workspaces.application import Workspaces
from domain.workspaces.workspace import Role
from infra.settings import Settings
from infra.tokens import InvalidTokenError, Principal, principal_from


class Access(StrEnum):
    PUBLIC = "PUBLIC"  # no credentials (sign-up, log-in …)
    SIGNED_IN = "SIGNED_IN"  # any user with a live session
    SYSTEM_ADMIN = "SYSTEM_ADMIN"  # a user whose system role is ADMIN
    VIEWER = Role.VIEWER.value  # workspace routes: the least role needed
    EDITOR = Role.EDITOR.value
    ADMIN = Role.ADMIN.value


WORKSPACE_RULES = frozenset({Access.VIEWER, Access.EDITOR, Access.ADMIN})


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    rule = handler.opt.get("access")
    if rule is None:  # a route nobody thought about is closed, and the role matrix test fails
        raise ForbiddenError("this route declares no access rule")
    if rule is Access.PUBLIC:
        return
    state = connection.app.state
    settings: Settings = state.settings
    try:
        principal = principal_from(connection.headers.get("authorization"), settings.secret)
    except InvalidTokenError as error:
        raise UnauthorizedError(str(error)) from None
    connection.scope["state"]["actor_id"] = principal.actor_id  # a string when logged
    connection.scope["state"]["principal"] = principal
    workspace_id: UUID | None = connection.path_params.get("workspace_id")
    identity: Identity = state.identity
    workspaces: Workspaces = state.workspaces
    changes: LogChanges = state.identity.repository.changes

    def check() -> User | None:
        """In one thread (each hop off the loop and back costs): what changed since this
        process last asked the log, so that the command's reads (this check's included)
        take every aggregate that did not change from memory; then the session or key."""
        changes.ask()
        changes.asked_for_this_task()
        if principal.is_api_key:
            _authorize_key(workspaces, principal, rule, workspace_id)
            return None
        assert principal.session_id is not None
        user = identity.authenticate(principal.actor_id, principal.session_id)
        if rule is Access.SYSTEM_ADMIN and user.system_role is not SystemRole.ADMIN:
            raise ForbiddenError("this needs the system ADMIN role")
        if rule in WORKSPACE_RULES:
            assert workspace_id is not None, "a workspace rule on a route without {workspace_id}"
            workspaces.check_access(workspace_id, user.id, Role(rule))
        return user

    user = await asyncio.to_thread(check)
    changes.asked_for_this_task()  # for the rest of the request's task
    if user is not None:
        connection.scope["state"]["user"] = user


def _authorize_key(
    workspaces: Workspaces, principal: Principal, rule: Access, workspace_id: UUID | None
) -> None:
    assert principal.key_secret is not None
    key = workspaces.authenticate_key(principal.actor_id, principal.key_secret)
    if rule not in WORKSPACE_RULES or workspace_id is None:
        raise ForbiddenError("an API key reaches its workspace's routes only")
    workspaces.check_key_access(workspace_id, key, Role(rule))


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    principal: Principal = connection.scope["state"]["principal"]
    return principal


def current_user(connection: ASGIConnection[Any, Any, Any, Any]) -> User:
    """The signed-in user; routes for users only (SIGNED_IN, SYSTEM_ADMIN) may ask."""
    user: User = connection.scope["state"]["user"]
    return user

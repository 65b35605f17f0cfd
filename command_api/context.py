"""Who is asking (checked by the access guard), the Actor every event records, new ids."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from command_api.access import current_principal
from domain.base import Actor, natural_id
from domain.budgeting.application import Budgeting
from domain.engagement.application import Engagement
from domain.goals.application import Goals
from domain.identity.application import Identity
from domain.ledger.application import Ledger
from domain.ledger.scheduling import Scheduling
from domain.webhooks.application import Webhooks
from domain.workspaces.application import Workspaces
from infra.mail import Mailer
from infra.tokens import Principal


def provide_principal(request: Request[Any, Any, State]) -> Principal:
    return current_principal(request)


def provide_actor(
    request: Request[Any, Any, State], principal: NamedDependency[Principal]
) -> Actor:
    return Actor(principal.actor_id, correlation_id(request))


def correlation_id(request: Request[Any, Any, State]) -> str:
    return str(request.scope["state"].get("correlation_id", ""))


def new_id(request: Request[Any, Any, State], principal: Principal, kind: str) -> UUID:
    """A new resource's id; derived from the Idempotency-Key, so a retry names the same one."""
    return keyed_id(request, principal, kind) or uuid4()


def keyed_id(request: Request[Any, Any, State], principal: Principal, kind: str) -> UUID | None:
    """The id the request's Idempotency-Key names; None without a key (no retry can name the
    new resource then, so there is no earlier one to look for)."""
    key = request.headers.get("idempotency-key")
    return None if key is None else natural_id(kind, principal.actor_id, key)


def provide_identity(request: Request[Any, Any, State]) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def provide_workspaces(request: Request[Any, Any, State]) -> Workspaces:
    workspaces: Workspaces = request.app.state.workspaces
    return workspaces


def provide_ledger(request: Request[Any, Any, State]) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def provide_budgeting(request: Request[Any, Any, State]) -> Budgeting:
    budgeting: Budgeting = request.app.state.budgeting
    return budgeting


def provide_webhooks(request: Request[Any, Any, State]) -> Webhooks:
    webhooks: Webhooks = request.app.state.webhooks
    return webhooks


def provide_engagement(request: Request[Any, Any, State]) -> Engagement:
    engagement: Engagement = request.app.state.engagement
    return engagement


def provide_goals(request: Request[Any, Any, State]) -> Goals:
    goals: Goals = request.app.state.goals
    return goals


def provide_scheduling(request: Request[Any, Any, State]) -> Scheduling:
    scheduling: Scheduling = request.app.state.scheduling
    return scheduling


def provide_mailer(request: Request[Any, Any, State]) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer

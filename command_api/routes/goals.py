"""Goals: create, change, delete, and contribute to one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, delete, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api.access import Access
from command_api.context import new_id
from command_api.routes.ledger import Amount
from domain.base import Actor
from domain.goals.application import Goals
from domain.goals.goal import Goal, GoalType
from domain.ledger.application import Ledger
from domain.workspaces.application import Workspaces
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
GOAL = f"{WORKSPACE}/goals/{{goal_id:uuid}}"
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
Positive = Annotated[str, Meta(pattern=r"^[0-9]{1,15}(\.[0-9]{1,4})?$", examples=["5000.00"])]


class GoalOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    type: str
    target_amount: str
    currency: str
    target_date: date | None
    account_id: UUID | None
    contributed: str
    completed: bool
    version: int
    position: int


class CreateGoal(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """With ``account_id`` the goal follows that account's balance (DEBT_PAYOFF: the target is
    the debt, and what is still owed counts against it); a NET_WORTH goal follows the
    workspace's net worth; any other goal grows by contributions."""

    name: Name
    type: GoalType
    target_amount: Positive
    target_date: date | None = None
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")] | None = None
    account_id: UUID | None = None
    # What is put by already, for a goal that grows by contributions: its first, dated today.
    current_amount: Positive | None = None


@post(f"{WORKSPACE}/goals", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def create_goal(
    workspace_id: FromPath[UUID],
    data: JSONBody[CreateGoal],
    goals: NamedDependency[Goals],
    ledger: NamedDependency[Ledger],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> GoalOut:
    currency = data.currency or workspaces.get_workspace(workspace_id).base_currency
    if data.account_id is not None:
        currency = ledger.get_account(workspace_id, data.account_id).currency
    goal, position = goals.create_goal(
        new_id(request, principal, "goal"),
        workspace_id,
        data.name,
        data.type,
        Decimal(data.target_amount),
        currency,
        data.target_date,
        data.account_id,
        None if data.current_amount is None else Decimal(data.current_amount),
        actor,
    )
    return _out(goal, position)


class ChangeGoal(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    target_amount: Positive | UnsetType = UNSET
    target_date: date | UnsetType | None = UNSET


@patch(GOAL, sync_to_thread=True, access=Access.EDITOR)
def change_goal(
    workspace_id: FromPath[UUID],
    goal_id: FromPath[UUID],
    data: JSONBody[ChangeGoal],
    goals: NamedDependency[Goals],
    actor: NamedDependency[Actor],
) -> GoalOut:
    goal = goals.get_goal(workspace_id, goal_id)
    goal.change(
        goal.name if data.name is UNSET else data.name,
        goal.target_amount if data.target_amount is UNSET else Decimal(data.target_amount),
        goal.target_date if data.target_date is UNSET else data.target_date,
        actor,
    )
    return _out(*goals.save_goal(goal))


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(GOAL, sync_to_thread=True, access=Access.EDITOR, status_code=200)
def delete_goal(
    workspace_id: FromPath[UUID],
    goal_id: FromPath[UUID],
    goals: NamedDependency[Goals],
    actor: NamedDependency[Actor],
) -> Removed:
    goal = goals.get_goal(workspace_id, goal_id)
    goal.delete(actor)
    _, position = goals.save_goal(goal)
    return Removed(id=goal_id, position=position)


class Contribute(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    amount: Amount  # negative: a withdrawal
    date: date
    note: Annotated[str, Meta(max_length=500)] | None = None


@post(f"{GOAL}/contributions", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def contribute(
    workspace_id: FromPath[UUID],
    goal_id: FromPath[UUID],
    data: JSONBody[Contribute],
    goals: NamedDependency[Goals],
    actor: NamedDependency[Actor],
) -> GoalOut:
    """Reaching the target completes the goal (GoalCompleted, once)."""
    goal = goals.get_goal(workspace_id, goal_id)
    goal.contribute(Decimal(data.amount), data.date, data.note, actor)
    return _out(*goals.save_goal(goal))


def _out(goal: Goal, position: int) -> GoalOut:
    return GoalOut(
        id=goal.id,
        name=goal.name,
        type=goal.type.value,
        target_amount=str(goal.target_amount),
        currency=goal.currency,
        target_date=goal.target_date,
        account_id=goal.account_id,
        contributed=str(goal.contributed),
        completed=goal.completed,
        version=goal.version,
        position=position,
    )

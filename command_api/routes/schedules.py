"""Schedules: create (also from a detected recurring series), change, and delete one."""

from __future__ import annotations

from dataclasses import replace
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
from command_api.routes.ledger import Amount, CategoryName, IfMatch, Text, _version
from command_api.routes.workspaces import Currency
from domain.base import Actor, DomainError
from domain.ledger.application import Ledger
from domain.ledger.schedules import Cadence, Schedule, ScheduleTerms
from domain.ledger.scheduling import Scheduling
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
SCHEDULE = f"{WORKSPACE}/schedules/{{schedule_id:uuid}}"
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]


class ScheduleOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    account_id: UUID
    amount: str
    currency: str
    category: str | None
    merchant: str | None
    cadence: str
    next_date: date
    end_date: date | None
    auto_post: bool
    from_recurring: UUID | None
    version: int
    position: int


class CreateSchedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``amount`` is negative for a bill, positive for an income; ``currency`` is the account's
    (sent, it must match). ``from_recurring`` names the detected series (GET …/insights/
    recurring) the schedule was made from: a reference kept on the schedule; its fields are
    sent as the client read them there."""

    name: Name
    account_id: UUID
    amount: Amount
    currency: Currency | None = None
    category: CategoryName | None = None
    merchant: Text | None = None
    cadence: Cadence
    next_date: date
    end_date: date | None = None
    auto_post: bool = False
    from_recurring: UUID | None = None


@post(f"{WORKSPACE}/schedules", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def create_schedule(
    workspace_id: FromPath[UUID],
    data: JSONBody[CreateSchedule],
    scheduling: NamedDependency[Scheduling],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ScheduleOut:
    account = ledger.get_account(workspace_id, data.account_id)
    if data.currency is not None and data.currency != account.currency:
        raise DomainError(f"the account is in {account.currency}", "currency")
    terms = ScheduleTerms(
        name=data.name,
        amount=Decimal(data.amount),
        category=data.category,
        merchant=data.merchant,
        cadence=data.cadence,
        next_date=data.next_date,
        end_date=data.end_date,
        auto_post=data.auto_post,
    )
    schedule, position = scheduling.create_schedule(
        new_id(request, principal, "schedule"),
        workspace_id,
        terms,
        account.id,
        account.currency,
        data.from_recurring,
        actor,
    )
    return _out(schedule, position)


class ChangeSchedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears an optional one."""

    name: Name | UnsetType = UNSET
    amount: Amount | UnsetType = UNSET
    category: CategoryName | UnsetType | None = UNSET
    merchant: Text | UnsetType | None = UNSET
    cadence: Cadence | UnsetType = UNSET
    next_date: date | UnsetType = UNSET
    end_date: date | UnsetType | None = UNSET
    auto_post: bool | UnsetType = UNSET


@patch(SCHEDULE, sync_to_thread=True, access=Access.EDITOR)
def change_schedule(
    workspace_id: FromPath[UUID],
    schedule_id: FromPath[UUID],
    data: JSONBody[ChangeSchedule],
    scheduling: NamedDependency[Scheduling],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> ScheduleOut:
    """``If-Match: <version>``: a schedule changed since is not changed (412)."""
    schedule = scheduling.get_schedule(workspace_id, schedule_id, _version(if_match))
    sent = {
        name: value for name, value in msgspec.structs.asdict(data).items() if value is not UNSET
    }
    if isinstance(amount := sent.get("amount"), str):
        sent["amount"] = Decimal(amount)
    schedule.change(replace(schedule.terms, **sent), actor)
    return _out(*scheduling.save_schedule(schedule))


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(SCHEDULE, sync_to_thread=True, access=Access.EDITOR, status_code=200)
def delete_schedule(
    workspace_id: FromPath[UUID],
    schedule_id: FromPath[UUID],
    scheduling: NamedDependency[Scheduling],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> Removed:
    """Soft: the schedule's events stay in the log; it posts and is listed no more."""
    schedule = scheduling.get_schedule(workspace_id, schedule_id, _version(if_match))
    schedule.delete(actor)
    _, position = scheduling.save_schedule(schedule)
    return Removed(id=schedule_id, position=position)


def _out(schedule: Schedule, position: int) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        account_id=schedule.account_id,
        amount=str(schedule.amount),
        currency=schedule.currency,
        category=schedule.category,
        merchant=schedule.merchant,
        cadence=schedule.cadence.value,
        next_date=schedule.next_date,
        end_date=schedule.end_date,
        auto_post=schedule.auto_post,
        from_recurring=schedule.from_recurring,
        version=schedule.version,
        position=position,
    )

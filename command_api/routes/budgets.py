"""Budgets and alert rules: create, change, delete."""

from __future__ import annotations

from collections.abc import Iterable
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
from command_api.routes.ledger import IfMatch, _version
from domain.base import Actor, DomainError, NotFoundError
from domain.budgeting.alerts import AlertRule, AlertTerms, Channel, Frequency, ThresholdType
from domain.budgeting.application import Budgeting
from domain.budgeting.budget import Budget, BudgetTerms
from domain.budgeting.periods import PeriodKind, first_day, parse_period
from domain.ledger.application import Ledger
from domain.workspaces.application import Workspaces
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
BUDGET = f"{WORKSPACE}/budgets/{{budget_id:uuid}}"
ALERT_RULE = f"{WORKSPACE}/alert-rules/{{rule_id:uuid}}"
Positive = Annotated[str, Meta(pattern=r"^[0-9]{1,15}(\.[0-9]{1,4})?$", examples=["500.00"])]
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
Thresholds = Annotated[list[Annotated[int, Meta(ge=1, le=99)]], Meta(max_length=5)]
Categories = Annotated[list[UUID], Meta(max_length=50)]
Period = Annotated[
    str,
    Meta(
        max_length=10,
        description="the first period: 2026-03 (MONTHLY), Q1-2026 (QUARTERLY), 2026 (YEARLY)",
    ),
]


class BudgetOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    period_kind: str
    start_date: date
    end_date: date | None
    currency: str
    amount: str
    category_ids: list[UUID]
    category_limits: dict[str, str]
    rollover: bool
    active: bool
    thresholds: list[int]
    version: int
    position: int


class CreateBudget(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``period`` names the first period and so the kind (``2026-03``, ``Q1-2026``, ``2026``);
    or give ``period_kind`` (the current period first) or CUSTOM with ``start_date`` and
    ``end_date``. The budget repeats each period from the first (CUSTOM: once)."""

    name: Name
    amount: Positive
    period: Period | None = None
    period_kind: PeriodKind | None = None
    start_date: date | None = None
    end_date: date | None = None
    currency: Currency | None = None  # the workspace's base currency when not given
    category_ids: Categories = msgspec.field(default_factory=list)  # none: every category
    category_limits: dict[UUID, Positive] = msgspec.field(default_factory=dict)
    rollover: bool = False
    active: bool = True
    thresholds: Thresholds = msgspec.field(default_factory=lambda: [80])


@post(f"{WORKSPACE}/budgets", sync_to_thread=True, access=Access.ADMIN, status_code=201)
def create_budget(
    workspace_id: FromPath[UUID],
    data: JSONBody[CreateBudget],
    budgeting: NamedDependency[Budgeting],
    workspaces: NamedDependency[Workspaces],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> BudgetOut:
    """One budget per category set and period kind (409 for a second)."""
    _check_categories(ledger, workspace_id, data.category_ids, data.category_limits, actor)
    kind, start, end = _period(data.period, data.period_kind, data.start_date, data.end_date)
    currency = data.currency or workspaces.get_workspace(workspace_id).base_currency
    terms = BudgetTerms(
        name=data.name,
        kind=kind,
        start=start,
        end=end,
        currency=currency,
        amount=Decimal(data.amount),
        category_ids=tuple(data.category_ids),
        category_limits={c: Decimal(v) for c, v in data.category_limits.items()},
        rollover=data.rollover,
        active=data.active,
        thresholds=tuple(sorted(set(data.thresholds))),
    )
    budget, position = budgeting.create_budget(
        new_id(request, principal, "budget"), workspace_id, terms, actor
    )
    return _budget_out(budget, position)


class ChangeBudget(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields sent replace the budget's; its period kind stays."""

    name: Name | UnsetType = UNSET
    amount: Positive | UnsetType = UNSET
    start_date: date | UnsetType = UNSET
    end_date: date | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    category_ids: Categories | UnsetType = UNSET
    category_limits: dict[UUID, Positive] | UnsetType = UNSET
    rollover: bool | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    thresholds: Thresholds | UnsetType = UNSET


@patch(BUDGET, sync_to_thread=True, access=Access.ADMIN)
def change_budget(
    workspace_id: FromPath[UUID],
    budget_id: FromPath[UUID],
    data: JSONBody[ChangeBudget],
    budgeting: NamedDependency[Budgeting],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> BudgetOut:
    _check_categories(
        ledger, workspace_id, data.category_ids or [], data.category_limits or {}, actor
    )
    terms = budgeting.get_budget(workspace_id, budget_id).terms
    changes: dict[str, Any] = {}
    fields = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    for name, value in fields.items():
        if name == "amount":
            changes["amount"] = Decimal(value)
        elif name == "category_limits":
            changes[name] = {c: Decimal(v) for c, v in value.items()}
        elif name in ("category_ids",):
            changes[name] = tuple(value)
        elif name == "thresholds":
            changes[name] = tuple(sorted(set(value)))
        elif name == "start_date":
            changes["start"] = (
                value if terms.kind is PeriodKind.CUSTOM else first_day(terms.kind, value)
            )
        elif name == "end_date":
            changes["end"] = value
        else:
            changes[name] = value
    budget, position = budgeting.change_budget(
        workspace_id, budget_id, replace(terms, **changes), _version(if_match), actor
    )
    return _budget_out(budget, position)


class Deleted(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(BUDGET, sync_to_thread=True, access=Access.ADMIN, status_code=200)
def delete_budget(
    workspace_id: FromPath[UUID],
    budget_id: FromPath[UUID],
    budgeting: NamedDependency[Budgeting],
    actor: NamedDependency[Actor],
) -> Deleted:
    """Soft: the budget and its crossings stay in the history; its key is free again."""
    _, position = budgeting.delete_budget(workspace_id, budget_id, actor)
    return Deleted(id=budget_id, position=position)


def _period(
    period: str | None, kind: PeriodKind | None, start: date | None, end: date | None
) -> tuple[PeriodKind, date, date | None]:
    if period is not None:
        parsed, first = parse_period(period)
        if kind is not None and kind is not parsed:
            raise DomainError(f"{period} is a {parsed} period, not {kind}", "period_kind")
        return parsed, first, None
    if kind is PeriodKind.CUSTOM:
        if start is None or end is None:
            raise DomainError("a CUSTOM period needs start_date and end_date", "start_date")
        return kind, start, end
    if kind is None:
        raise DomainError("give period (2026-03, Q1-2026, 2026) or period_kind", "period")
    return kind, first_day(kind, start or date.today()), None


def _budget_out(budget: Budget, position: int) -> BudgetOut:
    terms = budget.terms
    return BudgetOut(
        id=budget.id,
        name=terms.name,
        period_kind=terms.kind.value,
        start_date=terms.start,
        end_date=terms.end,
        currency=terms.currency,
        amount=str(terms.amount),
        category_ids=list(terms.category_ids),
        category_limits={str(c): str(v) for c, v in terms.category_limits.items()},
        rollover=terms.rollover,
        active=terms.active,
        thresholds=list(terms.thresholds),
        version=budget.version,
        position=position,
    )


# Alert rules


class AlertRuleOut(msgspec.Struct, kw_only=True):
    id: UUID
    budget_id: UUID | None
    threshold_type: str
    threshold: str
    category_ids: list[UUID]
    channels: list[str]
    frequency: str
    message: str | None
    active: bool
    position: int


class CreateAlertRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Told through ``channels`` when spending under the budget (``budget_id``, or any
    budget of the workspace) reaches ``threshold``: a percent of the budget's limit, or an
    amount. ``category_ids`` narrows what is counted to those of the budget's categories."""

    threshold: Positive
    threshold_type: ThresholdType = ThresholdType.PERCENT
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=3)]
    budget_id: UUID | None = None
    category_ids: Categories = msgspec.field(default_factory=list)
    frequency: Frequency = Frequency.IMMEDIATE
    message: Annotated[str, Meta(max_length=500)] | None = None
    active: bool = True


@post(f"{WORKSPACE}/alert-rules", sync_to_thread=True, access=Access.ADMIN, status_code=201)
def create_alert_rule(
    workspace_id: FromPath[UUID],
    data: JSONBody[CreateAlertRule],
    budgeting: NamedDependency[Budgeting],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> AlertRuleOut:
    _check_categories(ledger, workspace_id, data.category_ids, {}, actor)
    terms = AlertTerms(
        budget_id=data.budget_id,
        threshold_type=data.threshold_type,
        threshold=Decimal(data.threshold),
        channels=tuple(data.channels),
        category_ids=tuple(data.category_ids),
        frequency=data.frequency,
        message=data.message,
        active=data.active,
    )
    rule, position = budgeting.create_alert_rule(
        new_id(request, principal, "alert-rule"), workspace_id, terms, actor
    )
    return _alert_rule_out(rule, position)


class ChangeAlertRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields sent replace the rule's; ``budget_id: null`` makes it watch every budget."""

    budget_id: UUID | UnsetType | None = UNSET
    threshold: Positive | UnsetType = UNSET
    threshold_type: ThresholdType | UnsetType = UNSET
    channels: Annotated[list[Channel], Meta(min_length=1, max_length=3)] | UnsetType = UNSET
    category_ids: Categories | UnsetType = UNSET
    frequency: Frequency | UnsetType = UNSET
    message: Annotated[str, Meta(max_length=500)] | UnsetType | None = UNSET
    active: bool | UnsetType = UNSET


@patch(ALERT_RULE, sync_to_thread=True, access=Access.ADMIN)
def change_alert_rule(
    workspace_id: FromPath[UUID],
    rule_id: FromPath[UUID],
    data: JSONBody[ChangeAlertRule],
    budgeting: NamedDependency[Budgeting],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> AlertRuleOut:
    _check_categories(ledger, workspace_id, data.category_ids or [], {}, actor)
    terms = budgeting.get_alert_rule(workspace_id, rule_id).terms
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    if "threshold" in changes:
        changes["threshold"] = Decimal(changes["threshold"])
    for name in ("channels", "category_ids"):
        if name in changes:
            changes[name] = tuple(changes[name])
    rule, position = budgeting.change_alert_rule(
        workspace_id, rule_id, replace(terms, **changes), actor
    )
    return _alert_rule_out(rule, position)


@delete(ALERT_RULE, sync_to_thread=True, access=Access.ADMIN, status_code=200)
def delete_alert_rule(
    workspace_id: FromPath[UUID],
    rule_id: FromPath[UUID],
    budgeting: NamedDependency[Budgeting],
    actor: NamedDependency[Actor],
) -> Deleted:
    _, position = budgeting.delete_alert_rule(workspace_id, rule_id, actor)
    return Deleted(id=rule_id, position=position)


def _alert_rule_out(rule: AlertRule, position: int) -> AlertRuleOut:
    terms = rule.terms
    return AlertRuleOut(
        id=rule.id,
        budget_id=terms.budget_id,
        threshold_type=terms.threshold_type.value,
        threshold=str(terms.threshold),
        category_ids=list(terms.category_ids),
        channels=[c.value for c in terms.channels],
        frequency=terms.frequency.value,
        message=terms.message,
        active=terms.active,
        position=position,
    )


def _check_categories(
    ledger: Ledger,
    workspace_id: UUID,
    category_ids: Iterable[UUID],
    category_limits: Iterable[UUID],
    actor: Actor,
) -> None:
    """Another workspace's category is not found here (404), like any other of its ids."""
    named = [(c, "category_ids") for c in category_ids]
    named += [(c, "category_limits") for c in category_limits]
    if not named:
        return
    categories = ledger.categories(workspace_id, actor)
    for category_id, field in named:
        if category_id not in categories.categories:
            raise NotFoundError("no such category", field)

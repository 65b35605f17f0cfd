"""Auto-categorization rules: add, change, remove, reorder, and preview what they would do."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, delete, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api.access import Access
from command_api.context import new_id
from command_api.routes.ledger import Amount, Tags, Text
from domain.base import Actor, DomainError
from domain.ledger.application import Ledger
from domain.ledger.rules import MAX_PATTERN, Rule, Rules
from domain.ledger.transaction import TransactionDetails
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
RULE = f"{WORKSPACE}/rules/{{rule_id:uuid}}"
Size = Annotated[str, Meta(pattern=r"^[0-9]{1,15}(\.[0-9]{1,4})?$", examples=["100.00"])]
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]
Contains = Annotated[str, Meta(min_length=1, max_length=200)]
Pattern = Annotated[str, Meta(min_length=1, max_length=MAX_PATTERN)]
Merchant = Annotated[str, Meta(min_length=1, max_length=100)]


class RuleOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    order: int  # 0 is asked first
    contains: str | None
    pattern: str | None
    min_amount: str | None
    max_amount: str | None
    account_id: UUID | None
    category_id: UUID | None
    tags: list[str]
    merchant: str | None
    position: int


class AddRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Conditions (all that are given must hold): ``contains``, ``pattern`` (a regular
    expression in RE2's syntax: no backreferences nor lookarounds; ``\\d``, ``\\w``, ``\\b``
    are ASCII), ``min_amount``/``max_amount`` (the amount's size), ``account_id``. Actions:
    ``category_id``, ``tags`` (added), ``merchant`` (the name to give)."""

    name: Name
    contains: Contains | None = None
    pattern: Pattern | None = None
    min_amount: Size | None = None
    max_amount: Size | None = None
    account_id: UUID | None = None
    category_id: UUID | None = None
    tags: Tags = msgspec.field(default_factory=list)
    merchant: Merchant | None = None
    order: Annotated[int, Meta(ge=0)] | None = None  # last when not given


@post(f"{WORKSPACE}/rules", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def add_rule(
    workspace_id: FromPath[UUID],
    data: JSONBody[AddRule],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> RuleOut:
    """Applies to transactions recorded or imported from now on without a category."""
    rule = _rule(new_id(request, principal, "rule"), data)
    rules, position = ledger.add_rule(workspace_id, rule, data.order, actor)
    return _rule_out(rules, rule.id, position)


class ChangeRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Fields sent replace the rule's; ``null`` removes a condition or an action."""

    name: Name | UnsetType = UNSET
    contains: Contains | UnsetType | None = UNSET
    pattern: Pattern | UnsetType | None = UNSET
    min_amount: Size | UnsetType | None = UNSET
    max_amount: Size | UnsetType | None = UNSET
    account_id: UUID | UnsetType | None = UNSET
    category_id: UUID | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    merchant: Merchant | UnsetType | None = UNSET


@patch(RULE, sync_to_thread=True, access=Access.EDITOR)
def change_rule(
    workspace_id: FromPath[UUID],
    rule_id: FromPath[UUID],
    data: JSONBody[ChangeRule],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> RuleOut:
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
    for bound in ("min_amount", "max_amount"):
        if changes.get(bound) is not None:
            changes[bound] = Decimal(changes[bound])
    if "tags" in changes:
        changes["tags"] = tuple(changes["tags"])
    rules, _, position = ledger.change_rule(workspace_id, rule_id, changes, actor)
    return _rule_out(rules, rule_id, position)


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


@delete(RULE, sync_to_thread=True, access=Access.EDITOR, status_code=200)
def remove_rule(
    workspace_id: FromPath[UUID],
    rule_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> Removed:
    _, position = ledger.remove_rule(workspace_id, rule_id, actor)
    return Removed(id=rule_id, position=position)


class ReorderRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    rule_ids: Annotated[list[UUID], Meta(max_length=1000)]


class RuleList(msgspec.Struct, kw_only=True):
    data: list[RuleOut]
    position: int


@put(f"{WORKSPACE}/rules/order", sync_to_thread=True, access=Access.EDITOR)
def reorder_rules(
    workspace_id: FromPath[UUID],
    data: JSONBody[ReorderRules],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> RuleList:
    """Every rule's id, in the order they are to be asked."""
    rules, position = ledger.reorder_rules(workspace_id, data.rule_ids, actor)
    return RuleList(data=[_rule_out(rules, r.id, position) for r in rules.rules], position=position)


class Sample(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    description: Annotated[str, Meta(min_length=1, max_length=500)]
    amount: Amount
    merchant: Merchant | None = None
    account_id: UUID | None = None
    tags: Tags = msgspec.field(default_factory=list)
    notes: Text | None = None


class PreviewRules(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``rule`` alone is asked when given (it is not saved); else the workspace's rules."""

    transactions: Annotated[list[Sample], Meta(min_length=1, max_length=1000)]
    rule: AddRule | None = None


class PreviewRow(msgspec.Struct, kw_only=True):
    description: str
    merchant: str | None
    rule_id: UUID | None
    category_id: UUID | None
    category: str | None
    categorized_by: str | None
    confidence: str | None
    tags: list[str]


class Preview(msgspec.Struct, kw_only=True):
    data: list[PreviewRow]


@post(f"{WORKSPACE}/rules/preview", sync_to_thread=True, access=Access.VIEWER, status_code=200)
def preview_rules(
    workspace_id: FromPath[UUID],
    data: JSONBody[PreviewRules],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> Preview:
    """What recording each transaction would give it: merchant name, category, by which rule
    or by what was learned, with what confidence, and tags. Nothing is saved."""
    rule = None if data.rule is None else _rule(UUID(int=0), data.rule)
    zero = UUID(int=0)
    samples = [
        TransactionDetails(
            s.account_id or zero,
            date.today(),
            Decimal(s.amount),
            "EUR",  # the currency decides nothing here
            s.description,
            s.merchant,
            None,
            tuple(s.tags),
            s.notes,
        )
        for s in data.transactions
    ]
    try:
        categories, results = ledger.preview_rules(workspace_id, rule, samples, actor)
    except DomainError as error:
        if rule is None or error.field is None:
            raise
        # The rule is the body's "rule": its fields are named as the client sent them.
        raise type(error)(error.detail, f"rule.{error.field}") from None
    return Preview(
        data=[
            PreviewRow(
                description=details.description,
                merchant=details.merchant,
                rule_id=rule_id,
                category_id=details.category_id,
                category=categories.name_of(details.category_id),
                categorized_by=None if categorization is None else categorization.by.value,
                confidence=None if categorization is None else str(categorization.confidence),
                tags=list(details.tags),
            )
            for details, categorization, rule_id in results
        ]
    )


def _rule(rule_id: UUID, data: AddRule) -> Rule:
    return Rule(
        id=rule_id,
        name=data.name,
        contains=data.contains,
        pattern=data.pattern,
        min_amount=None if data.min_amount is None else Decimal(data.min_amount),
        max_amount=None if data.max_amount is None else Decimal(data.max_amount),
        account_id=data.account_id,
        category_id=data.category_id,
        tags=tuple(data.tags),
        merchant=data.merchant,
    )


def _rule_out(rules: Rules, rule_id: UUID, position: int) -> RuleOut:
    rule = rules.get(rule_id)
    fields: dict[str, Any] = asdict(rule)
    return RuleOut(
        **{
            **fields,
            "min_amount": None if rule.min_amount is None else str(rule.min_amount),
            "max_amount": None if rule.max_amount is None else str(rule.max_amount),
            "tags": list(rule.tags),
        },
        order=rules.rules.index(rule),
        position=position,
    )

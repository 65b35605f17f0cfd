"""Accounts and transactions: open, record, amend, delete, restore."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, delete, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import FromPath, HeaderParameter, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api.access import Access
from command_api.context import new_id
from command_api.routes.workspaces import Currency
from domain.base import Actor
from domain.ledger.account import Account, AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from infra.tokens import Principal

Amount = Annotated[
    str,
    Meta(
        pattern=r"^[+-]?[0-9]{1,15}(\.[0-9]{1,4})?$",
        examples=["-5.75"],
        description="decimal string",
    ),
]
Text = Annotated[str, Meta(max_length=500)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Meta(max_length=20)]
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="the version you last read", required=False),
]

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"


class OpenAccount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")]
    type: AccountType
    currency: Currency
    opening_balance: Amount = "0"


class AccountOut(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    name: str
    type: str
    currency: str
    opening_balance: str
    version: int
    position: int


@post(f"{WORKSPACE}/accounts", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def open_account(
    workspace_id: FromPath[UUID],
    data: JSONBody[OpenAccount],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> AccountOut:
    account, position = ledger.open_account(
        new_id(request, principal, "account"),
        workspace_id,
        data.name,
        data.type,
        data.currency,
        Decimal(data.opening_balance),
        actor,
    )
    return _account_out(account, workspace_id, position)


class RecordTransaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    account_id: UUID
    date: date
    amount: Amount
    currency: Currency
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")]
    merchant: Text | None = None
    category: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    tags: Tags = msgspec.field(default_factory=list)
    notes: Annotated[str, Meta(max_length=2000)] | None = None


class AmendTransaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears an optional field."""

    account_id: UUID | UnsetType = UNSET
    date: date | UnsetType = UNSET
    amount: Amount | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")] | UnsetType = (
        UNSET
    )
    merchant: Text | UnsetType | None = UNSET
    category: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=2000)] | UnsetType | None = UNSET


class TransactionOut(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    account_id: UUID
    date: date
    amount: str
    currency: str
    description: str
    merchant: str | None
    category: str | None
    tags: list[str]
    notes: str | None
    deleted: bool
    version: int
    position: int


@post(f"{WORKSPACE}/transactions", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def record_transaction(
    workspace_id: FromPath[UUID],
    data: JSONBody[RecordTransaction],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Response[TransactionOut]:
    details = TransactionDetails(
        account_id=data.account_id,
        date=data.date,
        amount=Decimal(data.amount),
        currency=data.currency,
        description=data.description,
        merchant=data.merchant,
        category=data.category,
        tags=tuple(data.tags),
        notes=data.notes,
    )
    transaction, position = ledger.record_transaction(
        new_id(request, principal, "transaction"), workspace_id, details, actor
    )
    return _transaction_response(transaction, workspace_id, position, 201)


@patch(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}", sync_to_thread=True, access=Access.EDITOR
)
def amend_transaction(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    data: JSONBody[AmendTransaction],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> Response[TransactionOut]:
    changes: dict[str, Any] = {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if getattr(data, name) is not UNSET
    }
    if "amount" in changes:
        changes["amount"] = Decimal(changes["amount"])
    if "tags" in changes:
        changes["tags"] = tuple(changes["tags"])
    transaction, position = ledger.amend_transaction(
        workspace_id, transaction_id, changes, _version(if_match), actor
    )
    return _transaction_response(transaction, workspace_id, position, 200)


@delete(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def delete_transaction(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> Response[TransactionOut]:
    transaction, position = ledger.delete_transaction(
        workspace_id, transaction_id, _version(if_match), actor
    )
    return _transaction_response(transaction, workspace_id, position, 200)


@post(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/restore",
    sync_to_thread=True,
    access=Access.EDITOR,
)
def restore_transaction(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> Response[TransactionOut]:
    transaction, position = ledger.restore_transaction(
        workspace_id, transaction_id, _version(if_match), actor
    )
    return _transaction_response(transaction, workspace_id, position, 200)


def _version(if_match: str | None) -> int | None:
    """``If-Match: 3``, ``"3"`` or ``W/"3"`` all name version 3."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit()):
        raise ValidationException(
            "If-Match must be the version you read",
            extra=[{"key": "If-Match", "message": 'expected a version such as "3"'}],
        )
    return int(value)


def _account_out(account: Account, workspace_id: UUID, position: int) -> AccountOut:
    return AccountOut(
        id=account.id,
        workspace_id=workspace_id,
        name=account.name,
        type=account.type.value,
        currency=account.currency,
        opening_balance=str(account.opening_balance),
        version=account.version,
        position=position,
    )


def _transaction_response(
    transaction: Transaction, workspace_id: UUID, position: int, status: int
) -> Response[TransactionOut]:
    details = transaction.details
    body = TransactionOut(
        id=transaction.id,
        workspace_id=workspace_id,
        account_id=details.account_id,
        date=details.date,
        amount=str(details.amount),
        currency=details.currency,
        description=details.description,
        merchant=details.merchant,
        category=details.category,
        tags=list(details.tags),
        notes=details.notes,
        deleted=transaction.deleted,
        version=transaction.version,
        position=position,
    )
    return Response(body, status_code=status, headers={"ETag": f'"{transaction.version}"'})

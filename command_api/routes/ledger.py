"""Accounts and transactions: open, record, amend, delete, restore."""

from __future__ import annotations

from datetime import date, time
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
from command_api.context import keyed_id, new_id
from command_api.routes.workspaces import Currency
from domain.base import Actor
from domain.ledger.account import Account, AccountType
from domain.ledger.application import Ledger
from domain.ledger.categories import Categories
from domain.ledger.transaction import Transaction, TransactionDetails
from infra.tokens import Principal

# Up to 8 decimals, as an imported amount may have (a PATCH can send one back unchanged); the
# domain holds a typed amount to its currency's minor units (422).
Amount = Annotated[
    str,
    Meta(
        pattern=r"^[+-]?[0-9]{1,15}(\.[0-9]{1,8})?$",
        examples=["-5.75"],
        description="decimal string",
    ),
]
# The local time of day (the workspace's; no zone); answered as HH:MM:SS.
TimeOfDay = Annotated[
    str,
    Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        examples=["22:45", "22:45:10"],
        description="local time of day, HH:MM or HH:MM:SS (24-hour)",
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
    closed: bool
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


CategoryName = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=201,
        description="a category's name, system slug or 'Parent > Child'; a new name makes one",
    ),
]


class UpdateAccount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Name and type change; the currency is for life (its transactions are in it)."""

    name: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")] | UnsetType = UNSET
    type: AccountType | UnsetType = UNSET


ACCOUNT = f"{WORKSPACE}/accounts/{{account_id:uuid}}"


@patch(ACCOUNT, sync_to_thread=True, access=Access.EDITOR)
def update_account(
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    data: JSONBody[UpdateAccount],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> AccountOut:
    changes = {n: getattr(data, n) for n in data.__struct_fields__ if getattr(data, n) is not UNSET}
    account, position = ledger.update_account(
        workspace_id, account_id, changes, _version(if_match), actor
    )
    return _account_out(account, workspace_id, position)


@post(f"{ACCOUNT}/close", sync_to_thread=True, access=Access.EDITOR, status_code=200)
def close_account(
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> AccountOut:
    account, position = ledger.close_account(workspace_id, account_id, _version(if_match), actor)
    return _account_out(account, workspace_id, position)


@post(f"{ACCOUNT}/reopen", sync_to_thread=True, access=Access.EDITOR, status_code=200)
def reopen_account(
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> AccountOut:
    account, position = ledger.reopen_account(workspace_id, account_id, _version(if_match), actor)
    return _account_out(account, workspace_id, position)


class ValueAccount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    date: date
    value: Amount


@post(f"{ACCOUNT}/valuations", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def value_account(
    workspace_id: FromPath[UUID],
    account_id: FromPath[UUID],
    data: JSONBody[ValueAccount],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> AccountOut:
    """What an asset or liability is worth on a date (a liability's value is negative)."""
    account, position = ledger.value_account(
        workspace_id, account_id, data.date, Decimal(data.value), actor
    )
    return _account_out(account, workspace_id, position)


class RecordTransaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Name the category by ``category_id``, or by ``category`` (its name)."""

    account_id: UUID
    date: date
    time: TimeOfDay | None = None
    amount: Amount
    currency: Currency
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")]
    merchant: Text | None = None
    category_id: UUID | None = None
    category: CategoryName | None = None
    tags: Tags = msgspec.field(default_factory=list)
    notes: Annotated[str, Meta(max_length=2000)] | None = None


class AmendTransaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears an optional field."""

    account_id: UUID | UnsetType = UNSET
    date: date | UnsetType = UNSET
    time: TimeOfDay | UnsetType | None = UNSET
    amount: Amount | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")] | UnsetType = (
        UNSET
    )
    merchant: Text | UnsetType | None = UNSET
    category_id: UUID | UnsetType | None = UNSET
    category: CategoryName | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    notes: Annotated[str, Meta(max_length=2000)] | UnsetType | None = UNSET


class SplitOut(msgspec.Struct, kw_only=True):
    category_id: UUID | None
    amount: str
    notes: str | None


class TransactionOut(msgspec.Struct, kw_only=True):
    id: UUID
    workspace_id: UUID
    account_id: UUID
    date: date
    time: time | None
    amount: str
    currency: str
    description: str
    merchant: str | None
    category_id: UUID | None
    category: str | None
    categorized_by: str | None
    confidence: str | None
    user_corrected: bool
    tags: list[str]
    notes: str | None
    splits: list[SplitOut]
    transfer_id: UUID | None
    counter_account_id: UUID | None
    import_id: UUID | None
    reconciled: bool
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
    _one_category(data.category_id, data.category)
    details = TransactionDetails(
        account_id=data.account_id,
        date=data.date,
        amount=Decimal(data.amount),
        currency=data.currency,
        description=data.description,
        merchant=data.merchant,
        category_id=data.category_id,
        tags=tuple(data.tags),
        notes=data.notes,
        time=_time_of_day(data.time),
    )
    transaction, categories, position = ledger.record_transaction(
        keyed_id(request, principal, "transaction"), workspace_id, details, actor, data.category
    )
    return transaction_response(transaction, categories, position, 201)


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
    if "time" in changes:
        changes["time"] = _time_of_day(changes["time"])
    category_name = changes.pop("category", None)
    _one_category(changes.get("category_id"), category_name)
    transaction, categories, position = ledger.amend_transaction(
        workspace_id, transaction_id, changes, _version(if_match), actor, category_name
    )
    return transaction_response(transaction, categories, position, 200)


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
    return transaction_response(transaction, ledger.categories(workspace_id, actor), position, 200)


@post(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/restore",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
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
    return transaction_response(transaction, ledger.categories(workspace_id, actor), position, 200)


@post(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/reconcile",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def reconcile_transaction(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> Response[TransactionOut]:
    """A person confirms the bank statement shows the transaction (a match a reconciliation
    left for review)."""
    transaction, position = ledger.reconcile_transaction(workspace_id, transaction_id, actor)
    return transaction_response(transaction, ledger.categories(workspace_id, actor), position, 200)


def _version(if_match: str | None) -> int | None:
    """``If-Match: 3``, ``"3"`` or ``W/"3"`` all name version 3."""
    if if_match is None:
        return None
    value = if_match.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= 18):  # a bigint at most
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
        closed=account.closed,
        version=account.version,
        position=position,
    )


def transaction_response(
    transaction: Transaction, categories: Categories, position: int, status: int
) -> Response[TransactionOut]:
    return Response(
        transaction_out(transaction, categories, position),
        status_code=status,
        headers={"ETag": f'"{transaction.version}"'},
    )


def transaction_out(
    transaction: Transaction, categories: Categories, position: int
) -> TransactionOut:
    details = transaction.details
    return TransactionOut(
        id=transaction.id,
        workspace_id=transaction.workspace_id,
        account_id=details.account_id,
        date=details.date,
        time=details.time,
        amount=f"{details.amount:f}",  # as stored and as the read model says it, never 1E-8
        currency=details.currency,
        description=details.description,
        merchant=details.merchant,
        category_id=details.category_id,
        category=categories.name_of(details.category_id),
        categorized_by=transaction.categorized_by,
        confidence=None if transaction.confidence is None else str(transaction.confidence),
        user_corrected=transaction.user_corrected,
        tags=list(details.tags),
        notes=details.notes,
        splits=[
            SplitOut(category_id=part.category_id, amount=f"{part.amount:f}", notes=part.notes)
            for part in transaction.splits
        ],
        transfer_id=transaction.origin.transfer_id,
        counter_account_id=transaction.origin.counter_account_id,
        import_id=transaction.origin.import_id,
        reconciled=transaction.reconciled,
        deleted=transaction.deleted,
        version=transaction.version,
        position=position,
    )


def _time_of_day(value: str | None) -> time | None:
    """``HH:MM`` or ``HH:MM:SS``, as the body's pattern let through."""
    return None if value is None else time.fromisoformat(value)


def _one_category(category_id: UUID | None, category: str | None) -> None:
    if category_id is not None and category is not None:
        raise ValidationException(
            "name the category once",
            extra=[{"key": "category", "message": "send category_id or category, not both"}],
        )


class RecordTransfer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    from_account_id: UUID
    to_account_id: UUID
    date: date
    amount: Annotated[Amount, Meta(description="what left the first account, positive")]
    received_amount: Amount | None = None
    description: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"\S")] = "Transfer"
    notes: Annotated[str, Meta(max_length=2000)] | None = None


class TransferOut(msgspec.Struct, kw_only=True):
    id: UUID
    legs: list[TransactionOut]
    position: int


@post(f"{WORKSPACE}/transfers", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def record_transfer(
    workspace_id: FromPath[UUID],
    data: JSONBody[RecordTransfer],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> TransferOut:
    """Two legs, one out and one in, both in the Transfers category; neither is income or
    expense. Between currencies, ``received_amount`` says what arrived."""
    transfer, position = ledger.transfer(
        new_id(request, principal, "transfer"),
        workspace_id,
        data.from_account_id,
        data.to_account_id,
        data.date,
        Decimal(data.amount),
        None if data.received_amount is None else Decimal(data.received_amount),
        data.description,
        data.notes,
        actor,
    )
    categories = ledger.categories(workspace_id, actor)
    return TransferOut(
        id=transfer.transfer_id,
        legs=[transaction_out(leg, categories, position) for leg in transfer.legs],
        position=position,
    )


class Part(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    category_id: UUID | None = None
    amount: Amount
    notes: Annotated[str, Meta(max_length=500)] | None = None


class SplitTransaction(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Parts add up to the amount; an empty list makes the transaction whole again."""

    splits: Annotated[list[Part], Meta(max_length=50)]


@post(
    f"{WORKSPACE}/transactions/{{transaction_id:uuid}}/split",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def split_transaction(
    workspace_id: FromPath[UUID],
    transaction_id: FromPath[UUID],
    data: JSONBody[SplitTransaction],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    if_match: IfMatch = None,
) -> Response[TransactionOut]:
    transaction, categories, position = ledger.split_transaction(
        workspace_id,
        transaction_id,
        [(part.category_id, Decimal(part.amount), part.notes) for part in data.splits],
        _version(if_match),
        actor,
    )
    return transaction_response(transaction, categories, position, 200)


class CategorizeTransactions(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    transaction_ids: Annotated[list[UUID], Meta(min_length=1, max_length=1000)]
    category_id: UUID | None


class Categorized(msgspec.Struct, kw_only=True):
    updated: int
    transaction_ids: list[UUID]
    position: int


@post(
    f"{WORKSPACE}/transactions/bulk-categorize",
    sync_to_thread=True,
    access=Access.EDITOR,
    status_code=200,
)
def categorize_transactions(
    workspace_id: FromPath[UUID],
    data: JSONBody[CategorizeTransactions],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> Categorized:
    """All named transactions get the category, or none does (an unknown id is 422)."""
    transactions, updated, position = ledger.categorize_transactions(
        workspace_id, data.transaction_ids, data.category_id, actor
    )
    return Categorized(
        updated=updated,
        transaction_ids=[t.id for t in transactions],
        position=position,
    )

"""The Ledger application: open accounts, record and correct transactions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from domain.base import (
    Actor,
    CentsourceApplication,
    DomainError,
    NotFoundError,
    StaleVersionError,
)
from domain.ledger.account import Account, AccountType
from domain.ledger.transaction import Transaction, TransactionDetails

T = TypeVar("T", Account, Transaction)


class Ledger(CentsourceApplication):
    def open_account(
        self,
        account_id: UUID,
        workspace_id: UUID,
        name: str,
        type: AccountType,
        currency: str,
        opening_balance: Decimal,
        by: Actor,
    ) -> tuple[Account, int]:
        existing = self._find(Account, account_id, workspace_id)
        if existing is not None:  # a retry of the same idempotent command
            return existing, 0
        account = Account.open(account_id, workspace_id, name, type, currency, opening_balance, by)
        return account, self.save_all(account)

    def record_transaction(
        self, transaction_id: UUID, workspace_id: UUID, details: TransactionDetails, by: Actor
    ) -> tuple[Transaction, int]:
        existing = self._find(Transaction, transaction_id, workspace_id)
        if existing is not None:  # a retry of the same idempotent command
            return existing, 0
        self.get_account(workspace_id, details.account_id).check_accepts(details.currency)
        transaction = Transaction.record(transaction_id, workspace_id, details, by)
        return transaction, self.save_all(transaction)

    def amend_transaction(
        self,
        workspace_id: UUID,
        transaction_id: UUID,
        changes: Mapping[str, Any],
        expected_version: int | None,
        by: Actor,
    ) -> tuple[Transaction, int]:
        """Changes the named fields; the others keep their values."""
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        details = replace(transaction.details, **changes)
        self.get_account(workspace_id, details.account_id).check_accepts(details.currency)
        transaction.amend(details, by)
        return transaction, self.save_all(transaction)

    def delete_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Transaction, int]:
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        transaction.delete(by)
        return transaction, self.save_all(transaction)

    def restore_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None, by: Actor
    ) -> tuple[Transaction, int]:
        transaction = self.get_transaction(workspace_id, transaction_id, expected_version)
        transaction.restore(by)
        return transaction, self.save_all(transaction)

    def get_account(self, workspace_id: UUID, account_id: UUID) -> Account:
        account = self._find(Account, account_id, workspace_id)
        if account is None:
            raise DomainError("no such account in this workspace", "account_id")
        return account

    def get_transaction(
        self, workspace_id: UUID, transaction_id: UUID, expected_version: int | None = None
    ) -> Transaction:
        transaction = self._find(Transaction, transaction_id, workspace_id)
        if transaction is None:
            raise NotFoundError("no such transaction")
        if expected_version is not None and expected_version != transaction.version:
            raise StaleVersionError(
                f"the transaction is at version {transaction.version}, not {expected_version}"
            )
        return transaction

    def _find(self, kind: type[T], aggregate_id: UUID, workspace_id: UUID) -> T | None:
        """Another workspace's aggregates, or another kind's, are not there for this one."""
        aggregate = self.find(kind, aggregate_id)
        return aggregate if aggregate and aggregate.workspace_id == workspace_id else None

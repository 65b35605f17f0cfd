"""An account money is kept in: its type, currency and opening balance."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked
from domain.money import check_amount


class AccountType(StrEnum):
    CHECKING = "CHECKING"
    SAVINGS = "SAVINGS"
    CREDIT_CARD = "CREDIT_CARD"
    CASH = "CASH"
    INVESTMENT = "INVESTMENT"
    LOAN = "LOAN"
    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    OTHER = "OTHER"


class Account(Tracked):
    class Opened(Tracked.Created):
        name: str
        type: str
        currency: str
        opening_balance: Decimal

    @event(Opened)
    def __init__(
        self, workspace_id: UUID, name: str, type: str, currency: str, opening_balance: Decimal
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.type = AccountType(type)
        self.currency = currency
        self.opening_balance = opening_balance

    @classmethod
    def open(
        cls,
        account_id: UUID,
        workspace_id: UUID,
        name: str,
        type: AccountType,
        currency: str,
        opening_balance: Decimal,
        by: Actor,
    ) -> Account:
        check_amount(opening_balance, currency, "opening_balance")
        return cls._create(
            cls.Opened,
            id=account_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            name=name.strip(),
            type=type.value,
            currency=currency,
            opening_balance=opening_balance,
        )

    def check_accepts(self, currency: str) -> None:
        if currency != self.currency:
            raise DomainError(
                f"the account is in {self.currency}; a {currency} amount cannot be recorded in it",
                "currency",
            )

"""An account money is kept in: its type, currency, opening balance, valuations, whether open."""

from __future__ import annotations

from datetime import date
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

    @property
    def is_liability(self) -> bool:
        """Money owed: its balance is negative while something is owed."""
        return self in (AccountType.CREDIT_CARD, AccountType.LOAN, AccountType.LIABILITY)


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
        self.closed = False

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

    def check_open(self) -> None:
        if self.closed:
            raise DomainError("the account is closed; reopen it first", "account_id")

    class Updated(Tracked.Event):
        name: str
        type: str

    def update(self, name: str, type: AccountType, by: Actor) -> None:
        name = name.strip()
        if not name:
            raise DomainError("an account needs a name", "name")
        if (name, type) != (self.name, self.type):
            self._trigger(self.Updated, by, name=name, type=type.value)

    @event(Updated)
    def _updated(self, name: str, type: str) -> None:
        self.name = name
        self.type = AccountType(type)

    class Closed(Tracked.Event):
        pass

    def close(self, by: Actor) -> None:
        self.check_open()
        self._trigger(self.Closed, by)

    @event(Closed)
    def _closed(self) -> None:
        self.closed = True

    class Reopened(Tracked.Event):
        pass

    def reopen(self, by: Actor) -> None:
        if not self.closed:
            raise DomainError("the account is open")
        self._trigger(self.Reopened, by)

    @event(Reopened)
    def _reopened(self) -> None:
        self.closed = False

    class Valued(Tracked.Event):
        """What the account is worth on a date (a house, a stock holding, a loan's balance);
        transactions after that date move the balance on from there."""

        date: date
        value: Decimal

    def value(self, on: date, value: Decimal, by: Actor) -> None:
        check_amount(value, self.currency, "value")
        self._trigger(self.Valued, by, date=on, value=value)

    @event(Valued)
    def _valued(self, date: date, value: Decimal) -> None:
        pass  # the balance lives in the read model; the log keeps every valuation

"""A goal: an amount to reach by a date, by contributions or by following an account's
balance (or, for NET_WORTH, the workspace's net worth); completed once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked
from domain.money import check_amount


class GoalType(StrEnum):
    SAVINGS = "SAVINGS"
    DEBT_PAYOFF = "DEBT_PAYOFF"  # the target is the debt; a linked account's balance is owed
    NET_WORTH = "NET_WORTH"  # followed from the workspace's net worth, in the goal's currency
    INVESTMENT = "INVESTMENT"


class Goal(Tracked):
    class Created(Tracked.Created):
        name: str
        type: str
        target_amount: Decimal
        currency: str
        target_date: date | None
        account_id: UUID | None

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        name: str,
        type: str,
        target_amount: Decimal,
        currency: str,
        target_date: date | None,
        account_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.type = GoalType(type)
        self.target_amount = target_amount
        self.currency = currency
        self.target_date = target_date
        self.account_id = account_id
        self.contributed = Decimal(0)
        self.completed = False
        self.deleted = False

    @classmethod
    def create(
        cls,
        goal_id: UUID,
        workspace_id: UUID,
        name: str,
        type: GoalType,
        target_amount: Decimal,
        currency: str,
        target_date: date | None,
        account_id: UUID | None,
        by: Actor,
    ) -> Goal:
        _check(name, target_amount, currency)
        if type is GoalType.NET_WORTH and account_id is not None:
            raise DomainError("a NET_WORTH goal follows the whole workspace", "account_id")
        return cls._create(
            cls.Created,
            id=goal_id,
            workspace_id=workspace_id,
            name=name,
            type=type.value,
            target_amount=target_amount,
            currency=currency,
            target_date=target_date,
            account_id=account_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    @property
    def tracked(self) -> bool:
        """Followed from balances, not from contributions."""
        return self.account_id is not None or self.type is GoalType.NET_WORTH

    class Changed(Tracked.Event):
        name: str
        target_amount: Decimal
        target_date: date | None

    def change(
        self, name: str, target_amount: Decimal, target_date: date | None, by: Actor
    ) -> None:
        self.check_live()
        _check(name, target_amount, self.currency)
        if (name, target_amount, target_date) != (self.name, self.target_amount, self.target_date):
            self._trigger(
                self.Changed, by, name=name, target_amount=target_amount, target_date=target_date
            )
        if not self.tracked:
            self._complete_if_reached(self.contributed, by)

    @event(Changed)
    def _changed(self, name: str, target_amount: Decimal, target_date: date | None) -> None:
        self.name = name
        self.target_amount = target_amount
        self.target_date = target_date

    class ContributionAdded(Tracked.Event):
        amount: Decimal  # a withdrawal is negative
        date: date
        note: str | None

    def contribute(self, amount: Decimal, day: date, note: str | None, by: Actor) -> None:
        self.check_live()
        if self.tracked:
            raise DomainError("this goal follows balances; contributions are not added", "amount")
        check_amount(amount, self.currency)
        if amount == 0:
            raise DomainError("a contribution is not zero", "amount")
        self._trigger(self.ContributionAdded, by, amount=amount, date=day, note=note)
        self._complete_if_reached(self.contributed, by)

    @event(ContributionAdded)
    def _contribution_added(self, amount: Decimal, **_: Any) -> None:
        self.contributed += amount

    class Completed(Tracked.Event):
        amount: Decimal
        target_amount: Decimal

    def observe(self, current: Decimal, by: Actor) -> None:
        """What the goal's balances come to now (the budget watch reports it)."""
        if not self.deleted:
            self._complete_if_reached(current, by)

    def _complete_if_reached(self, current: Decimal, by: Actor) -> None:
        if not self.completed and current >= self.target_amount:
            self._trigger(self.Completed, by, amount=current, target_amount=self.target_amount)

    @event(Completed)
    def _completed(self, **_: Any) -> None:
        self.completed = True

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        self.check_live()
        self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

    def check_live(self) -> None:
        if self.deleted:
            raise ConflictError("the goal is deleted")


def _check(name: str, target_amount: Decimal, currency: str) -> None:
    if not 1 <= len(name.strip()) <= 100:
        raise DomainError("a goal's name has 1 to 100 characters", "name")
    check_amount(target_amount, currency, "target_amount")
    if target_amount <= 0:
        raise DomainError("a target is over zero", "target_amount")

"""A schedule: a bill or an income expected on a cadence, and the dates it falls on."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked, check_supported_date, natural_id
from domain.money import check_amount


class Cadence(StrEnum):
    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"


_DAYS = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14}
_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.YEARLY: 12}


def nth_occurrence(anchor: date, cadence: Cadence, n: int) -> date:
    """The ``n``-th date from ``anchor`` (the 0th): weeks add days; months add calendar months
    to the anchor (not to the previous date), cut to the month's end, so the 31st stays the
    31st where a month has one (31 Jan, 28 Feb, 31 Mar)."""
    if cadence in _DAYS:
        return anchor + timedelta(days=_DAYS[cadence] * n)
    months = anchor.month - 1 + _MONTHS[cadence] * n
    year, month = anchor.year + months // 12, months % 12 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def occurrences(anchor: date, cadence: Cadence, end: date | None, until: date) -> Iterator[date]:
    """The dates from ``anchor`` up to ``until`` and ``end`` (both included)."""
    last = until if end is None else min(end, until)
    n = 0
    while (day := nth_occurrence(anchor, cadence, n)) <= last:
        yield day
        n += 1


def occurrence_transaction_id(schedule_id: UUID, day: date) -> UUID:
    """An auto-posted occurrence's transaction: one id per schedule and date, so the event
    store refuses a second one whatever replays or restarts."""
    return natural_id("schedule-occurrence", schedule_id, day.isoformat())


class Schedule(Tracked):
    workspace_id: UUID  # a schedule is always a workspace's

    class Created(Tracked.Created):
        name: str
        account_id: UUID
        amount: Decimal  # negative: a bill; positive: an income
        currency: str
        category: str | None
        merchant: str | None
        cadence: str
        next_date: date
        end_date: date | None
        auto_post: bool
        from_recurring: UUID | None

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        name: str,
        account_id: UUID,
        amount: Decimal,
        currency: str,
        category: str | None,
        merchant: str | None,
        cadence: str,
        next_date: date,
        end_date: date | None,
        auto_post: bool,
        from_recurring: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.account_id = account_id
        self.amount = amount
        self.currency = currency
        self.category = category
        self.merchant = merchant
        self.cadence = Cadence(cadence)
        self.next_date = next_date
        self.end_date = end_date
        self.auto_post = auto_post
        self.from_recurring = from_recurring
        self.deleted = False

    @classmethod
    def create(
        cls,
        schedule_id: UUID,
        workspace_id: UUID,
        terms: ScheduleTerms,
        account_id: UUID,
        currency: str,
        from_recurring: UUID | None,
        by: Actor,
    ) -> Schedule:
        terms.check(currency)
        return cls._create(
            cls.Created,
            id=schedule_id,
            workspace_id=workspace_id,
            account_id=account_id,
            currency=currency,
            from_recurring=from_recurring,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            **terms.fields(),
        )

    @property
    def terms(self) -> ScheduleTerms:
        return ScheduleTerms(
            name=self.name,
            amount=self.amount,
            category=self.category,
            merchant=self.merchant,
            cadence=self.cadence,
            next_date=self.next_date,
            end_date=self.end_date,
            auto_post=self.auto_post,
        )

    class Changed(Tracked.Event):
        name: str
        amount: Decimal
        category: str | None
        merchant: str | None
        cadence: str
        next_date: date
        end_date: date | None
        auto_post: bool

    def change(self, terms: ScheduleTerms, by: Actor) -> None:
        """The account and currency are the schedule's for life (delete and create anew)."""
        self.check_live()
        terms.check(self.currency)
        if terms != self.terms:
            self._trigger(self.Changed, by, **terms.fields())

    @event(Changed)
    def _changed(
        self,
        name: str,
        amount: Decimal,
        category: str | None,
        merchant: str | None,
        cadence: str,
        next_date: date,
        end_date: date | None,
        auto_post: bool,
    ) -> None:
        # Named one by one: the library hands the mutator only the fields it names.
        self.name = name
        self.amount = amount
        self.category = category
        self.merchant = merchant
        self.cadence = Cadence(cadence)
        self.next_date = next_date
        self.end_date = end_date
        self.auto_post = auto_post

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
            raise ConflictError("the schedule is deleted")

    def occurrences(self, until: date) -> Iterator[date]:
        return occurrences(self.next_date, self.cadence, self.end_date, until)


@dataclass(frozen=True, kw_only=True)
class ScheduleTerms:
    """What a client may change about a schedule."""

    name: str
    amount: Decimal
    category: str | None
    merchant: str | None
    cadence: Cadence
    next_date: date
    end_date: date | None
    auto_post: bool

    def fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self)} | {
            "cadence": self.cadence.value
        }

    def check(self, currency: str) -> None:
        if not 1 <= len(self.name.strip()) <= 100:
            raise DomainError("a schedule's name has 1 to 100 characters", "name")
        check_amount(self.amount, currency)
        if self.amount == 0:
            raise DomainError("a schedule moves money: the amount cannot be zero", "amount")
        check_supported_date(self.next_date, "next_date")
        if self.end_date is not None:
            check_supported_date(self.end_date, "end_date")
            if self.end_date < self.next_date:
                raise DomainError("the end date is not before the next date", "end_date")

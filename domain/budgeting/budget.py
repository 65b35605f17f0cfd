"""A budget: how much may go out under some categories each period, and the thresholds it
announces when spending crosses them (each crossing once per period and scope)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked, natural_id
from domain.budgeting.periods import Period, PeriodKind
from domain.money import check_amount

EXCEEDED = 100  # percent: the threshold whose crossing is BudgetExceeded
MAX_CATEGORIES = 50
TOTAL = "total"  # the scope of the budget's whole limit; a category's scope is its id


@dataclass(frozen=True)
class BudgetTerms:
    """What a budget says; checked as a whole on create and on every change."""

    name: str
    kind: PeriodKind
    start: date
    end: date | None  # CUSTOM only: the last day
    currency: str
    amount: Decimal
    category_ids: tuple[UUID, ...] = ()  # none: every category
    category_limits: dict[UUID, Decimal] = field(default_factory=dict)
    rollover: bool = False
    active: bool = True
    thresholds: tuple[int, ...] = (80,)  # percents under 100 announced on the way

    def check(self) -> None:
        if not 1 <= len(self.name.strip()) <= 100:
            raise DomainError("a budget's name has 1 to 100 characters", "name")
        check_amount(self.amount, self.currency)
        if self.amount <= 0:
            raise DomainError("a budget's amount is over zero", "amount")
        if (self.kind is PeriodKind.CUSTOM) != (self.end is not None):
            raise DomainError("a CUSTOM period, and only it, has an end date", "end_date")
        if self.end is not None and self.end < self.start:
            raise DomainError("the end date is before the start date", "end_date")
        if len(self.category_ids) > MAX_CATEGORIES or len(set(self.category_ids)) != len(
            self.category_ids
        ):
            raise DomainError(f"up to {MAX_CATEGORIES} different categories", "category_ids")
        for category_id, limit in self.category_limits.items():
            check_amount(limit, self.currency, "category_limits")
            if limit <= 0:
                raise DomainError("a category's limit is over zero", "category_limits")
            if self.category_ids and category_id not in self.category_ids:
                raise DomainError(
                    "a limited category must be one of the budget's", "category_limits"
                )
        if any(not 1 <= t < EXCEEDED for t in self.thresholds) or len(self.thresholds) > 5:
            raise DomainError("up to 5 thresholds, each 1 to 99 (percent)", "thresholds")

    @property
    def key(self) -> str:
        """What may be budgeted once per workspace: a category set and a period."""
        categories = ",".join(sorted(str(c) for c in self.category_ids)) or "*"
        period = f"{self.start}..{self.end}" if self.kind is PeriodKind.CUSTOM else self.kind
        return f"{categories}|{period}"


class Budget(Tracked):
    class Created(Tracked.Created):
        terms: dict[str, Any]

    @event(Created)
    def __init__(self, workspace_id: UUID, terms: dict[str, Any]) -> None:
        self.workspace_id = workspace_id
        self.terms = _terms(terms)
        self.deleted = False
        self.levels: dict[str, int] = {}  # "<period start>|<scope>" → threshold announced

    @classmethod
    def create(cls, budget_id: UUID, workspace_id: UUID, terms: BudgetTerms, by: Actor) -> Budget:
        terms.check()
        return cls._create(
            cls.Created,
            id=budget_id,
            workspace_id=workspace_id,
            terms=_fields(terms),
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        terms: dict[str, Any]

    def change(self, terms: BudgetTerms, by: Actor) -> None:
        self.check_live()
        terms.check()
        if terms.kind is not self.terms.kind:
            raise DomainError("a budget's period kind stays; create another budget", "period")
        if terms != self.terms:
            self._trigger(self.Changed, by, terms=_fields(terms))

    @event(Changed)
    def _changed(self, terms: dict[str, Any]) -> None:
        self.terms = _terms(terms)

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
            raise ConflictError("the budget is deleted")

    def limit(self, scope: str, previous_spent: Decimal | None) -> Decimal:
        """The scope's limit this period: with rollover, plus what the previous period left."""
        base = self.terms.amount if scope == TOTAL else self.terms.category_limits[UUID(scope)]
        return base + rollover(base, previous_spent if self.terms.rollover else None)

    # Crossings. The budget_watch process reports each scope's spending; the budget keeps the
    # highest threshold it announced, so a report seen twice (a replay) announces nothing new.

    class ThresholdReached(Tracked.Event):
        period_start: date
        period_end: date
        category_id: UUID | None
        threshold: int
        spent: Decimal
        limit: Decimal

    class Exceeded(Tracked.Event):
        period_start: date
        period_end: date
        category_id: UUID | None
        spent: Decimal
        limit: Decimal

    class ThresholdCleared(Tracked.Event):
        """Spending fell back under announced thresholds (a refund, a deletion): crossing one
        again is a new crossing."""

        period_start: date
        category_id: UUID | None
        level: int  # the highest threshold still crossed, 0 for none
        spent: Decimal
        limit: Decimal

    def observe(
        self, period: Period, scope: str, spent: Decimal, limit: Decimal, by: Actor
    ) -> None:
        if self.deleted or not self.terms.active:
            return
        key = f"{period.start}|{scope}"
        announced = self.levels.get(key, 0)
        crossed = [t for t in (*self.terms.thresholds, EXCEEDED) if spent * 100 >= limit * t]
        level = max(crossed, default=0)
        category_id = None if scope == TOTAL else UUID(scope)
        for threshold in sorted(t for t in crossed if t > announced):
            if threshold == EXCEEDED:
                self._trigger(
                    self.Exceeded,
                    by,
                    period_start=period.start,
                    period_end=period.end,
                    category_id=category_id,
                    spent=spent,
                    limit=limit,
                )
            else:
                self._trigger(
                    self.ThresholdReached,
                    by,
                    period_start=period.start,
                    period_end=period.end,
                    category_id=category_id,
                    threshold=threshold,
                    spent=spent,
                    limit=limit,
                )
        if level < announced:
            self._trigger(
                self.ThresholdCleared,
                by,
                period_start=period.start,
                category_id=category_id,
                level=level,
                spent=spent,
                limit=limit,
            )

    @event(ThresholdReached)
    def _threshold_reached(
        self, period_start: date, category_id: UUID | None, threshold: int, **_: Any
    ) -> None:
        self.levels[_key(period_start, category_id)] = threshold

    @event(Exceeded)
    def _exceeded(self, period_start: date, category_id: UUID | None, **_: Any) -> None:
        self.levels[_key(period_start, category_id)] = EXCEEDED

    @event(ThresholdCleared)
    def _threshold_cleared(
        self, period_start: date, category_id: UUID | None, level: int, **_: Any
    ) -> None:
        self.levels[_key(period_start, category_id)] = level

    def crossed_periods(self) -> list[date]:
        """Starts of the periods where a threshold stands announced (they may need clearing)."""
        return sorted({date.fromisoformat(k.split("|")[0]) for k, v in self.levels.items() if v})

    @property
    def scopes(self) -> list[str]:
        return [TOTAL, *(str(c) for c in self.terms.category_limits)]


def rollover(base: Decimal, previous_spent: Decimal | None) -> Decimal:
    """What the previous period left unspent, carried into this one (never a debt)."""
    return Decimal(0) if previous_spent is None else max(Decimal(0), base - previous_spent)


def _key(period_start: date, category_id: UUID | None) -> str:
    return f"{period_start}|{category_id or TOTAL}"


def _fields(terms: BudgetTerms) -> dict[str, Any]:
    return {
        "name": terms.name,
        "kind": terms.kind.value,
        "start": terms.start,
        "end": terms.end,
        "currency": terms.currency,
        "amount": terms.amount,
        "category_ids": terms.category_ids,
        "category_limits": {str(c): limit for c, limit in terms.category_limits.items()},
        "rollover": terms.rollover,
        "active": terms.active,
        "thresholds": terms.thresholds,
    }


def _terms(fields: dict[str, Any]) -> BudgetTerms:
    """Terms as an event carries them (JSON gives lists for tuples, strings for keys)."""
    return BudgetTerms(
        **{
            **fields,
            "kind": PeriodKind(fields["kind"]),
            "category_ids": tuple(UUID(str(c)) for c in fields["category_ids"]),
            "category_limits": {
                UUID(c): Decimal(str(limit)) for c, limit in fields["category_limits"].items()
            },
            "thresholds": tuple(fields["thresholds"]),
        }
    )


class BudgetKeys(Tracked):
    """One per workspace: which budget holds each category set and period, so that a second
    one is refused (409) even when two are created at once (the second save conflicts)."""

    class Started(Tracked.Created):
        pass

    @event(Started)
    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.holders: dict[str, UUID] = {}

    @staticmethod
    def id_for(workspace_id: UUID) -> UUID:
        return natural_id(workspace_id, "budget-keys")

    @classmethod
    def start(cls, workspace_id: UUID, by: Actor) -> BudgetKeys:
        return cls._create(
            cls.Started,
            id=cls.id_for(workspace_id),
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Claimed(Tracked.Event):
        key: str
        budget_id: UUID

    def claim(self, key: str, budget_id: UUID, by: Actor) -> None:
        holder = self.holders.get(key)
        if holder == budget_id:
            return
        if holder is not None:
            raise ConflictError(f"budget {holder} already covers these categories and period")
        self._trigger(self.Claimed, by, key=key, budget_id=budget_id)

    @event(Claimed)
    def _claimed(self, key: str, budget_id: UUID) -> None:
        self.holders[key] = budget_id

    class Released(Tracked.Event):
        key: str

    def release(self, key: str, by: Actor) -> None:
        if key in self.holders:
            self._trigger(self.Released, by, key=key)

    @event(Released)
    def _released(self, key: str) -> None:
        del self.holders[key]

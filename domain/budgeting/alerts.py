"""Alert rules: who is told, and how, when spending under a budget passes a threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked
from domain.budgeting.periods import Period, add_months


class ThresholdType(StrEnum):
    PERCENT = "PERCENT"  # of the budget's limit this period
    ABSOLUTE = "ABSOLUTE"  # an amount in the budget's currency (no budget: the workspace's)


class Channel(StrEnum):
    IN_APP = "IN_APP"  # a notification for each member
    EMAIL = "EMAIL"  # a mail to each member
    WEBHOOK = "WEBHOOK"  # alert.triggered to the workspace's webhook subscriptions


class Frequency(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    DAILY = "DAILY"  # mails gathered into one digest a day
    WEEKLY = "WEEKLY"  # … a week (Mondays)


@dataclass(frozen=True)
class AlertTerms:
    budget_id: UUID | None  # none: every budget of the workspace (PERCENT), or no budget
    threshold_type: ThresholdType
    threshold: Decimal
    channels: tuple[Channel, ...]
    category_ids: tuple[UUID, ...] = ()  # none: all the budget's categories
    frequency: Frequency = Frequency.IMMEDIATE
    message: str | None = None
    active: bool = True

    def check(self) -> None:
        if not self.threshold.is_finite() or self.threshold <= 0:
            raise DomainError("a threshold is over zero", "threshold")
        if self.threshold_type is ThresholdType.PERCENT and self.threshold > 1000:
            raise DomainError("a percent threshold is up to 1000", "threshold")
        if not self.channels or len(set(self.channels)) != len(self.channels):
            raise DomainError("name each channel once, at least one", "channels")
        if self.message is not None and len(self.message) > 500:
            raise DomainError("a message has up to 500 characters", "message")

    @property
    def watches_budgets(self) -> bool:
        """An ABSOLUTE rule that names no budget has no budget to watch: it watches its
        categories' spending each calendar month, once (not once per budget)."""
        return self.budget_id is not None or self.threshold_type is ThresholdType.PERCENT

    def limit(self, budget_limit: Decimal) -> Decimal:
        if self.threshold_type is ThresholdType.ABSOLUTE:
            return self.threshold
        return budget_limit * self.threshold / 100


class AlertRule(Tracked):
    class Created(Tracked.Created):
        terms: dict[str, Any]

    @event(Created)
    def __init__(self, workspace_id: UUID, terms: dict[str, Any]) -> None:
        self.workspace_id = workspace_id
        self.terms = terms_from(terms)
        self.deleted = False
        self.triggered: set[str] = set()  # "<budget id>|<period start>"

    @classmethod
    def create(cls, rule_id: UUID, workspace_id: UUID, terms: AlertTerms, by: Actor) -> AlertRule:
        terms.check()
        return cls._create(
            cls.Created,
            id=rule_id,
            workspace_id=workspace_id,
            terms=asdict(terms),
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        terms: dict[str, Any]

    def change(self, terms: AlertTerms, by: Actor) -> None:
        self.check_live()
        terms.check()
        if terms != self.terms:
            self._trigger(self.Changed, by, terms=asdict(terms))

    @event(Changed)
    def _changed(self, terms: dict[str, Any]) -> None:
        self.terms = terms_from(terms)

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
            raise ConflictError("the alert rule is deleted")

    class Triggered(Tracked.Event):
        """Carries how people are to be told, as the rule said when it triggered. A rule of
        no budget has ``budget_id`` None and its categories' names as ``budget_name``."""

        channels: tuple[str, ...]
        frequency: str
        message: str | None
        budget_id: UUID | None
        budget_name: str
        period_start: date
        period_end: date
        spent: Decimal
        limit: Decimal
        currency: str

    class Cleared(Tracked.Event):
        budget_id: UUID | None
        period_start: date
        spent: Decimal

    def observe(
        self,
        budget_id: UUID | None,
        budget_name: str,
        period: Period,
        spent: Decimal,
        limit: Decimal,
        currency: str,
        by: Actor,
    ) -> None:
        """Triggers once when spending reaches the limit; falling under clears it for the next."""
        if self.deleted or not self.terms.active:
            return
        key = f"{budget_id}|{period.start}"
        if spent >= limit and key not in self.triggered:
            self._trigger(
                self.Triggered,
                by,
                channels=tuple(c.value for c in self.terms.channels),
                frequency=self.terms.frequency.value,
                message=self.terms.message,
                budget_id=budget_id,
                budget_name=budget_name,
                period_start=period.start,
                period_end=period.end,
                spent=spent,
                limit=limit,
                currency=currency,
            )
        elif spent < limit and key in self.triggered:
            self._trigger(
                self.Cleared, by, budget_id=budget_id, period_start=period.start, spent=spent
            )

    @event(Triggered)
    def _triggered(self, budget_id: UUID | None, period_start: date, **_: Any) -> None:
        self.triggered.add(f"{budget_id}|{period_start}")

    @event(Cleared)
    def _cleared(self, budget_id: UUID | None, period_start: date, **_: Any) -> None:
        self.triggered.discard(f"{budget_id}|{period_start}")

    def triggered_periods(self, budget_id: UUID | None) -> list[date]:
        """Starts of the periods where it stands triggered on the budget (None: on its own)."""
        prefix = f"{budget_id}|"
        return sorted(
            date.fromisoformat(k[len(prefix) :]) for k in self.triggered if k.startswith(prefix)
        )


def month_of(day: date) -> Period:
    """The calendar month holding the day: the period a rule of no budget counts in."""
    first = day.replace(day=1)
    return Period(first, add_months(first, 1) - timedelta(days=1))


def terms_from(fields: dict[str, Any]) -> AlertTerms:
    """The terms as an event (or a read model) keeps them."""
    budget_id = fields["budget_id"]
    return AlertTerms(
        **{
            **fields,
            "budget_id": None if budget_id is None else UUID(str(budget_id)),
            "threshold_type": ThresholdType(fields["threshold_type"]),
            "threshold": Decimal(str(fields["threshold"])),
            "channels": tuple(Channel(c) for c in fields["channels"]),
            "category_ids": tuple(UUID(str(c)) for c in fields["category_ids"]),
            "frequency": Frequency(fields["frequency"]),
        }
    )

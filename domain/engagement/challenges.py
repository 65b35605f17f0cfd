"""Challenges: a member accepts a template for a month, its progress is reported (manual
ones) or computed from the ledger, and once complete its reward is claimed, once."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, Tracked, natural_id
from domain.engagement.catalogue import ChallengeTemplate

MAX_MANUAL_PROGRESS = 1_000_000


def challenge_id(workspace_id: UUID, user_id: UUID, template_id: UUID, month: str) -> UUID:
    """One per member, template and month: accepting twice names the same challenge."""
    return natural_id("challenge", workspace_id, user_id, template_id, month)


def month_bounds(month: str) -> tuple[date, date]:
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


def is_complete(metric_key: str, progress: Decimal, target: Decimal, month_over: bool) -> bool:
    """A spending limit is kept only once its month is over; every other target is reached
    as soon as the progress gets there."""
    if metric_key == "category_spend_under":
        return month_over and progress <= target
    return progress >= target


def status_of(
    metric_key: str, progress: Decimal, target: Decimal, claimed: bool, month_over: bool
) -> str:
    if claimed:
        return "CLAIMED"
    if is_complete(metric_key, progress, target, month_over):
        return "COMPLETED"
    return "FAILED" if month_over else "ACTIVE"


@dataclass(frozen=True)
class MonthLine:
    """One transaction, or one part of a split one, in the workspace's base currency."""

    transaction_id: UUID
    date: date
    amount: Decimal
    category_id: UUID | None
    transfer: bool


def under(category_id: UUID | None, root: UUID, parents: Mapping[UUID, UUID | None]) -> bool:
    """Whether the category is ``root`` or one of its subcategories."""
    seen = 0
    while category_id is not None and seen < 10:
        if category_id == root:
            return True
        category_id, seen = parents.get(category_id), seen + 1
    return False


def computed_progress(
    metric_key: str,
    lines: Iterable[MonthLine],
    month: str,
    accepted_on: date,
    today: date,
    category_root: UUID | None,
    parents: Mapping[UUID, UUID | None],
) -> Decimal:
    """The progress of a computed metric over the month's lines (transfers never count):

    - ``expense_log_days``: days from acceptance to today holding an expense;
    - ``no_spend_days``: finished days from acceptance holding none;
    - ``category_spend_under``: spent in the category and its subcategories in the month
      (a refund takes its amount back), never below 0;
    - ``savings_amount``: income less expenses in the month;
    - ``transactions_categorized``: transactions of the month with a category.
    """
    first, last = month_bounds(month)
    start, end = max(first, accepted_on), min(last, today)
    own = [line for line in lines if not line.transfer and first <= line.date <= last]
    spent_on = {line.date for line in own if line.amount < 0}
    if metric_key == "expense_log_days":
        return Decimal(sum(1 for day in spent_on if start <= day <= end))
    if metric_key == "no_spend_days":
        days, day = 0, start
        while day <= min(last, today - timedelta(days=1)):
            days += day not in spent_on
            day += timedelta(days=1)
        return Decimal(days)
    if metric_key == "category_spend_under":
        if category_root is None:
            return Decimal(0)
        spent = -sum(
            (line.amount for line in own if under(line.category_id, category_root, parents)),
            Decimal(0),
        )
        return max(spent, Decimal(0))
    if metric_key == "savings_amount":
        return sum((line.amount for line in own), Decimal(0))
    if metric_key == "transactions_categorized":
        return Decimal(len({line.transaction_id for line in own if line.category_id is not None}))
    raise ValueError(f"not a computed metric: {metric_key}")


class Challenge(Tracked):
    class Accepted(Tracked.Created):
        user_id: UUID
        template_id: UUID
        slug: str
        title: str
        metric_key: str
        target_value: Decimal
        unit: str
        reward_points: int
        category_id: UUID | None
        month: str
        accepted_on: date

    @event(Accepted)
    def __init__(
        self,
        workspace_id: UUID,
        user_id: UUID,
        template_id: UUID,
        slug: str,
        title: str,
        metric_key: str,
        target_value: Decimal,
        unit: str,
        reward_points: int,
        category_id: UUID | None,
        month: str,
        accepted_on: date,
    ) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.template_id = template_id
        self.slug = slug
        self.title = title
        self.metric_key = metric_key
        self.target_value = target_value
        self.unit = unit
        self.reward_points = reward_points
        self.category_id = category_id
        self.month = month
        self.accepted_on = accepted_on
        self.progress = Decimal(0)  # reported; computed metrics are read from the ledger
        self.claimed = False

    @classmethod
    def accept(
        cls,
        workspace_id: UUID,
        user_id: UUID,
        template: ChallengeTemplate,
        category_id: UUID | None,
        month: str,
        today: date,
        by: Actor,
    ) -> Challenge:
        first, last = month_bounds(month)
        if last < today:
            raise DomainError("that month is over; accept a challenge for this month", "month")
        if first > month_bounds(_next_month(today))[1]:
            raise DomainError("a challenge is for this month or the next", "month")
        return cls._create(
            cls.Accepted,
            id=challenge_id(workspace_id, user_id, template.id, month),
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            user_id=user_id,
            template_id=template.id,
            slug=template.slug,
            title=template.title,
            metric_key=template.metric_key,
            target_value=template.target_value,
            unit=template.unit,
            reward_points=template.reward_points,
            category_id=category_id,
            month=month,
            accepted_on=max(today, first),
        )

    @property
    def manual(self) -> bool:
        return self.metric_key == "manual"

    def month_over(self, today: date) -> bool:
        return month_bounds(self.month)[1] < today

    class ProgressReported(Tracked.Event):
        current_progress: Decimal

    def report_progress(self, current: int, today: date, by: Actor) -> None:
        if not self.manual:
            raise DomainError(
                f"{self.metric_key} is computed from the ledger; only manual challenges "
                "take reported progress",
                "current_progress",
            )
        if self.claimed:
            raise ConflictError("this challenge is claimed already")
        if self.month_over(today):
            raise DomainError("this challenge's month is over", "current_progress")
        if not 0 <= current <= MAX_MANUAL_PROGRESS:
            raise DomainError(f"from 0 to {MAX_MANUAL_PROGRESS}", "current_progress")
        self._trigger(self.ProgressReported, by, current_progress=Decimal(current))

    @event(ProgressReported)
    def _progress_reported(self, current_progress: Decimal) -> None:
        self.progress = current_progress

    class Claimed(Tracked.Event):
        """The challenge was complete and its reward claimed (``challenge.completed``)."""

        progress: Decimal
        reward_points: int

    def claim(self, progress: Decimal, today: date, by: Actor) -> None:
        """``progress``: the reported one for a manual challenge, else the ledger's."""
        if self.claimed:
            raise ConflictError("this challenge's reward is claimed already")
        if not is_complete(self.metric_key, progress, self.target_value, self.month_over(today)):
            raise DomainError(
                f"not complete: {progress} of {self.target_value} {self.unit}"
                + (" (a limit is kept once its month is over)" if self._is_limit else ""),
                "progress",
            )
        self._trigger(self.Claimed, by, progress=progress, reward_points=self.reward_points)

    @property
    def _is_limit(self) -> bool:
        return self.metric_key == "category_spend_under"

    @event(Claimed)
    def _claimed(self, progress: Decimal, reward_points: int) -> None:
        self.claimed = True
        self.progress = progress


def _next_month(day: date) -> str:
    following = day.replace(day=28) + timedelta(days=4)
    return following.strftime("%Y-%m")

"""A report schedule: a report of each day, week or month, mailed to its recipients once the
period is over. The report_watch process generates and mails them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, InvalidInputError, Tracked
from domain.reporting.periods import Frequency
from domain.reporting.report import CATEGORIES_MAX, RECIPIENTS_MAX


@dataclass(frozen=True)
class ScheduleTerms:
    frequency: Frequency
    format: str
    categories: tuple[str, ...] | None
    include_insights: bool
    delivery_method: str
    recipients: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        found = asdict(self)
        found["frequency"] = self.frequency.value
        return found

    def check(self) -> None:
        if not 1 <= len(self.recipients) <= RECIPIENTS_MAX:
            raise InvalidInputError(f"1 to {RECIPIENTS_MAX} emails", "recipients")
        if self.categories is not None and not 1 <= len(self.categories) <= CATEGORIES_MAX:
            raise InvalidInputError(f"1 to {CATEGORIES_MAX} category ids", "categories")


class ReportSchedule(Tracked):
    workspace_id: UUID

    class Created(Tracked.Created):
        """``starts_on``: the local date it was made on; its first report is of the period
        holding that date."""

        frequency: str
        format: str
        categories: tuple[str, ...] | None
        include_insights: bool
        delivery_method: str
        recipients: tuple[str, ...]
        starts_on: date

    @event(Created)
    def __init__(
        self,
        workspace_id: UUID,
        frequency: str,
        format: str,
        categories: tuple[str, ...] | None,
        include_insights: bool,
        delivery_method: str,
        recipients: tuple[str, ...],
        starts_on: date,
    ) -> None:
        self.workspace_id = workspace_id
        self._apply(
            frequency, format, categories, include_insights, delivery_method, recipients, starts_on
        )
        self.deleted = False

    def _apply(
        self,
        frequency: str,
        format: str,
        categories: tuple[str, ...] | None,
        include_insights: bool,
        delivery_method: str,
        recipients: tuple[str, ...],
        starts_on: date,
    ) -> None:
        self.terms = ScheduleTerms(
            frequency=Frequency(frequency),
            format=format,
            categories=None if categories is None else tuple(categories),
            include_insights=include_insights,
            delivery_method=delivery_method,
            recipients=tuple(recipients),
        )
        self.starts_on = starts_on

    @classmethod
    def create(
        cls,
        schedule_id: UUID,
        workspace_id: UUID,
        terms: ScheduleTerms,
        starts_on: date,
        by: Actor,
    ) -> ReportSchedule:
        terms.check()
        return cls._create(
            cls.Created,
            id=schedule_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            starts_on=starts_on,
            **terms.fields(),
        )

    class Changed(Tracked.Event):
        """The terms as they are now; a new frequency starts on the day it was changed."""

        frequency: str
        format: str
        categories: tuple[str, ...] | None
        include_insights: bool
        delivery_method: str
        recipients: tuple[str, ...]
        starts_on: date

    def change(self, terms: ScheduleTerms, today: date, by: Actor) -> None:
        terms.check()
        if terms == self.terms:
            return
        starts_on = today if terms.frequency is not self.terms.frequency else self.starts_on
        self._trigger(self.Changed, by, starts_on=starts_on, **terms.fields())

    @event(Changed)
    def _changed(
        self,
        frequency: str,
        format: str,
        categories: tuple[str, ...] | None,
        include_insights: bool,
        delivery_method: str,
        recipients: tuple[str, ...],
        starts_on: date,
    ) -> None:
        self._apply(
            frequency, format, categories, include_insights, delivery_method, recipients, starts_on
        )

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        if not self.deleted:
            self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

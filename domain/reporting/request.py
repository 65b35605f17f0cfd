"""A report asked for: what it should cover, until the report_watch process makes it (the
report, ``ReportGenerated``, under ``report_id``) or records why it could not (``Failed``).

The command API records the request and waits for the outcome on the reports read model;
the watch, which may read the read models, computes the figures and draws the file. The
report's id is fixed by the request, so a watch that handles a request twice (a restart
before its position committed) finds the report made and records nothing more.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id
from domain.reporting.periods import ReportPeriod

DETAIL_MAX = 500  # a failure's detail as recorded


def requested_report_id(request_id: UUID) -> UUID:
    return natural_id("requested-report", request_id)


def run_mailing_id(report_id: UUID) -> UUID:
    """The mailing of a report made by a schedule's run to the schedule's recipients."""
    return natural_id("report-run-mailing", report_id)


class ReportRequest(Tracked):
    workspace_id: UUID

    class Made(Tracked.Created):
        """``ReportRequestMade`` in prose. ``recipients``: mailed the report once it is made
        (a schedule's run); none for ``POST …/reports``."""

        report_id: UUID
        period: str
        start_date: date
        end_date: date
        format: str
        category_ids: tuple[str, ...] | None
        include_insights: bool
        title: str | None
        schedule_id: UUID | None
        recipients: tuple[str, ...]

    @event(Made)
    def __init__(
        self,
        workspace_id: UUID,
        report_id: UUID,
        period: str,
        start_date: date,
        end_date: date,
        format: str,
        category_ids: tuple[str, ...] | None,
        include_insights: bool,
        title: str | None,
        schedule_id: UUID | None,
        recipients: tuple[str, ...],
    ) -> None:
        self.workspace_id = workspace_id
        self.report_id = report_id
        self.period = ReportPeriod(period, start_date, end_date)
        self.format = format
        self.category_ids = category_ids
        self.include_insights = include_insights
        self.title = title
        self.schedule_id = schedule_id
        self.recipients = tuple(recipients)
        self.failed = False

    @classmethod
    def make(
        cls,
        request_id: UUID,
        workspace_id: UUID,
        period: ReportPeriod,
        terms: dict[str, object],
        by: Actor,
    ) -> ReportRequest:
        """``terms``: format, category_ids, include_insights, title, schedule_id, recipients."""
        return cls._create(
            cls.Made,
            id=request_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            report_id=requested_report_id(request_id),
            period=period.label,
            start_date=period.start,
            end_date=period.end,
            **terms,
        )

    class Failed(Tracked.Event):
        """``ReportRequestFailed``: no report was made; ``code`` says why (``NO_DATA_FOUND``:
        the period holds no transaction)."""

        report_id: UUID
        code: str
        detail: str

    def fail(self, code: str, detail: str, by: Actor) -> None:
        if not self.failed:
            self._trigger(
                self.Failed, by, report_id=self.report_id, code=code, detail=detail[:DETAIL_MAX]
            )

    @event(Failed)
    def _failed(self, report_id: UUID, code: str, detail: str) -> None:
        self.failed = True

"""The Reporting application: reports asked for and generated, their mailings, and report
schedules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    NotFoundError,
    check_version,
    natural_id,
)
from domain.reporting.periods import ReportPeriod
from domain.reporting.report import Report
from domain.reporting.request import ReportRequest
from domain.reporting.schedule import ReportSchedule, ScheduleTerms

# The report_watch process is the actor of the scheduled reports it generates and mails.
REPORT_WATCH_ACTOR_ID = natural_id("process", "report_watch")


class Reporting(CentsourceApplication):
    def generate(
        self,
        report_id: UUID,
        workspace_id: UUID,
        period: ReportPeriod,
        figures: dict[str, Any],
        files: dict[str, Any],
        by: Actor,
    ) -> tuple[Report, int]:
        """A report already recorded under this id (a retry, a second scheduler) answers
        as it was, with position 0: nothing new was recorded."""
        found = self.find(Report, report_id)
        if found is not None and found.workspace_id == workspace_id:
            return found, 0
        report = Report.generate(report_id, workspace_id, period, figures, files, by)
        return report, self.save_all(report)

    def find_report(self, workspace_id: UUID, report_id: UUID) -> Report | None:
        found = self.find(Report, report_id)
        return found if found is not None and found.workspace_id == workspace_id else None

    def get_report(self, workspace_id: UUID, report_id: UUID) -> Report:
        found = self.find_report(workspace_id, report_id)
        if found is None:
            raise NotFoundError("no such report")
        return found

    def request_report(
        self,
        request_id: UUID,
        workspace_id: UUID,
        period: ReportPeriod,
        terms: dict[str, Any],
        by: Actor,
    ) -> tuple[ReportRequest, int]:
        """Records what is asked for; the report_watch process makes the report. A request
        already recorded under this id (a retry) answers as it was, with position 0."""
        found = self.find(ReportRequest, request_id)
        if found is not None and found.workspace_id == workspace_id:
            return found, 0
        request = ReportRequest.make(request_id, workspace_id, period, terms, by)
        return request, self.save_all(request)

    def find_request(self, workspace_id: UUID, request_id: UUID) -> ReportRequest | None:
        found = self.find(ReportRequest, request_id)
        return found if found is not None and found.workspace_id == workspace_id else None

    def fail_request(
        self, workspace_id: UUID, request_id: UUID, code: str, detail: str, by: Actor
    ) -> int:
        """Once: a request failed before (a replay) records nothing more."""
        request = self.find_request(workspace_id, request_id)
        if request is None:
            raise NotFoundError("no such report request")
        request.fail(code, detail, by)
        return self.save_all(request)

    def request_email(
        self,
        workspace_id: UUID,
        report_id: UUID,
        mailing_id: UUID,
        recipients: tuple[str, ...],
        subject: str | None,
        message: str | None,
        by: Actor,
    ) -> int:
        return self._retrying(
            workspace_id,
            report_id,
            lambda report: report.request_email(mailing_id, recipients, subject, message, by),
        )

    def record_emailed(
        self,
        workspace_id: UUID,
        report_id: UUID,
        recipients: tuple[str, ...],
        subject: str,
        by: Actor,
        mailing_id: UUID | None = None,
        failed: tuple[str, ...] = (),
    ) -> int:
        """Two senders recording at once (two watches, each with its own recipients) both
        keep theirs: the one that loses the race reloads and records again. A mailing
        answered before (a replay) records nothing more."""
        return self._retrying(
            workspace_id,
            report_id,
            lambda report: report.record_emailed(recipients, subject, by, mailing_id, failed),
        )

    def record_email_failed(
        self,
        workspace_id: UUID,
        report_id: UUID,
        mailing_id: UUID,
        recipients: tuple[str, ...],
        code: str,
        detail: str,
        by: Actor,
    ) -> int:
        return self._retrying(
            workspace_id,
            report_id,
            lambda report: report.record_email_failed(mailing_id, recipients, code, detail, by),
        )

    def _retrying(
        self, workspace_id: UUID, report_id: UUID, change: Callable[[Report], None]
    ) -> int:
        for attempt in range(3):
            report = self.get_report(workspace_id, report_id)
            change(report)
            try:
                return self.save_all(report)
            except ConflictError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def create_schedule(
        self,
        schedule_id: UUID,
        workspace_id: UUID,
        terms: ScheduleTerms,
        starts_on: date,
        by: Actor,
    ) -> tuple[ReportSchedule, int]:
        existing = self.find(ReportSchedule, schedule_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0  # a retry of the same idempotent command
        schedule = ReportSchedule.create(schedule_id, workspace_id, terms, starts_on, by)
        return schedule, self.save_all(schedule)

    def get_schedule(
        self, workspace_id: UUID, schedule_id: UUID, expected_version: int | None = None
    ) -> ReportSchedule:
        schedule = self.find(ReportSchedule, schedule_id)
        if schedule is None or schedule.workspace_id != workspace_id or schedule.deleted:
            raise NotFoundError("no such report schedule")
        check_version(schedule, expected_version)
        return schedule

    def save_schedule(self, schedule: ReportSchedule) -> tuple[ReportSchedule, int]:
        return schedule, self.save_all(schedule)

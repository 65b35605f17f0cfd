"""A report: a period's figures as they were when it was generated, never changed after.

The figures (summary, budget against actual, top merchants, the monthly trend, insights and
recommendations) are computed from the read models by ``projections/reports`` and recorded
here whole, with the log position they were computed at, so a report can be read back and
checked later exactly as it was sent. The file (the PDF, or a json report's JSON) and the
charts are kept by their SHA-256.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, InvalidInputError, Tracked, natural_id
from domain.reporting.periods import ReportPeriod

CATEGORIES_MAX = 50
RECIPIENTS_MAX = 20
CHARTS = ("monthly_trend", "category_breakdown")


class Format:
    PDF = "pdf"
    JSON = "json"


MEDIA_TYPES = {Format.PDF: "application/pdf", Format.JSON: "application/json"}


def file_name(title: str, report_format: str) -> str:
    """``Report for Q3 2026`` → ``report-for-q3-2026.pdf``: ASCII letters, digits, dashes."""
    words = "".join(ch.lower() if ch.isascii() and ch.isalnum() else " " for ch in title).split()
    return f"{'-'.join(words)[:80] or 'report'}.{report_format}"


class NoDataFoundError(DomainError):
    """The period holds no transaction: there is nothing to report (422, NO_DATA_FOUND)."""

    code = "NO_DATA_FOUND"


def check_has_data(period: ReportPeriod, transaction_count: int) -> None:
    if transaction_count == 0:
        raise NoDataFoundError(f"no transactions from {period.start} to {period.end}", "period")


def scheduled_report_id(schedule_id: UUID, period: ReportPeriod) -> UUID:
    """A schedule's report of one period: one id, so a restart, a second scheduler or a replay
    records it once (the event store refuses a second)."""
    return natural_id("scheduled-report", schedule_id, period.label)


class Report(Tracked):
    workspace_id: UUID

    class Generated(Tracked.Created):
        """``ReportGenerated`` in prose: what the report says, and where in the log it was
        computed (``computed_at``)."""

        title: str
        period: str
        start_date: date
        end_date: date
        format: str
        category_ids: tuple[str, ...] | None
        include_insights: bool
        currency: str
        summary: dict[str, Any]
        budgets: tuple[dict[str, Any], ...]
        top_merchants: tuple[dict[str, Any], ...]
        monthly_trend: tuple[dict[str, Any], ...]
        insights: tuple[dict[str, Any], ...]
        recommendations: tuple[str, ...]
        computed_at: int
        file_sha256: str  # the PDF, or the JSON file of a json report
        file_size: int
        charts: dict[str, str]  # chart name -> SHA-256 of its PNG
        schedule_id: UUID | None

    @event(Generated)
    def __init__(
        self,
        workspace_id: UUID,
        title: str,
        period: str,
        start_date: date,
        end_date: date,
        format: str,
        category_ids: tuple[str, ...] | None,
        include_insights: bool,
        currency: str,
        summary: dict[str, Any],
        budgets: tuple[dict[str, Any], ...],
        top_merchants: tuple[dict[str, Any], ...],
        monthly_trend: tuple[dict[str, Any], ...],
        insights: tuple[dict[str, Any], ...],
        recommendations: tuple[str, ...],
        computed_at: int,
        file_sha256: str,
        file_size: int,
        charts: dict[str, str],
        schedule_id: UUID | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.title = title
        self.period, self.start_date, self.end_date = period, start_date, end_date
        self.format = format
        self.category_ids = category_ids
        self.include_insights = include_insights
        self.currency = currency
        self.summary = summary
        self.budgets = budgets
        self.top_merchants = top_merchants
        self.monthly_trend = monthly_trend
        self.insights = insights
        self.recommendations = recommendations
        self.computed_at = computed_at
        self.file_sha256, self.file_size = file_sha256, file_size
        self.charts = charts
        self.schedule_id = schedule_id
        self.emailed_to: list[str] = []
        self.mailings_asked: set[UUID] = set()
        self.mailings: set[UUID] = set()  # the mailings asked for that were answered

    @classmethod
    def generate(
        cls,
        report_id: UUID,
        workspace_id: UUID,
        period: ReportPeriod,
        figures: dict[str, Any],
        files: dict[str, Any],
        by: Actor,
    ) -> Report:
        """``figures``: title, format, category_ids, include_insights, currency, summary,
        budgets, top_merchants, monthly_trend, insights, recommendations, computed_at;
        ``files``: file_sha256, file_size, charts, schedule_id."""
        check_has_data(period, int(figures["summary"]["transaction_count"]))
        return cls._create(
            cls.Generated,
            id=report_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            period=period.label,
            start_date=period.start,
            end_date=period.end,
            **figures,
            **files,
        )

    class EmailRequested(Tracked.Event):
        """``POST …/reports/{id}/email``: the report_watch process mails the file, attached,
        to each recipient, and records the outcome under ``mailing_id``."""

        mailing_id: UUID
        recipients: tuple[str, ...]
        subject: str
        message: str | None

    def request_email(
        self,
        mailing_id: UUID,
        recipients: tuple[str, ...],
        subject: str | None,
        message: str | None,
        by: Actor,
    ) -> None:
        if not 1 <= len(recipients) <= RECIPIENTS_MAX:
            raise InvalidInputError(f"1 to {RECIPIENTS_MAX} emails", "recipients")
        if mailing_id in self.mailings_asked:
            return  # a retry of the same request
        self._trigger(
            self.EmailRequested,
            by,
            mailing_id=mailing_id,
            recipients=recipients,
            subject=subject or self.title,
            message=message,
        )

    @event(EmailRequested)
    def _email_requested(
        self, mailing_id: UUID, recipients: tuple[str, ...], subject: str, message: str | None
    ) -> None:
        self.mailings_asked = {*self.mailings_asked, mailing_id}

    class Emailed(Tracked.Event):
        """The file went out by mail, attached, to these recipients; ``failed``: those the
        mail server did not take; ``mailing_id``: the request answered (none for a
        schedule's period report)."""

        class_version = 2

        recipients: tuple[str, ...]
        subject: str
        mailing_id: UUID | None
        failed: tuple[str, ...]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["mailing_id"] = None
            state["failed"] = ()

    def record_emailed(
        self,
        recipients: tuple[str, ...],
        subject: str,
        by: Actor,
        mailing_id: UUID | None = None,
        failed: tuple[str, ...] = (),
    ) -> None:
        if mailing_id is None or mailing_id not in self.mailings:
            self._trigger(
                self.Emailed,
                by,
                recipients=recipients,
                subject=subject,
                mailing_id=mailing_id,
                failed=failed,
            )

    @event(Emailed)
    def _emailed(
        self,
        recipients: tuple[str, ...],
        subject: str,
        mailing_id: UUID | None,
        failed: tuple[str, ...],
    ) -> None:
        self.emailed_to = [*self.emailed_to, *recipients]
        if mailing_id is not None:
            self.mailings = {*self.mailings, mailing_id}

    class EmailFailed(Tracked.Event):
        """A requested mailing sent nothing: ``code`` NOT_TAKEN (the mail server took none
        of ``recipients``) or FILE_MISSING (the file is gone from the attachments store)."""

        mailing_id: UUID
        recipients: tuple[str, ...]
        code: str
        detail: str

    def record_email_failed(
        self, mailing_id: UUID, recipients: tuple[str, ...], code: str, detail: str, by: Actor
    ) -> None:
        if mailing_id not in self.mailings:
            self._trigger(
                self.EmailFailed,
                by,
                mailing_id=mailing_id,
                recipients=recipients,
                code=code,
                detail=detail[:500],
            )

    @event(EmailFailed)
    def _email_failed(
        self, mailing_id: UUID, recipients: tuple[str, ...], code: str, detail: str
    ) -> None:
        self.mailings = {*self.mailings, mailing_id}

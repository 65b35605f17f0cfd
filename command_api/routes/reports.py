"""Reports: generate one for a period, mail one; report schedules: create, change, delete, run.

A report is computed from the read models, which the command API does not read: the command
records what is asked for (``ReportRequestMade``, ``ReportEmailRequested``), the report_watch
process makes the report or sends the mail and records how it went, and the command answers
once the reports read model holds that outcome (``command_api/report_index.py``).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Request, delete, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api import report_index
from command_api.access import Access
from command_api.context import new_id
from command_api.routes.auth import Email
from command_api.routes.ledger import IfMatch, _version
from domain.base import Actor, DomainError, NotFoundError, normalize_email
from domain.ledger.application import Ledger
from domain.reporting.application import Reporting
from domain.reporting.periods import (
    Frequency,
    ReportPeriod,
    local_today,
    named_period,
    next_run_at,
    period_holding,
    range_period,
)
from domain.reporting.report import (
    CATEGORIES_MAX,
    MEDIA_TYPES,
    RECIPIENTS_MAX,
    NoDataFoundError,
    Report,
)
from domain.reporting.request import requested_report_id, run_mailing_id
from domain.reporting.schedule import ReportSchedule, ScheduleTerms
from domain.workspaces.application import Workspaces
from infra.tokens import Principal

READS = "/api/workspaces/{}/reports/{}"
Categories = Annotated[list[UUID], Meta(min_length=1, max_length=CATEGORIES_MAX)]
Recipients = Annotated[list[Email], Meta(min_length=1, max_length=RECIPIENTS_MAX)]
ReportFormat = Literal["pdf", "json"]


def provide_reporting(request: Request[Any, Any, State]) -> Reporting:
    reporting: Reporting = request.app.state.reporting
    return reporting


class PeriodRange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    start: date = msgspec.field(name="from")
    end: date = msgspec.field(name="to")


class GenerateReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``period``: a month (``2026-10``), a quarter (``Q3-2026``), a year (``2026``) or
    ``{"from": …, "to": …}`` (both included, at most three years); ``categories``: only
    these categories and their subcategories are counted."""

    period: Annotated[str, Meta(max_length=7)] | PeriodRange
    format: ReportFormat = "pdf"
    categories: Categories | None = None
    include_insights: bool = True
    title: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")] | None = None


class ReportOut(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    period: str
    start_date: date
    end_date: date
    format: str
    category_ids: list[UUID] | None
    include_insights: bool
    currency: str
    summary: dict[str, Any]
    budgets: list[dict[str, Any]]
    top_merchants: list[dict[str, Any]]
    monthly_trend: list[dict[str, Any]]
    insights: list[dict[str, Any]]
    recommendations: list[str]
    computed_at: int
    charts: dict[str, str]  # each chart's path on the read API
    file: str  # the file's path on the read API
    media_type: str
    file_size: int
    sha256: str
    schedule_id: UUID | None
    generated_at: datetime
    position: int


class EmailReport(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    recipients: Recipients
    subject: Annotated[str, Meta(min_length=1, max_length=200, pattern=r"\S")] | None = None
    message: Annotated[str, Meta(max_length=5000)] | None = None


class Emailed(msgspec.Struct, kw_only=True):
    id: UUID
    sent: list[str]
    failed: list[str]
    position: int


class CreateReportSchedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A report of each ``daily``, ``weekly`` (from the workspace's first weekday) or
    ``monthly`` period, mailed to ``recipients`` once the period is over, starting with the
    period holding today."""

    frequency: Frequency
    format: ReportFormat = "pdf"
    categories: Categories | None = None
    include_insights: bool = True
    delivery_method: Literal["email"] = "email"
    recipients: Recipients


class ChangeReportSchedule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change; ``categories: null`` counts every category again."""

    frequency: Frequency | UnsetType = UNSET
    format: ReportFormat | UnsetType = UNSET
    categories: Categories | UnsetType | None = UNSET
    include_insights: bool | UnsetType = UNSET
    delivery_method: Literal["email"] | UnsetType = UNSET
    recipients: Recipients | UnsetType = UNSET


class ReportScheduleOut(msgspec.Struct, kw_only=True):
    id: UUID
    frequency: str
    format: str
    categories: list[UUID] | None
    include_insights: bool
    delivery_method: str
    recipients: list[str]
    starts_on: date
    next_run_at: datetime
    version: int
    position: int


class Removed(msgspec.Struct, kw_only=True):
    id: UUID
    position: int


class ScheduleRun(msgspec.Struct, kw_only=True):
    report: ReportOut
    sent: list[str]
    failed: list[str]
    position: int


def _recipients(emails: list[str]) -> tuple[str, ...]:
    """Each address once (as compared: case-folded), in the order sent."""
    return tuple(dict.fromkeys(normalize_email(e) for e in emails))


def _check_categories(
    ledger: Ledger, workspace_id: UUID, categories: list[UUID] | None, actor: Actor
) -> None:
    """Another workspace's category is not found here (404), like any other of its ids."""
    if not categories:
        return
    known = ledger.categories(workspace_id, actor).categories
    if any(c not in known for c in categories):
        raise NotFoundError("no such category", "categories")


class ReportsController(Controller):
    path = "/api/workspaces/{workspace_id:uuid}"
    tags = ["reports"]
    opt = {"access": Access.ADMIN}  # every route here: the workspace's ADMINs

    @post("/reports", status_code=201)
    async def generate_report(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[GenerateReport],
        reporting: NamedDependency[Reporting],
        ledger: NamedDependency[Ledger],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> ReportOut:
        """Computes the period's report from the ledger and records it (``ReportGenerated``)
        with the log position it was computed at; its file (the PDF, or the report as JSON)
        and charts are kept by SHA-256 and served by the read API. A period without a
        transaction is a 422 with ``code: NO_DATA_FOUND``."""
        if isinstance(data.period, str):
            period = named_period(data.period)
        else:
            period = range_period(data.period.start, data.period.end)
        await asyncio.to_thread(_check_categories, ledger, workspace_id, data.categories, actor)
        terms = {
            "format": data.format,
            "category_ids": None
            if data.categories is None
            else tuple(str(c) for c in data.categories),
            "include_insights": data.include_insights,
            "title": data.title,
            "schedule_id": None,
            "recipients": (),
        }
        request_id = new_id(request, principal, "report")
        report, position = await _made(
            request, reporting, workspace_id, request_id, period, terms, actor
        )
        return report_out(report, position)

    @post("/reports/{report_id:uuid}/email", status_code=200)
    async def email_report(
        self,
        workspace_id: FromPath[UUID],
        report_id: FromPath[UUID],
        data: JSONBody[EmailReport],
        reporting: NamedDependency[Reporting],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> Emailed:
        """Mails the report's file, attached, to each recipient (at most 20; each once),
        through SMTP when configured, else the dev mailbox; ``subject`` is the report's title
        by default, ``message`` comes before the summary. Recorded as an event naming those it
        was handed over for; when none was, 503."""
        mailing_id = new_id(request, principal, "report-mailing")
        await asyncio.to_thread(
            reporting.request_email,
            workspace_id,
            report_id,
            mailing_id,
            _recipients(data.recipients),
            data.subject,
            data.message,
            actor,
        )
        mailed = await report_index.outcome(request.app.state.pool, workspace_id, mailing_id)
        if mailed.outcome != "emailed":
            if mailed.code == "FILE_MISSING":
                raise NotFoundError(mailed.detail or "the report's file is missing")
            raise MailNotSentError("the mail server did not take the mail; retry later")
        return Emailed(
            id=report_id, sent=mailed.sent, failed=mailed.failed, position=mailed.position
        )

    @post("/report-schedules", status_code=201)
    async def create_report_schedule(
        self,
        workspace_id: FromPath[UUID],
        data: JSONBody[CreateReportSchedule],
        reporting: NamedDependency[Reporting],
        ledger: NamedDependency[Ledger],
        workspaces: NamedDependency[Workspaces],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> ReportScheduleOut:
        """``next_run_at``: when the period holding now (in the workspace's time zone) is
        over, and its report is made and mailed."""
        await asyncio.to_thread(_check_categories, ledger, workspace_id, data.categories, actor)
        workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
        terms = ScheduleTerms(
            frequency=data.frequency,
            format=data.format,
            categories=None if data.categories is None else tuple(map(str, data.categories)),
            include_insights=data.include_insights,
            delivery_method=data.delivery_method,
            recipients=_recipients(data.recipients),
        )
        schedule, position = await asyncio.to_thread(
            reporting.create_schedule,
            new_id(request, principal, "report-schedule"),
            workspace_id,
            terms,
            local_today(datetime.now(UTC), workspace.timezone),
            actor,
        )
        return _schedule_out(schedule, workspace.timezone, workspace.week_start, position)

    @patch("/report-schedules/{schedule_id:uuid}")
    async def change_report_schedule(
        self,
        workspace_id: FromPath[UUID],
        schedule_id: FromPath[UUID],
        data: JSONBody[ChangeReportSchedule],
        reporting: NamedDependency[Reporting],
        ledger: NamedDependency[Ledger],
        workspaces: NamedDependency[Workspaces],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> ReportScheduleOut:
        """``If-Match: <version>``: a schedule changed since is not changed (412). A new
        frequency starts with the period holding today."""
        sent = {
            name: value
            for name, value in msgspec.structs.asdict(data).items()
            if value is not UNSET
        }
        if sent.get("categories"):
            await asyncio.to_thread(
                _check_categories, ledger, workspace_id, sent["categories"], actor
            )
            sent["categories"] = tuple(map(str, sent["categories"]))
        if "recipients" in sent:
            sent["recipients"] = _recipients(sent["recipients"])
        workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
        today = local_today(datetime.now(UTC), workspace.timezone)

        def change() -> tuple[ReportSchedule, int]:
            schedule = reporting.get_schedule(workspace_id, schedule_id, _version(if_match))
            schedule.change(replace(schedule.terms, **sent), today, actor)
            return reporting.save_schedule(schedule)

        schedule, position = await asyncio.to_thread(change)
        return _schedule_out(schedule, workspace.timezone, workspace.week_start, position)

    @delete("/report-schedules/{schedule_id:uuid}", status_code=200)
    async def delete_report_schedule(
        self,
        workspace_id: FromPath[UUID],
        schedule_id: FromPath[UUID],
        reporting: NamedDependency[Reporting],
        actor: NamedDependency[Actor],
        if_match: IfMatch = None,
    ) -> Removed:
        """Soft: its events and its reports stay; it sends nothing more."""

        def remove() -> int:
            schedule = reporting.get_schedule(workspace_id, schedule_id, _version(if_match))
            schedule.delete(actor)
            return reporting.save_schedule(schedule)[1]

        return Removed(id=schedule_id, position=await asyncio.to_thread(remove))

    @post("/report-schedules/{schedule_id:uuid}/run", status_code=201)
    async def run_report_schedule(
        self,
        workspace_id: FromPath[UUID],
        schedule_id: FromPath[UUID],
        reporting: NamedDependency[Reporting],
        workspaces: NamedDependency[Workspaces],
        principal: NamedDependency[Principal],
        actor: NamedDependency[Actor],
        request: Request[Any, Any, State],
    ) -> ScheduleRun:
        """Makes the schedule's report of its current period so far (this day, week or
        month up to today) now, and mails it to its recipients; the period's own report still
        goes out once the period is over. No transaction so far is a 422 NO_DATA_FOUND."""
        schedule = await asyncio.to_thread(reporting.get_schedule, workspace_id, schedule_id)
        workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
        today = local_today(datetime.now(UTC), workspace.timezone)
        current = period_holding(schedule.terms.frequency, today, workspace.week_start)
        period = range_period(current.start, today) if current.end > today else current
        request_id = (
            uuid4()
            if request.headers.get("idempotency-key") is None
            else new_id(request, principal, "report-run")
        )
        report, position = await _made(
            request,
            reporting,
            workspace_id,
            request_id,
            period,
            scheduled_terms(schedule),
            actor,
        )
        mailed = await report_index.outcome(
            request.app.state.pool, workspace_id, run_mailing_id(report.id)
        )
        position = max(position, mailed.position)
        return ScheduleRun(
            report=report_out(report, position),
            sent=mailed.sent,
            failed=mailed.failed,
            position=position,
        )


async def _made(
    request: Request[Any, Any, State],
    reporting: Reporting,
    workspace_id: UUID,
    request_id: UUID,
    period: ReportPeriod,
    terms: dict[str, Any],
    actor: Actor,
) -> tuple[Report, int]:
    """Records the request, waits for the report watch to make it, and answers the report
    and the position of its ``ReportGenerated``; a period without a transaction is 422."""
    await asyncio.to_thread(
        reporting.request_report, request_id, workspace_id, period, terms, actor
    )
    report_id = requested_report_id(request_id)
    made = await report_index.outcome(request.app.state.pool, workspace_id, report_id)
    if made.outcome == "failed":
        if made.code == NoDataFoundError.code:
            raise NoDataFoundError(made.detail or "no transactions in the period", "period")
        raise ReportNotMadeError(made.detail or "the report was not made")
    report = await asyncio.to_thread(reporting.get_report, workspace_id, report_id)
    return report, made.position


class MailNotSentError(DomainError):
    status = 503


class ReportNotMadeError(DomainError):
    code = "NOT_GENERATED"


def scheduled_terms(schedule: ReportSchedule) -> dict[str, Any]:
    """A schedule's run: its terms, mailed to its recipients once made."""
    terms = schedule.terms
    return {
        "format": terms.format,
        "category_ids": terms.categories,
        "include_insights": terms.include_insights,
        "title": None,
        "schedule_id": schedule.id,
        "recipients": terms.recipients,
    }


def report_out(report: Report, position: int) -> ReportOut:
    path = READS.format(report.workspace_id, report.id)
    return ReportOut(
        id=report.id,
        title=report.title,
        period=report.period,
        start_date=report.start_date,
        end_date=report.end_date,
        format=report.format,
        category_ids=None
        if report.category_ids is None
        else [UUID(c) for c in report.category_ids],
        include_insights=report.include_insights,
        currency=report.currency,
        summary=report.summary,
        budgets=list(report.budgets),
        top_merchants=list(report.top_merchants),
        monthly_trend=list(report.monthly_trend),
        insights=list(report.insights),
        recommendations=list(report.recommendations),
        computed_at=report.computed_at,
        charts={name: f"{path}/charts/{name}.png" for name in report.charts},
        file=f"{path}/file",
        media_type=MEDIA_TYPES[report.format],
        file_size=report.file_size,
        sha256=report.file_sha256,
        schedule_id=report.schedule_id,
        generated_at=report.created_on,
        position=position,
    )


def _schedule_out(
    schedule: ReportSchedule, zone: str, week_start: str, position: int
) -> ReportScheduleOut:
    terms = schedule.terms
    return ReportScheduleOut(
        id=schedule.id,
        frequency=terms.frequency.value,
        format=terms.format,
        categories=None if terms.categories is None else [UUID(c) for c in terms.categories],
        include_insights=terms.include_insights,
        delivery_method=terms.delivery_method,
        recipients=list(terms.recipients),
        starts_on=schedule.starts_on,
        next_run_at=next_run_at(terms.frequency, datetime.now(UTC), zone, week_start),
        version=schedule.version,
        position=position,
    )

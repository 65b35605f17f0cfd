"""Follows report schedules; makes each period's report once the period is over and mails it
to the schedule's recipients, once.

A process manager, not a read model: it is never rebuilt. It keeps, per schedule, its
frequency, the day it starts on and the last day of the last period it reported on
(``checked_through``). Whenever it has caught up with the log (and at least every
``IDLE_RECHECK_SECONDS``) it asks, by its clock in each workspace's time zone, for the latest
period that is over; after a pause, that one only, not every period missed.

Exactly once: the report's id derives from the schedule and the period, so the event store
takes one ``ReportGenerated`` for it whatever restarts, replays or runs beside it; each
recipient's mail is claimed in ``report_watch_deliveries`` before it is sent, so only one
watch sends it. A mail the server refuses gives its claim back and is tried at the next look;
a crash between claiming and sending loses that mail rather than sending it twice. A period
without a transaction makes no report and sends nothing.

It also makes the reports the command API records as asked for (``ReportRequestMade``:
``POST …/reports``, ``…/report-schedules/{id}/run``) and mails those asked to be mailed
(``ReportEmailRequested``), as the command API may not compute from the read models. The
report's id is fixed by the request, so a request handled twice (a restart before the
watch's position committed) records nothing more; a period without a transaction is recorded
as ``ReportRequestFailed`` with code NO_DATA_FOUND. Each recipient of a mailing is claimed in
``report_watch_mailings`` before it is sent, and only the watch that claimed them records how
the mailing went (``ReportEmailed`` or ``ReportEmailFailed``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import structlog

from domain.base import Actor, ConflictError, DomainError, NotFoundError
from domain.reporting.application import REPORT_WATCH_ACTOR_ID, Reporting
from domain.reporting.periods import ReportPeriod, frequency_of, last_complete, local_today
from domain.reporting.report import NoDataFoundError, Report, scheduled_report_id
from domain.reporting.request import ReportRequest, run_mailing_id
from domain.reporting.schedule import ReportSchedule
from infra.blobs import Blobs, blobs_for
from infra.database import async_pool, event_store_env
from infra.mail import DevMailbox, Mailer, SmtpMailer
from infra.settings import Settings
from projections.decoding import storable
from projections.reports.delivery import mail_report
from projections.reports.generation import ReportTerms, generate_report
from projections.runtime import Cursor, Projection, handles, open_connection

log = structlog.get_logger("report_watch")
TABLES = (
    """CREATE TABLE IF NOT EXISTS report_watch (
        schedule_id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        frequency text NOT NULL,
        starts_on date NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        checked_through date
    )""",
    """CREATE TABLE IF NOT EXISTS report_watch_deliveries (
        report_id uuid NOT NULL,
        recipient text NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        PRIMARY KEY (report_id, recipient)
    )""",
    """CREATE TABLE IF NOT EXISTS report_watch_mailings (
        mailing_id uuid NOT NULL,
        recipient text NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        PRIMARY KEY (mailing_id, recipient)
    )""",
)
# What a request's generation may refuse: recorded as the request's failure, so one request
# cannot stop the watch (its terms come from the log, which a hostile writer may have filled).
REFUSALS = (DomainError, ValueError, ArithmeticError)


class ReportWatch(Projection):
    name = "report_watch"
    tables = TABLES

    def __init__(
        self, settings: Settings, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.reporting: Reporting | None = None
        self.conn: Any = None
        self.pool: Any = None
        self.blobs: Blobs | None = None
        self.mailer: Mailer | None = None
        self.asked: list[Any] = []  # the batch's requests, made once it is handled

    @handles(ReportSchedule.Created, ReportSchedule.Changed)
    async def on_schedule_set(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO report_watch (schedule_id, workspace_id, frequency, starts_on) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (schedule_id) DO UPDATE SET "
            "frequency = excluded.frequency, starts_on = excluded.starts_on",
            (event.originator_id, event.workspace_id, event.frequency, event.starts_on),
        )

    @handles(ReportSchedule.Deleted)
    async def on_schedule_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE report_watch SET deleted = true WHERE schedule_id = %s",
            (event.originator_id,),
        )

    async def before_batch(self) -> None:
        self.asked.clear()

    @handles(ReportRequest.Made, Report.EmailRequested)
    async def on_asked(self, cur: Cursor, event: Any, position: int) -> None:
        self.asked.append(event)

    async def after_batch(self) -> None:
        """Makes and mails what the batch asked for, in its order, before its position
        commits: a crash here has the next run do it again, which records nothing twice."""
        if not self.asked:
            return
        await self._connect()
        await self._open()
        for event in self.asked:
            if isinstance(event, ReportRequest.Made):
                await self.make(event)
            else:
                await self.mail_requested(event)
        self.asked.clear()

    async def make(self, event: ReportRequest.Made) -> None:
        """The report asked for, or the request's failure; then its mailing, if asked."""
        assert self.reporting is not None
        assert self.blobs is not None
        by = Actor(event.actor_id, event.correlation_id)
        workspace_id, request_id = event.workspace_id, event.originator_id
        if workspace_id is None:
            return  # nothing a command records
        request = await asyncio.to_thread(self.reporting.find_request, workspace_id, request_id)
        if request is None or request.failed:
            return  # failed before: handled twice
        # The terms as the event holds them, made storable (the aggregate's may not be).
        try:
            wanted = ReportTerms(
                period=ReportPeriod(event.period, event.start_date, event.end_date),
                format=event.format,
                categories=None
                if event.category_ids is None
                else [UUID(c) for c in event.category_ids],
                include_insights=event.include_insights,
                title=event.title,
                schedule_id=event.schedule_id,
            )
            report, _ = await generate_report(
                self.pool, self.blobs, self.reporting, event.report_id, workspace_id, wanted, by
            )
        except ConflictError:  # read models behind, or recorded by a run before this one
            found = await asyncio.to_thread(
                self.reporting.find_report, workspace_id, event.report_id
            )
            if found is None:
                raise  # the batch is tried again
            report = found
        except REFUSALS as refused:
            code = getattr(refused, "code", None) or "NOT_GENERATED"
            detail = storable(getattr(refused, "detail", None) or "the report was not made")
            await asyncio.to_thread(
                self.reporting.fail_request, workspace_id, request_id, code, detail, by
            )
            log.info("report not made", request_id=str(request_id), code=code)
            return
        if event.recipients:
            await self.mail_once(
                report,
                run_mailing_id(report.id),
                event.recipients,
                storable(report.title),
                None,
                by,
            )

    async def mail_requested(self, event: Report.EmailRequested) -> None:
        assert self.reporting is not None
        if event.workspace_id is None:
            return  # nothing a command records
        report = await asyncio.to_thread(
            self.reporting.find_report, event.workspace_id, event.originator_id
        )
        if report is None:
            return  # not a report of that workspace: nothing to send
        by = Actor(event.actor_id, event.correlation_id)
        await self.mail_once(
            report, event.mailing_id, event.recipients, event.subject, event.message, by
        )

    async def mail_once(
        self,
        report: Report,
        mailing_id: UUID,
        recipients: tuple[str, ...],
        subject: str,
        message: str | None,
        by: Actor,
    ) -> None:
        """Mails the recipients this watch claims, and records how it went; recipients
        claimed before (a run that stopped mid-way) are not mailed again."""
        assert self.reporting is not None
        assert self.blobs is not None
        assert self.mailer is not None
        if mailing_id in report.mailings:
            return
        claimed = []
        for to in dict.fromkeys(recipients):
            row = await (
                await self.conn.execute(
                    "INSERT INTO report_watch_mailings (mailing_id, recipient) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING recipient",
                    (mailing_id, to),
                )
            ).fetchone()
            if row is not None:
                claimed.append(to)
        if not claimed:
            return  # claimed by a run before this one: that one answers
        ids = (report.workspace_id, report.id, mailing_id)
        try:
            sent, failed = await mail_report(
                self.mailer, self.blobs, report, claimed, subject, message
            )
        except NotFoundError as missing:
            await asyncio.to_thread(
                self.reporting.record_email_failed,
                *ids,
                tuple(claimed),
                "FILE_MISSING",
                storable(missing.detail),
                by,
            )
            return
        if sent:
            await self.conn.execute(
                "UPDATE report_watch_mailings SET sent_at = now() "
                "WHERE mailing_id = %s AND recipient = ANY(%s)",
                (mailing_id, sent),
            )
            await asyncio.to_thread(
                self.reporting.record_emailed,
                report.workspace_id,
                report.id,
                tuple(sent),
                subject,
                by,
                mailing_id,
                tuple(failed),
            )
        else:
            await asyncio.to_thread(
                self.reporting.record_email_failed,
                *ids,
                tuple(failed),
                "NOT_TAKEN",
                "the mail server did not take the mail; retry later",
                by,
            )

    async def _connect(self) -> None:
        if self.conn is None or self.conn.closed:
            # Its own connection, in autocommit: each claim and each day moved on stays.
            self.conn = await open_connection(self.settings)
            await self.conn.set_autocommit(True)

    async def idle(self) -> None:
        """Reports on each schedule's latest period that is over, if it has not yet."""
        await self._connect()
        now = self.clock()
        rows = await (
            await self.conn.execute(
                "SELECT s.schedule_id, s.workspace_id, s.frequency, s.starts_on, "
                "s.checked_through, coalesce(w.timezone, 'UTC') AS timezone, "
                "coalesce(w.week_start, 'MONDAY') AS week_start FROM report_watch s "
                "LEFT JOIN workspaces w ON w.id = s.workspace_id WHERE NOT s.deleted"
            )
        ).fetchall()
        for row in rows:
            frequency = frequency_of(row["frequency"])
            if frequency is None:
                continue  # nothing a schedule writes: a log no longer in the domain's hands
            today = local_today(now, row["timezone"])
            period = last_complete(frequency, today, row["week_start"])
            after: date | None = row["checked_through"]
            if period.end < row["starts_on"] or (after is not None and period.end <= after):
                continue
            await self._open()  # only once something is due: most looks find nothing
            if await self.report_on(row["schedule_id"], row["workspace_id"], period):
                await self.conn.execute(
                    "UPDATE report_watch SET checked_through = %s WHERE schedule_id = %s",
                    (period.end, row["schedule_id"]),
                )

    async def report_on(self, schedule_id: UUID, workspace_id: UUID, period: ReportPeriod) -> bool:
        """Makes and mails the period's report; False when it should be tried again later."""
        assert self.reporting is not None
        assert self.blobs is not None
        try:
            schedule = await asyncio.to_thread(
                self.reporting.get_schedule, workspace_id, schedule_id
            )
        except NotFoundError:
            return True  # deleted since: nothing to send
        terms = schedule.terms
        by = Actor(REPORT_WATCH_ACTOR_ID, f"report_watch:{schedule_id}:{period.label}")
        report_id = scheduled_report_id(schedule_id, period)
        wanted = ReportTerms(
            period=period,
            format=terms.format,
            categories=None if terms.categories is None else [UUID(c) for c in terms.categories],
            include_insights=terms.include_insights,
            schedule_id=schedule_id,
        )
        try:
            report, _ = await generate_report(
                self.pool, self.blobs, self.reporting, report_id, workspace_id, wanted, by
            )
        except NoDataFoundError:
            log.info(
                "no report: no transactions", schedule_id=str(schedule_id), period=period.label
            )
            return True
        except ConflictError:  # read models behind, or another watch recorded it first
            found = await asyncio.to_thread(self.reporting.find_report, workspace_id, report_id)
            if found is None:
                return False
            report = found
        return await self.deliver(report, list(terms.recipients), by)

    async def deliver(self, report: Report, recipients: list[str], by: Actor) -> bool:
        assert self.reporting is not None
        assert self.blobs is not None
        assert self.mailer is not None
        claimed = []
        for to in recipients:
            row = await (
                await self.conn.execute(
                    "INSERT INTO report_watch_deliveries (report_id, recipient) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING recipient",
                    (report.id, to),
                )
            ).fetchone()
            if row is not None:
                claimed.append(to)
        if not claimed:
            return True
        sent, failed = await mail_report(self.mailer, self.blobs, report, claimed)
        if sent:
            await self.conn.execute(
                "UPDATE report_watch_deliveries SET sent_at = now() "
                "WHERE report_id = %s AND recipient = ANY(%s)",
                (report.id, sent),
            )
            await asyncio.to_thread(
                self.reporting.record_emailed,
                report.workspace_id,
                report.id,
                tuple(sent),
                report.title,
                by,
            )
        if failed:  # given back: the next look tries them again
            await self.conn.execute(
                "DELETE FROM report_watch_deliveries WHERE report_id = %s AND recipient = ANY(%s)",
                (report.id, failed),
            )
        return not failed

    async def _open(self) -> None:
        if self.reporting is None:
            # Made off the loop: making the event store waits for its lock.
            self.reporting = await asyncio.to_thread(Reporting, event_store_env(self.settings))
        if self.pool is None:
            self.pool = async_pool(self.settings, max_size=3)  # a report reads on two
            await self.pool.open()
            self.blobs = blobs_for(self.settings, self.pool)
            await self.blobs.create_table()
            if self.settings.smtp_url:
                self.mailer = SmtpMailer(self.settings.smtp_url, self.settings.mail_from)
            else:
                mailbox = DevMailbox(self.pool)
                await mailbox.create_table()
                self.mailer = mailbox

    async def close(self) -> None:
        if self.reporting is not None:
            self.reporting.close()
            self.reporting = None
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if self.pool is not None:
            await self.pool.close()
            self.pool = None
        self.blobs = None
        self.mailer = None

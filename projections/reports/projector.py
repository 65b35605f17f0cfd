"""Reports as generated, with their mailings; report schedules as they stand; how each report
and mailing asked for turned out."""

from __future__ import annotations

import json
from typing import Any

from domain.reporting.report import Report
from domain.reporting.request import ReportRequest
from domain.reporting.schedule import ReportSchedule
from projections.reports.view import TABLES
from projections.runtime import Cursor, Projection, handles


class ReportsProjection(Projection):
    name = "reports"
    tables = TABLES

    @handles(Report.Generated)
    async def on_report_generated(
        self, cur: Cursor, event: Report.Generated, position: int
    ) -> None:
        body = {
            "category_ids": None if event.category_ids is None else list(event.category_ids),
            "include_insights": event.include_insights,
            "currency": event.currency,
            "summary": event.summary,
            "budgets": list(event.budgets),
            "top_merchants": list(event.top_merchants),
            "monthly_trend": list(event.monthly_trend),
            "insights": list(event.insights),
            "recommendations": list(event.recommendations),
        }
        await cur.execute(
            "INSERT INTO reports (id, workspace_id, title, period, start_date, end_date, format, "
            "body, computed_at, file_sha256, file_size, charts, schedule_id, generated_by, "
            "generated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                event.title,
                event.period,
                event.start_date,
                event.end_date,
                event.format,
                json.dumps(body),
                event.computed_at,
                event.file_sha256,
                event.file_size,
                json.dumps(event.charts),
                event.schedule_id,
                event.actor_id,
                event.timestamp,
            ),
        )
        await _outcome(cur, event.originator_id, event.workspace_id, "generated", position)
        if event.schedule_id is not None:
            await cur.execute(
                "UPDATE reports_schedules SET last_report_id = %s, last_run_at = %s "
                "WHERE id = %s AND (last_run_at IS NULL OR last_run_at <= %s)",
                (event.originator_id, event.timestamp, event.schedule_id, event.timestamp),
            )

    @handles(ReportRequest.Failed)
    async def on_report_request_failed(
        self, cur: Cursor, event: ReportRequest.Failed, position: int
    ) -> None:
        await _outcome(
            cur,
            event.report_id,
            event.workspace_id,
            "failed",
            position,
            code=event.code,
            detail=event.detail,
        )

    @handles(Report.Emailed)
    async def on_report_emailed(self, cur: Cursor, event: Report.Emailed, position: int) -> None:
        sent = {"recipients": list(event.recipients), "at": event.timestamp.isoformat()}
        await cur.execute(
            "UPDATE reports SET emailed = emailed || %s::jsonb WHERE id = %s",
            (json.dumps([sent]), event.originator_id),
        )
        if event.mailing_id is not None:
            await _outcome(
                cur,
                event.mailing_id,
                event.workspace_id,
                "emailed",
                position,
                sent=event.recipients,
                failed=event.failed,
            )

    @handles(Report.EmailFailed)
    async def on_report_email_failed(
        self, cur: Cursor, event: Report.EmailFailed, position: int
    ) -> None:
        await _outcome(
            cur,
            event.mailing_id,
            event.workspace_id,
            "email_failed",
            position,
            code=event.code,
            detail=event.detail,
            failed=event.recipients,
        )

    @handles(ReportSchedule.Created)
    async def on_schedule_created(
        self, cur: Cursor, event: ReportSchedule.Created, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO reports_schedules (id, workspace_id, terms, starts_on, version, "
            "created_at, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                json.dumps(_terms(event)),
                event.starts_on,
                event.originator_version,
                event.timestamp,
                event.actor_id,
            ),
        )

    @handles(ReportSchedule.Changed)
    async def on_schedule_changed(
        self, cur: Cursor, event: ReportSchedule.Changed, position: int
    ) -> None:
        await cur.execute(
            "UPDATE reports_schedules SET terms = %s, starts_on = %s, version = %s WHERE id = %s",
            (
                json.dumps(_terms(event)),
                event.starts_on,
                event.originator_version,
                event.originator_id,
            ),
        )

    @handles(ReportSchedule.Deleted)
    async def on_schedule_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE reports_schedules SET deleted = true, version = %s WHERE id = %s",
            (event.originator_version, event.originator_id),
        )


def _terms(event: Any) -> dict[str, Any]:
    return {
        "frequency": event.frequency,
        "format": event.format,
        "categories": None if event.categories is None else list(event.categories),
        "include_insights": event.include_insights,
        "delivery_method": event.delivery_method,
        "recipients": list(event.recipients),
    }


async def _outcome(
    cur: Cursor,
    key: Any,
    workspace_id: Any,
    outcome: str,
    position: int,
    code: str | None = None,
    detail: str | None = None,
    sent: tuple[str, ...] = (),
    failed: tuple[str, ...] = (),
) -> None:
    """The first outcome under a key stays (an id only ever has one)."""
    await cur.execute(
        "INSERT INTO reports_outcomes (id, workspace_id, outcome, code, detail, sent, failed, "
        "position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
        (key, workspace_id, outcome, code, detail, json.dumps(sent), json.dumps(failed), position),
    )

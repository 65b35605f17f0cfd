"""Generates a report: reads the read models once they have reached the log's head, computes
the figures, draws the charts and the file, keeps them by SHA-256 and records the report.

The report_watch process runs it for each report asked for (``POST …/reports``,
``…/report-schedules/{id}/run``) and for each schedule's period. The work that takes CPU
runs off the event loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.base import Actor, ConflictError
from domain.reporting.application import REPORT_WATCH_ACTOR_ID, Reporting
from domain.reporting.periods import ReportPeriod
from domain.reporting.report import Format, Report, check_has_data
from infra.blobs import Blobs, Pool
from projections.reports import charts, document, reading
from projections.reports.figures import report_figures


@dataclass(frozen=True)
class ReportTerms:
    period: ReportPeriod
    format: str
    categories: list[UUID] | None = None
    include_insights: bool = True
    title: str | None = None
    schedule_id: UUID | None = None


async def generate_report(
    pool: Pool,
    blobs: Blobs,
    reporting: Reporting,
    report_id: UUID,
    workspace_id: UUID,
    wanted: ReportTerms,
    by: Actor,
) -> tuple[Report, int]:
    """The report, and the position of its ``ReportGenerated`` (0 when it was recorded before
    under this id: a retry, another scheduler). No transaction in the period is a 422."""
    found = await asyncio.to_thread(reporting.find_report, workspace_id, report_id)
    if found is not None:
        return found, 0
    async with pool.connection() as conn, pool.connection() as second:
        try:
            position = await reading.caught_up(conn)
        except TimeoutError:
            raise ConflictError("the read models are behind the log; retry shortly") from None
        data = await reading.report_data(
            conn, workspace_id, wanted.period, wanted.categories, wanted.include_insights, second
        )
        place = await reading.workspace(conn, workspace_id)
        by_name = (
            "a report schedule"
            if by.actor_id == REPORT_WATCH_ACTOR_ID
            else await reading.user_name(conn, by.actor_id) or "a member"
        )
    figures = await asyncio.to_thread(report_figures, data)
    check_has_data(wanted.period, figures["summary"]["transaction_count"])
    title = wanted.title or f"Report for {wanted.period.title}"
    recorded = {
        "title": title,
        "format": wanted.format,
        "category_ids": None
        if wanted.categories is None
        else tuple(str(c) for c in wanted.categories),
        "include_insights": wanted.include_insights,
        **figures,
        "budgets": tuple(figures["budgets"]),
        "top_merchants": tuple(figures["top_merchants"]),
        "monthly_trend": tuple(figures["monthly_trend"]),
        "insights": tuple(figures["insights"]),
        "recommendations": tuple(figures["recommendations"]),
        "computed_at": position,
    }
    shown = {
        **figures,
        "title": title,
        "period": wanted.period.label,
        "start_date": wanted.period.start.isoformat(),
        "end_date": wanted.period.end.isoformat(),
        "workspace": place.name,
        "generated_at": datetime.now(UTC),
        "generated_by": by_name,
        "computed_at": position,
        "include_insights": wanted.include_insights,
    }
    drawn = await asyncio.to_thread(charts.render, figures)
    if wanted.format == Format.PDF:
        content = await asyncio.to_thread(document.render, shown, drawn)
    else:
        content = msgspec.json.encode({k: v for k, v in shown.items() if k != "include_insights"})
    files: dict[str, Any] = {
        "file_sha256": await blobs.put(content),
        "file_size": len(content),
        "charts": {name: await blobs.put(png) for name, png in drawn.items()},
        "schedule_id": wanted.schedule_id,
    }
    return await asyncio.to_thread(
        reporting.generate, report_id, workspace_id, wanted.period, recorded, files, by
    )

"""The reports' tables and queries, and the count of each report's downloads.

Downloads are counted in ``reports_downloads``, which the read API writes as it serves a file:
a tally of reads, not a fact of the domain, so it is no projection's table and survives a
rebuild of the reports read model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from domain.reporting.periods import Frequency, frequency_of, next_run_at
from domain.reporting.report import MEDIA_TYPES
from projections.pages import PageMeta
from projections.reports.model import (
    ReportList,
    ReportScheduleList,
    ReportScheduleView,
    ReportView,
)

KEPT_DAYS = 90  # a report's file and charts are served this long after it was generated
WORKSPACE = "/api/workspaces/{}"
TABLES = (
    """CREATE TABLE IF NOT EXISTS reports (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        title text NOT NULL,
        period text NOT NULL,
        start_date date NOT NULL,
        end_date date NOT NULL,
        format text NOT NULL,
        body jsonb NOT NULL,  -- the figures as recorded
        computed_at bigint NOT NULL,
        file_sha256 text NOT NULL,
        file_size bigint NOT NULL,
        charts jsonb NOT NULL,  -- chart name -> SHA-256
        schedule_id uuid,
        generated_by uuid NOT NULL,
        generated_at timestamptz NOT NULL,
        emailed jsonb NOT NULL DEFAULT '[]'
    )""",
    "CREATE INDEX IF NOT EXISTS reports_by_workspace "
    "ON reports (workspace_id, generated_at DESC, id)",
    """CREATE TABLE IF NOT EXISTS reports_schedules (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        terms jsonb NOT NULL,
        starts_on date NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        created_by uuid NOT NULL,
        last_run_at timestamptz,
        last_report_id uuid
    )""",
    "CREATE INDEX IF NOT EXISTS reports_schedules_by_workspace "
    "ON reports_schedules (workspace_id, created_at, id)",
    # How each report asked for, and each mailing asked for, turned out (keyed by the report's
    # or the mailing's id): what the command that asked waits for.
    """CREATE TABLE IF NOT EXISTS reports_outcomes (
        id uuid PRIMARY KEY,
        workspace_id uuid,
        outcome text NOT NULL,  -- generated, failed, emailed, email_failed
        code text,
        detail text,
        sent jsonb NOT NULL DEFAULT '[]',
        failed jsonb NOT NULL DEFAULT '[]',
        position bigint NOT NULL
    )""",
)
DOWNLOADS_DDL = """CREATE TABLE IF NOT EXISTS reports_downloads (
    report_id uuid PRIMARY KEY,
    download_count bigint NOT NULL DEFAULT 0,
    last_downloaded_at timestamptz
)"""
COLUMNS = (
    "r.id, r.workspace_id, r.title, r.period, r.start_date, r.end_date, r.format, r.body, "
    "r.computed_at, r.file_sha256, r.file_size, r.charts, r.schedule_id, r.generated_by, "
    "r.generated_at, r.emailed, u.name AS generated_by_name, "
    "coalesce(d.download_count, 0) AS download_count, d.last_downloaded_at"
)
FROM = (
    "FROM reports r LEFT JOIN users u ON u.id = r.generated_by "
    "LEFT JOIN reports_downloads d ON d.report_id = r.id"
)


async def create_downloads_table(conn: Any) -> None:
    await conn.execute(DOWNLOADS_DDL)


def _view(row: dict[str, Any]) -> ReportView:
    path = f"{WORKSPACE.format(row['workspace_id'])}/reports/{row['id']}"
    return msgspec.convert(
        {
            **row["body"],
            "id": row["id"],
            "title": row["title"],
            "period": row["period"],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "format": row["format"],
            "generated_at": row["generated_at"],
            "generated_by": row["generated_by_name"],  # none for the report watch's
            "generated_by_id": row["generated_by"],
            "schedule_id": row["schedule_id"],
            "charts": {name: f"{path}/charts/{name}.png" for name in row["charts"]},
            "file": f"{path}/file",
            "media_type": MEDIA_TYPES.get(row["format"], "application/octet-stream"),
            "file_size": row["file_size"],
            "sha256": row["file_sha256"],
            "computed_at": row["computed_at"],
            "download_count": row["download_count"],
            "last_downloaded_at": row["last_downloaded_at"],
            "expires_at": row["generated_at"] + timedelta(days=KEPT_DAYS),
            "emailed": row["emailed"],
        },
        ReportView,
        from_attributes=True,
        strict=False,
    )


async def list_reports(conn: Any, workspace_id: UUID, page: int, page_size: int) -> ReportList:
    """Newest first."""
    total = await (
        await conn.execute(
            "SELECT count(*) AS n FROM reports WHERE workspace_id = %s", (workspace_id,)
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            f"SELECT {COLUMNS} {FROM} WHERE r.workspace_id = %s "
            "ORDER BY r.generated_at DESC, r.id LIMIT %s OFFSET %s",
            (workspace_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    return ReportList(
        data=[_view(row) for row in rows], meta=PageMeta.of(page, page_size, total["n"])
    )


async def get_report(conn: Any, workspace_id: UUID, report_id: UUID) -> ReportView | None:
    row = await (
        await conn.execute(
            f"SELECT {COLUMNS} {FROM} WHERE r.workspace_id = %s AND r.id = %s",
            (workspace_id, report_id),
        )
    ).fetchone()
    return None if row is None else _view(row)


async def count_download(conn: Any, report_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO reports_downloads (report_id, download_count, last_downloaded_at) "
        "VALUES (%s, 1, now()) ON CONFLICT (report_id) DO UPDATE SET "
        "download_count = reports_downloads.download_count + 1, last_downloaded_at = now()",
        (report_id,),
    )


async def chart_digest(conn: Any, workspace_id: UUID, report_id: UUID, name: str) -> str | None:
    row = await (
        await conn.execute(
            "SELECT charts->>%s AS sha FROM reports WHERE workspace_id = %s AND id = %s",
            (name, workspace_id, report_id),
        )
    ).fetchone()
    return None if row is None else row["sha"]


async def list_schedules(
    conn: Any, workspace_id: UUID, page: int, page_size: int, now: datetime | None = None
) -> ReportScheduleList:
    """The live schedules, oldest first, each with when its next report is due."""
    now = now or datetime.now(UTC)
    total = await (
        await conn.execute(
            "SELECT count(*) AS n FROM reports_schedules WHERE workspace_id = %s AND NOT deleted",
            (workspace_id,),
        )
    ).fetchone()
    rows = await (
        await conn.execute(
            "SELECT s.*, coalesce(w.timezone, 'UTC') AS timezone, "
            "coalesce(w.week_start, 'MONDAY') AS week_start FROM reports_schedules s "
            "LEFT JOIN workspaces w ON w.id = s.workspace_id "
            "WHERE s.workspace_id = %s AND NOT s.deleted ORDER BY s.created_at, s.id "
            "LIMIT %s OFFSET %s",
            (workspace_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    data = [
        msgspec.convert(
            {
                **row["terms"],
                "id": row["id"],
                "starts_on": row["starts_on"],
                "next_run_at": next_run_at(
                    frequency_of(row["terms"]["frequency"]) or Frequency.MONTHLY,
                    now,
                    row["timezone"],
                    row["week_start"],
                ),
                "last_run_at": row["last_run_at"],
                "last_report_id": row["last_report_id"],
                "created_at": row["created_at"],
                "version": row["version"],
            },
            ReportScheduleView,
            from_attributes=True,
            strict=False,
        )
        for row in rows
    ]
    return ReportScheduleList(data=data, meta=PageMeta.of(page, page_size, total["n"]))

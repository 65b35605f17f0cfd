"""Serves the reports projection: reports as generated, their files and charts (downloads
counted), and report schedules with when each runs next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, QueryParameter

from domain.reporting.report import CHARTS, file_name
from infra import openapi
from projections.reports import view
from projections.reports.model import ReportList, ReportScheduleList, ReportView
from read_api.access import read_access, require_role

SERVING = ("reports", "users")
Page = Annotated[int, QueryParameter(ge=1, le=10_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=100)]


class ReportsController(Controller):
    path = "/api/workspaces/{workspace_id:uuid}"
    tags = ["reports"]

    @get("/reports")
    async def list_reports(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        page: Page = 1,
        page_size: PageSize = 20,
    ) -> ReportList:
        """The reports generated, newest first, with their figures, download counts and the
        paths of their file and charts."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            return await view.list_reports(conn, workspace_id, page, page_size)

    @get("/reports/{report_id:uuid}")
    async def get_report(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        report_id: FromPath[UUID],
    ) -> ReportView:
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            found = await view.get_report(conn, workspace_id, report_id)
        if found is None:
            raise NotFoundException("no such report")
        return found

    @get(
        "/reports/{report_id:uuid}/file",
        operation_class=openapi.content_types(
            200, dict.fromkeys(("application/pdf", "application/json"), openapi.BINARY)
        ),
    )
    async def download_report(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        report_id: FromPath[UUID],
    ) -> Response[bytes]:
        """The report's file as a download: the PDF, or the report as JSON for a json report.
        Counted in ``download_count``; after ``expires_at``, 410."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            found = await view.get_report(conn, workspace_id, report_id)
            if found is None:
                raise NotFoundException("no such report")
            _check_kept(found)
            content = await request.app.state.blobs.get(found.sha256)
            if content is None:
                raise NotFoundException("the report's file is missing from the store")
            await view.count_download(conn, report_id)
        name = file_name(found.title, found.format)
        return Response(
            content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{name}"; '
                f"filename*=UTF-8''{quote(name, safe='')}"
            },
        )

    @get(
        "/reports/{report_id:uuid}/charts/{chart:str}",
        operation_class=openapi.content_types(200, {"image/png": openapi.BINARY}),
    )
    async def report_chart(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        report_id: FromPath[UUID],
        chart: FromPath[str],
    ) -> Response[bytes]:
        """``monthly_trend.png`` or ``category_breakdown.png``: the chart as drawn into the
        PDF."""
        name = chart.removesuffix(".png")
        if name not in CHARTS or not chart.endswith(".png"):
            raise NotFoundException("no such chart: monthly_trend.png or category_breakdown.png")
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            found = await view.get_report(conn, workspace_id, report_id)
            digest = await view.chart_digest(conn, workspace_id, report_id, name)
        if found is None or digest is None:
            raise NotFoundException("no such report")
        _check_kept(found)
        content = await request.app.state.blobs.get(digest)
        if content is None:
            raise NotFoundException("the chart is missing from the store")
        return Response(content, media_type="image/png")

    @get("/report-schedules")
    async def list_report_schedules(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        page: Page = 1,
        page_size: PageSize = 20,
    ) -> ReportScheduleList:
        """The workspace's report schedules (ADMIN: they name their recipients), oldest
        first, each with ``next_run_at`` and its last report."""
        require_role(await read_access(request, workspace_id, ("reports", "workspaces")), "ADMIN")
        async with request.app.state.pool.connection() as conn:
            return await view.list_schedules(conn, workspace_id, page, page_size)


def _check_kept(found: ReportView) -> None:
    if datetime.now(UTC) > found.expires_at:
        raise HTTPException(
            f"the report's files were kept until {found.expires_at:%Y-%m-%d}; generate it again",
            status_code=410,
        )

"""Admin jobs: queue one, follow it, or run due ones now (all for system ADMINs only)."""

from __future__ import annotations

import asyncio
import importlib
from datetime import datetime
from typing import Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from msgspec import Meta

from command_api.access import Access
from command_api.context import correlation_id, new_id
from domain.base import NotFoundError
from infra.jobs import Job, JobQueue, JobRunner, Status
from infra.tokens import Principal

# The kinds run in projections/jobs; named by dotted path, as the CLI names its processes,
# so the command API imports no projection package.
RUNNER = "projections.jobs.worker"


def runner() -> JobRunner:
    return cast(JobRunner, importlib.import_module(RUNNER))


class EnqueueJob(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    kind: Annotated[str, Meta(min_length=1, max_length=64)]
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class ProcessJobs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    limit: Annotated[int, Meta(ge=1, le=100)] = 10


class JobOut(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    params: dict[str, Any]
    status: Status
    progress: float | None
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_by: UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(msgspec.Struct, kw_only=True):
    data: list[JobOut]
    meta: dict[str, int]


class Processed(msgspec.Struct, kw_only=True):
    processed: int
    data: list[JobOut]


def job_out(job: Job) -> JobOut:
    fields = {name: getattr(job, name) for name in JobOut.__struct_fields__}
    return JobOut(**fields)


def _queue(request: Request[Any, Any, State]) -> JobQueue:
    queue: JobQueue = request.app.state.jobs
    return queue


class JobsController(Controller):
    path = "/api/admin/jobs"
    opt = {"access": Access.SYSTEM_ADMIN}  # layered: each route's rule

    @post(status_code=202)
    async def enqueue_job(
        self,
        request: Request[Any, Any, State],
        data: JSONBody[EnqueueJob],
        principal: NamedDependency[Principal],
    ) -> JobOut:
        """Queued for the worker. 400 naming ``kind`` or ``params.<field>`` when the kind or
        its params are not known; with an Idempotency-Key a retry names the same job."""
        params = runner().check_params(data.kind, data.params)
        job = await _queue(request).enqueue(
            data.kind,
            params,
            principal.actor_id,
            correlation_id(request),
            new_id(request, principal, "job"),
        )
        return job_out(job)

    @get()
    async def list_jobs(
        self,
        request: Request[Any, Any, State],
        status: FromQuery[Status | None] = None,
        kind: Annotated[str | None, QueryParameter(max_length=64)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> JobPage:
        """Newest first."""
        jobs, total = await _queue(request).search(status, kind, page, page_size)
        meta = {
            "page": page,
            "page_size": page_size,
            "total": total,
            "total_pages": (total + page_size - 1) // page_size,
        }
        return JobPage(data=[job_out(job) for job in jobs], meta=meta)

    @get("/{job_id:uuid}")
    async def get_job(self, request: Request[Any, Any, State], job_id: FromPath[UUID]) -> JobOut:
        job = await _queue(request).get(job_id)
        if job is None:
            raise NotFoundError("no such job")
        return job_out(job)


@post("/api/jobs/process", status_code=200, access=Access.SYSTEM_ADMIN)
async def process_jobs(request: Request[Any, Any, State], data: JSONBody[ProcessJobs]) -> Processed:
    """Runs up to ``limit`` due jobs in this process, off its event loop, and answers once they
    have ended. Jobs of workers that died are taken again first."""
    settings = request.app.state.settings
    jobs = await asyncio.to_thread(runner().run_pending, settings, data.limit)
    return Processed(processed=len(jobs), data=[job_out(job) for job in jobs])

"""The durable job queue: a PostgreSQL table, claimed with ``FOR UPDATE SKIP LOCKED`` under leases.

A claim commits at once and holds no lock while the job runs: it writes a lease (a token and
``locked_until``) that the running worker extends as it reports progress. A worker that dies
stops extending it; once it has expired, ``reclaim_expired`` queues the job again (or fails it
after ``MAX_ATTEMPTS``), and another worker takes it. Completing, failing or extending needs
the token, so a worker that lost its lease can no longer write over the one that took it.
The job kinds' effects are idempotent, so running a job again after a death changes nothing
twice (see ``projections.jobs``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID, uuid4

import msgspec
import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from infra.settings import Settings

Pool = AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]

CHANNEL = "centsource_jobs"  # NOTIFYed on enqueue: an idle worker wakes at once
LEASE_SECONDS = 60.0
MAX_ATTEMPTS = 3  # runs a job gets (deaths and errors alike) before it is FAILED
RETRY_SECONDS = 5.0  # after a failed attempt, doubled each time

DDL = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        params jsonb NOT NULL,
        status text NOT NULL DEFAULT 'QUEUED',
        progress double precision,
        result jsonb,
        error text,
        attempts integer NOT NULL DEFAULT 0,
        created_by uuid,
        correlation_id text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        run_after timestamptz NOT NULL DEFAULT now(),
        lease uuid,
        locked_until timestamptz
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (run_after, created_at) "
    "WHERE status = 'QUEUED'",
    "CREATE INDEX IF NOT EXISTS jobs_leased ON jobs (locked_until) WHERE status = 'RUNNING'",
    "CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (created_at DESC, id)",
)
COLUMNS = (
    "id, kind, params, status, progress, result, error, attempts, created_by, correlation_id, "
    "created_at, started_at, finished_at, lease"
)


class Status(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class Job(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    params: dict[str, Any]
    status: Status
    progress: float | None  # 0 to 1, as the running job last reported it
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    created_by: UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    correlation_id: str = msgspec.field(default="")
    lease: UUID | None = None  # the running claim's token; never shown to clients


def _job(row: dict[str, Any]) -> Job:
    return Job(**{**row, "status": Status(row["status"])})


class JobRunner(Protocol):
    """What ``projections.jobs`` offers the command API, which names it by dotted path."""

    def check_params(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """The params in their canonical form; InvalidInputError naming the field otherwise."""
        ...

    def run_pending(self, settings: Settings, limit: int) -> list[Job]:
        """Runs up to ``limit`` due jobs in this thread; answers them as they ended."""
        ...


class JobQueue:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    async def create_table(self) -> None:
        async with self.pool.connection() as conn:
            for statement in DDL:
                await conn.execute(statement)

    async def enqueue(
        self,
        kind: str,
        params: dict[str, Any],
        created_by: UUID | None,
        correlation_id: str = "",
        job_id: UUID | None = None,
    ) -> Job:
        """A new QUEUED job; with ``job_id`` of one that exists, that one (a retried request)."""
        async with self.pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(
                    "INSERT INTO jobs (id, kind, params, created_by, correlation_id) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING "
                    f"RETURNING {COLUMNS}",
                    (job_id or uuid4(), kind, Jsonb(params), created_by, correlation_id),
                )
            ).fetchone()
            if row is None:
                found = await self.get(job_id) if job_id is not None else None
                assert found is not None
                return found
            await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(row["id"])))
        return _job(row)

    async def get(self, job_id: UUID) -> Job | None:
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(f"SELECT {COLUMNS} FROM jobs WHERE id = %s", (job_id,))  # noqa: S608
            ).fetchone()
        return None if row is None else _job(row)

    async def search(
        self, status: Status | None, kind: str | None, page: int, page_size: int
    ) -> tuple[list[Job], int]:
        """Newest first, and how many there are in all."""
        where = (
            "(%(status)s::text IS NULL OR status = %(status)s) "
            "AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
        )
        params = {
            "status": status and status.value,
            "kind": kind,
            "limit": page_size,
            "offset": (page - 1) * page_size,
        }
        async with self.pool.connection() as conn:
            total = await (
                await conn.execute(f"SELECT count(*) AS n FROM jobs WHERE {where}", params)  # noqa: S608
            ).fetchone()
            rows = await (
                await conn.execute(
                    f"SELECT {COLUMNS} FROM jobs WHERE {where} "  # noqa: S608
                    "ORDER BY created_at DESC, id LIMIT %(limit)s OFFSET %(offset)s",
                    params,
                )
            ).fetchall()
        return [_job(row) for row in rows], int(total["n"]) if total else 0

    async def reclaim_expired(self) -> int:
        """Jobs whose worker stopped extending its lease (it died, or hangs): queued again, or
        FAILED once they have had MAX_ATTEMPTS runs. Answers how many."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET lease = NULL, locked_until = NULL, "
                "status = CASE WHEN attempts >= %(max)s THEN 'FAILED' ELSE 'QUEUED' END, "
                "finished_at = CASE WHEN attempts >= %(max)s THEN now() END, "
                "error = CASE WHEN attempts >= %(max)s "
                "THEN 'its worker stopped before it ended, ' || attempts || ' times' "
                "ELSE 'its worker stopped before it ended; taken again' END "
                "WHERE status = 'RUNNING' AND locked_until < now()",
                {"max": MAX_ATTEMPTS},
            )
            return cursor.rowcount

    async def claim(self, lease_seconds: float = LEASE_SECONDS) -> Job | None:
        """The oldest due QUEUED job, now RUNNING under a new lease; None when none is due.
        Workers skip each other's rows being claimed, so each job goes to one of them."""
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(
                    "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, "  # noqa: S608
                    "started_at = now(), finished_at = NULL, lease = %s, "
                    "locked_until = now() + make_interval(secs => %s) "
                    "WHERE id = (SELECT id FROM jobs "
                    "WHERE status = 'QUEUED' AND run_after <= now() "
                    "ORDER BY run_after, created_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
                    f"RETURNING {COLUMNS}",
                    (uuid4(), lease_seconds),
                )
            ).fetchone()
        return None if row is None else _job(row)

    async def extend(
        self, job: Job, progress: float | None, lease_seconds: float = LEASE_SECONDS
    ) -> bool:
        """Extends the lease and records the progress; False when the lease was lost."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE jobs SET locked_until = now() + make_interval(secs => %s), "
                "progress = coalesce(%s, progress) "
                "WHERE id = %s AND lease = %s AND status = 'RUNNING'",
                (lease_seconds, progress, job.id, job.lease),
            )
            return cursor.rowcount == 1

    async def complete(self, job: Job, result: dict[str, Any]) -> Job | None:
        """DONE with its result; None when the lease was lost (another run owns the job)."""
        return await self._end(
            job,
            "status = 'DONE', progress = 1, result = %(result)s, error = NULL, finished_at = now()",
            {"result": Jsonb(result)},
        )

    async def fail(self, job: Job, reason: str, retry: bool) -> Job | None:
        """A failed run: queued again after a pause when ``retry`` and runs are left, else
        FAILED with the reason. None when the lease was lost."""
        return await self._end(
            job,
            "error = %(reason)s, status = CASE WHEN %(retry)s AND attempts < %(max)s "
            "THEN 'QUEUED' ELSE 'FAILED' END, "
            "finished_at = CASE WHEN %(retry)s AND attempts < %(max)s THEN NULL ELSE now() END, "
            "run_after = now() + make_interval(secs => %(delay)s * 2 ^ (attempts - 1))",
            {"reason": reason[:1000], "retry": retry, "max": MAX_ATTEMPTS, "delay": RETRY_SECONDS},
        )

    async def release(self, job: Job) -> Job | None:
        """Back to QUEUED, this run not counted: its worker was asked to stop."""
        return await self._end(
            job,
            "status = 'QUEUED', attempts = attempts - 1, started_at = NULL, run_after = now()",
            {},
        )

    async def _end(self, job: Job, assignments: str, params: dict[str, Any]) -> Job | None:
        async with self.pool.connection() as conn:
            row = await (
                await conn.execute(
                    f"UPDATE jobs SET {assignments}, lease = NULL, locked_until = NULL "  # noqa: S608
                    "WHERE id = %(id)s AND lease = %(lease)s AND status = 'RUNNING' "
                    f"RETURNING {COLUMNS}",
                    {**params, "id": job.id, "lease": job.lease},
                )
            ).fetchone()
        return None if row is None else _job(row)

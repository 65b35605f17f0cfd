"""``centsource worker``: takes jobs from the queue in infra.jobs and runs them, one per slot.

While a job runs, its lease is extended every third of ``lease_seconds``, carrying the job's
progress. A worker that finds its lease lost (it was too slow, and another took the job)
stops the job; one asked to stop puts its job back in the queue. ``run_pending`` runs due jobs
at once in the calling thread, for ``POST /api/jobs/process``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from psycopg import sql

from domain.base import ConflictError, DomainError
from domain.ledger.application import Ledger
from infra import database
from infra.jobs import CHANNEL, LEASE_SECONDS, Job, JobQueue
from infra.logs import configure_logging
from infra.settings import Settings
from infra.tasks import OUTAGES, first_failure, retrying, run_until_signalled, wait_until_set
from projections.jobs.kinds import KINDS, Context, LeaseLostError, check_params, now, parse_params
from projections.runtime import open_connection

__all__ = ["Worker", "check_params", "run_pending", "serve"]  # check_params: for the command API
log = structlog.get_logger("jobs")
SLOTS = 2  # jobs one worker runs at once: a long rebuild does not hold up the digests
POLL_SECONDS = 5.0  # for retries falling due and leases expiring; new jobs NOTIFY


class Worker:
    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], datetime] = now,
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.pool: Any = database.async_pool(settings, max_size=SLOTS + 2)
        self.queue = JobQueue(self.pool)
        self.wake = asyncio.Event()
        self._ledger: Ledger | None = None

    async def open(self) -> None:
        # Off the loop: it waits for the DDL lock, which a starting process may hold.
        await asyncio.to_thread(database.create_schema, self.settings)
        await self.pool.open()
        await self.queue.create_table()

    async def close(self) -> None:
        await self.pool.close()
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    async def ledger(self) -> Ledger:
        if self._ledger is None:  # made off the loop: making the event store waits for its lock
            self._ledger = await asyncio.to_thread(Ledger, database.event_store_env(self.settings))
        return self._ledger

    async def run_next(self) -> Job | None:
        """Queues again the jobs of workers that died, then runs the next due job to its end;
        None when none is due."""
        await self.queue.reclaim_expired()
        job = await self.queue.claim(self.lease_seconds)
        if job is None:
            return None
        return await self.run(job)

    async def run_pending(self, limit: int) -> list[Job]:
        ran: list[Job] = []
        while len(ran) < limit:
            job = await self.run_next()
            if job is None:
                break
            ran.append(job)
        return ran

    async def run(self, job: Job) -> Job:
        """Runs a claimed job; answers it as it ended (as claimed, if its lease was lost)."""
        context = Context(self.settings, job, self.pool, self.clock, self.ledger)
        bound = log.bind(job_id=str(job.id), kind=job.kind, attempt=job.attempts)
        bound.info("job started")
        work = asyncio.ensure_future(self._work(context))
        heartbeat = asyncio.create_task(self._heartbeat(context, work))
        ended: Job | None
        try:
            result = await work
        except asyncio.CancelledError:
            if not context.lost:  # the worker was asked to stop: the job goes back
                await asyncio.shield(self.queue.release(job))
                raise
            ended = None
        except LeaseLostError:
            ended = None
        except ConflictError as error:  # lost races each time: another run may do better
            ended = await self.queue.fail(job, error.detail, retry=True)
        except DomainError as error:  # the job cannot be done (a rule refused it): no retry
            ended = await self.queue.fail(job, error.detail, retry=False)
        except OUTAGES as error:
            ended = await self.queue.fail(job, f"{type(error).__name__}: {error}", retry=True)
        except Exception as error:  # noqa: BLE001 - a failing job is its reason, not the worker's end
            bound.exception("job failed")
            ended = await self.queue.fail(job, f"{type(error).__name__}: {error}", retry=True)
        else:
            ended = await self.queue.complete(job, result)
        finally:
            heartbeat.cancel()
        if ended is None:
            bound.warning("job lease lost; another run owns it")
            return job
        bound.info("job ended", status=ended.status.value, error=ended.error)
        return ended

    async def _work(self, context: Context) -> dict[str, Any]:
        kind = KINDS[context.job.kind]
        return await kind.run(context, parse_params(context.job.kind, context.job.params))

    async def _heartbeat(self, context: Context, work: asyncio.Future[Any]) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                kept = await self.queue.extend(context.job, context.progress, self.lease_seconds)
            except OUTAGES as error:  # the lease may still hold; the next beat tries again
                log.warning("lease not extended", job_id=str(context.job.id), error=str(error))
                continue
            if not kept:
                context.lost = True
                work.cancel()  # work in a thread stops at its next check_lease
                return

    async def serve(self) -> None:
        """Runs jobs until cancelled: ``SLOTS`` at once, woken by each new job."""
        await self.open()
        try:
            await first_failure(self._listen(), *(self._slot() for _ in range(SLOTS)))
        finally:
            await self.close()

    async def _slot(self) -> None:
        while True:
            changed = self.wake
            if await self.run_next() is None:
                await wait_until_set(changed, POLL_SECONDS)

    async def _listen(self) -> None:
        listener = await open_connection(self.settings)
        try:
            await listener.set_autocommit(True)
            await listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
            async for _ in listener.notifies():
                self.wake, woken = asyncio.Event(), self.wake
                woken.set()
        finally:
            await listener.close()


def run_pending(settings: Settings, limit: int) -> list[Job]:
    """Runs up to ``limit`` due jobs now, in this thread (on a loop of its own)."""

    async def main() -> list[Job]:
        worker = Worker(settings)
        await worker.open()
        try:
            return await worker.run_pending(limit)
        finally:
            await worker.close()

    return asyncio.run(main())


async def work(settings: Settings) -> None:
    """Runs a worker until cancelled; when the database goes away, starts over."""
    await retrying(lambda: Worker(settings).serve(), log, "worker interrupted; retrying")


def serve(settings: Settings) -> None:
    """``centsource worker``."""
    configure_logging(settings.log_level)

    run_until_signalled(lambda: work(settings), log)

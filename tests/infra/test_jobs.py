"""The job queue and its worker: each job runs once, a dead worker's job is taken again and its
effects happen once, a job that keeps dying or cannot be done ends FAILED with its reason."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4

import psycopg
from psycopg import sql

from domain.ledger.categories import system_category_id
from infra.jobs import MAX_ATTEMPTS, Job, Status
from infra.settings import Settings
from infra.supervisor import PROCESSES
from projections.jobs.kinds import KINDS, Context
from projections.jobs.worker import Worker
from projections.notifier.projector import DIGEST_DDL
from projections.runtime import create_read_model_tables
from projections.webhooks import view as webhooks_view
from tests.api import Api

T = TypeVar("T")


def run(settings: Settings, scenario: Callable[[Worker], Awaitable[T]], **options: Any) -> T:
    """The scenario with a worker (and its queue) on the schema, on a loop of its own."""

    async def main() -> T:
        worker = Worker(settings, **options)
        await worker.open()
        try:
            return await scenario(worker)
        finally:
            await worker.close()

    return asyncio.run(main())


def test_up_starts_a_job_worker() -> None:
    assert "worker" in PROCESSES


def test_a_queued_job_is_run_once_and_done_with_its_result(own_schema: Settings) -> None:
    async def scenario(worker: Worker) -> None:
        job = await worker.queue.enqueue("expire_idempotency_keys", {}, None)
        assert job.status is Status.QUEUED
        [ran] = await worker.run_pending(10)
        assert (ran.id, ran.status, ran.attempts, ran.progress) == (job.id, Status.DONE, 1, 1.0)
        assert ran.result == {"forgotten": 0}
        assert ran.finished_at is not None
        assert await worker.run_pending(10) == []  # nothing is run twice
        stored = await worker.queue.get(job.id)
        assert stored is not None
        assert (stored.status, stored.attempts) == (Status.DONE, 1)

    run(own_schema, scenario)


def test_workers_claiming_at_once_each_take_another_job(own_schema: Settings) -> None:
    async def scenario(worker: Worker) -> None:
        queued = {(await worker.queue.enqueue("send_due_digests", {}, None)).id for _ in range(3)}
        claims = await asyncio.gather(*(worker.queue.claim() for _ in range(4)))
        claimed = [job.id for job in claims if job is not None]
        assert sorted(claimed) == sorted(queued)  # three jobs, each to one claim; one got none

    run(own_schema, scenario)


def test_a_job_whose_worker_died_is_taken_again_and_the_dead_one_cannot_end_it(
    own_schema: Settings,
) -> None:
    async def scenario(worker: Worker) -> None:
        job = await worker.queue.enqueue("expire_idempotency_keys", {}, None)
        dead = await worker.queue.claim(lease_seconds=0)  # claimed, never extended nor ended
        assert dead is not None
        assert dead.id == job.id
        [ran] = await worker.run_pending(10)
        assert (ran.id, ran.status, ran.attempts) == (job.id, Status.DONE, 2)
        assert await worker.queue.complete(dead, {"late": True}) is None
        stored = await worker.queue.get(job.id)
        assert stored is not None
        assert stored.result == {"forgotten": 0}

    run(own_schema, scenario)


def test_a_job_whose_worker_dies_every_time_fails_after_its_last_attempt(
    own_schema: Settings,
) -> None:
    async def scenario(worker: Worker) -> None:
        job = await worker.queue.enqueue("send_due_digests", {}, None)
        for _ in range(MAX_ATTEMPTS):
            await worker.queue.reclaim_expired()
            assert await worker.queue.claim(lease_seconds=0) is not None
        assert await worker.run_pending(10) == []
        stored = await worker.queue.get(job.id)
        assert stored is not None
        assert (stored.status, stored.attempts) == (Status.FAILED, MAX_ATTEMPTS)
        assert stored.error == f"its worker stopped before it ended, {MAX_ATTEMPTS} times"

    run(own_schema, scenario)


def test_a_job_that_cannot_be_done_fails_at_once_with_its_reason(own_schema: Settings) -> None:
    async def scenario(worker: Worker) -> None:
        # Queued past the API's check: the worker checks the params again.
        job = await worker.queue.enqueue("rebuild_projection", {"name": "relay"}, None)
        [ran] = await worker.run_pending(10)
        assert (ran.id, ran.status, ran.attempts) == (job.id, Status.FAILED, 1)
        assert ran.error is not None
        assert ran.error.startswith("not a read model")

    run(own_schema, scenario)


def test_a_job_that_lost_its_lease_stops_and_leaves_the_job_to_its_new_run(
    own_schema: Settings,
) -> None:
    async def scenario(worker: Worker) -> None:
        await worker.queue.enqueue("send_due_digests", {}, None)
        job = await worker.queue.claim()
        assert job is not None
        async with worker.pool.connection() as conn:  # another worker took it meanwhile
            await conn.execute("UPDATE jobs SET lease = gen_random_uuid() WHERE id = %s", (job.id,))
        assert not await worker.queue.extend(job, 0.5)
        assert await worker.queue.fail(job, "late", retry=False) is None
        stored = await worker.queue.get(job.id)
        assert stored is not None
        assert (stored.status, stored.error) == (Status.RUNNING, None)

    run(own_schema, scenario)


def categorized_events(settings: Settings, ids: list[str]) -> dict[str, int]:
    with psycopg.connect(settings.database) as conn:
        rows = conn.execute(
            sql.SQL(
                "SELECT originator_id, count(*) FROM {}.centsource_events "
                "WHERE topic LIKE %s AND originator_id = ANY(%s) GROUP BY originator_id"
            ).format(sql.Identifier(settings.database_schema)),
            ("%Transaction.Categorized", [UUID(i) for i in ids]),
        ).fetchall()
    return {str(row[0]): row[1] for row in rows}


def test_recategorizing_after_a_worker_died_mid_job_records_each_category_once(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    ids = [
        api.record(user, workspace, account, description=f"BAKERY ROSE #{n}")["id"]
        for n in range(3)
    ]
    other = api.record(user, workspace, account, description="HARDWARE STORE")["id"]
    groceries = str(system_category_id(UUID(workspace), "groceries"))
    rule = api.commands.post(
        f"/api/workspaces/{workspace}/rules",
        json={"name": "Bread", "contains": "bakery rose", "category_id": groceries},
        headers=user.headers,
    )
    assert rule.status_code == 201, rule.text

    async def scenario(worker: Worker) -> list[Any]:
        params = {"workspace_id": workspace}
        job = await worker.queue.enqueue("recategorize_uncategorized", params, UUID(user.id))
        # A worker claims it, does the work, and dies before it can say so.
        dead = await worker.queue.claim(lease_seconds=0)
        assert dead is not None
        assert dead.id == job.id
        context = Context(settings, dead, worker.pool, worker.clock, worker.ledger)
        kind = KINDS[dead.kind]
        first = await kind.run(context, kind.params(workspace_id=UUID(workspace)))
        return [first, await worker.run_pending(10)]

    first, ran = run(settings, scenario)
    assert first["recategorized"] == 3
    [again] = [job for job in ran if job.kind == "recategorize_uncategorized"]
    assert (again.status, again.attempts) == (Status.DONE, 2)
    assert again.result is not None
    assert again.result["recategorized"] == 0
    assert categorized_events(settings, [*ids, other]) == dict.fromkeys(ids, 1)
    listed = api.read(user, f"/api/workspaces/{workspace}/transactions/{ids[0]}", first["position"])
    assert (listed["category_id"], listed["categorized_by"]) == (groceries, "rule")


def test_due_digests_are_mailed_by_the_job_at_the_workers_clock_and_once(
    own_schema: Settings,
) -> None:
    later = datetime(2040, 1, 2, tzinfo=UTC)

    async def scenario(worker: Worker) -> list[Job]:
        async with worker.pool.connection() as conn:
            await conn.execute(DIGEST_DDL)
            await conn.execute(
                "INSERT INTO notifier_digests (event_id, recipient, due_at, line) VALUES "
                "(gen_random_uuid(), 'ada@example.com', %s, 'Food: 80%% spent'), "
                "(gen_random_uuid(), 'bob@example.com', %s, 'Rent: 100%% spent')",
                (later - timedelta(days=1), later + timedelta(days=1)),
            )
        ran = []
        for _ in range(2):  # the second run finds nothing due any more
            await worker.queue.enqueue("send_due_digests", {}, None)
            ran += await worker.run_pending(1)
        async with worker.pool.connection() as conn:
            mails = await (await conn.execute("SELECT recipient, body FROM dev_mailbox")).fetchall()
        assert [(m["recipient"], m["body"]) for m in mails] == [
            ("ada@example.com", "Food: 80% spent")
        ]
        return ran

    first, second = run(own_schema, scenario, clock=lambda: later)
    assert first.result == {"recipients": 1, "due_at": later.isoformat()}
    assert second.result == {"recipients": 0, "due_at": later.isoformat()}


def test_retrying_failed_webhooks_queues_again_the_failed_deliveries_of_live_subscriptions(
    own_schema: Settings,
) -> None:
    workspace, other = uuid4(), uuid4()

    async def scenario(worker: Worker) -> tuple[Job, dict[str, str]]:
        async with worker.pool.connection() as conn:
            await create_read_model_tables(conn, {"webhooks": webhooks_view.TABLES})
            await webhooks_view.create_delivery_tables(conn)
            subscriptions = {"live": uuid4(), "disabled": uuid4(), "elsewhere": uuid4()}
            for name, subscription_id in subscriptions.items():
                await conn.execute(
                    "INSERT INTO webhook_subscriptions (id, workspace_id, url, event_types, "
                    "secret_salt, enabled, created_position, version, created_at, updated_at) "
                    "VALUES (%s, %s, 'https://example.com/hook', '{}', 's', %s, 1, 1, now(), "
                    "now())",
                    (
                        subscription_id,
                        other if name == "elsewhere" else workspace,
                        name != "disabled",
                    ),
                )
            deliveries = {
                "failed": ("live", "FAILED"),
                "delivered": ("live", "DELIVERED"),
                "disabled": ("disabled", "FAILED"),
                "elsewhere": ("elsewhere", "FAILED"),
            }
            ids = {name: uuid4() for name in deliveries}
            for name, (subscription, status) in deliveries.items():
                await conn.execute(
                    "INSERT INTO webhook_deliveries (id, subscription_id, workspace_id, event_id, "
                    "event_type, position, body, status, failures) "
                    "VALUES (%s, %s, %s, gen_random_uuid(), 't', 1, '', %s, 7)",
                    (
                        ids[name],
                        subscriptions[subscription],
                        other if subscription == "elsewhere" else workspace,
                        status,
                    ),
                )
        await worker.queue.enqueue("retry_failed_webhooks", {"workspace_id": str(workspace)}, None)
        [job] = await worker.run_pending(1)
        async with worker.pool.connection() as conn:
            rows = await (
                await conn.execute("SELECT id, status, failures FROM webhook_deliveries")
            ).fetchall()
        by_id = {row["id"]: f"{row['status']}/{row['failures']}" for row in rows}
        return job, {name: by_id[ids[name]] for name in ids}

    job, statuses = run(own_schema, scenario)
    assert job.result == {"requeued": 1}
    assert statuses == {
        "failed": "PENDING/0",
        "delivered": "DELIVERED/7",
        "disabled": "FAILED/7",
        "elsewhere": "FAILED/7",
    }

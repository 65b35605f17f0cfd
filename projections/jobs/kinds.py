"""Each job kind: its params (checked when it is queued) and what running it does.

A job may run again after its worker died mid-way, so each kind's effects are idempotent:
a rebuild replays into fresh tables, a verification only reads, a recategorization records a
category only on a transaction the aggregate still holds uncategorized, digests are deleted
as they are mailed (mail stays at-least-once, as the notifier's), a webhook retry re-queues
what is still FAILED, and expiring keys deletes what is expired.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from domain.base import Actor, ConflictError, InvalidInputError, natural_id
from domain.ledger.application import AutoCategorizer, Ledger
from domain.ledger.transaction import Transaction
from infra.idempotency import IdempotencyStore
from infra.jobs import Job, Pool
from infra.settings import Settings
from projections import rebuilds, registry, runtime
from projections.jobs.verify import verify
from projections.notifier.projector import Notifier

CHUNK = 100  # transactions recategorized per save: one transaction of the store each
CONFLICT_RETRIES = 3
OPERATOR_ID = natural_id("operator")  # the actor of a job nobody queued by request


class LeaseLostError(Exception):
    """Another run took the job (this one's lease expired): this one stops."""


@dataclass
class Context:
    """What a running job sees: its row, the services, a clock, and where to report."""

    settings: Settings
    job: Job
    pool: Pool
    clock: Callable[[], datetime]
    ledger: Callable[[], Awaitable[Ledger]]
    progress: float | None = None
    lost: bool = field(default=False)

    def report(self, done: int, total: int) -> None:
        """Progress, sent with the next extension of the lease."""
        self.progress = 1.0 if total == 0 else min(done / total, 1.0)

    def check_lease(self) -> None:
        """Between steps of work done in a thread, which cancelling cannot stop."""
        if self.lost:
            raise LeaseLostError

    @property
    def actor(self) -> Actor:
        return Actor(
            self.job.created_by or OPERATOR_ID, self.job.correlation_id or f"job-{self.job.id}"
        )


class ReadModel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str


class InWorkspace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    workspace_id: UUID


class MaybeInWorkspace(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    workspace_id: UUID | None = None


class NoParams(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    pass


Result = dict[str, Any]


async def rebuild_projection(context: Context, params: ReadModel) -> Result:
    [projection] = registry.select(context.settings, [params.name])
    return {"position": await rebuilds.rebuild(context.settings, projection)}


async def verify_projection(context: Context, params: ReadModel) -> Result:
    [projection] = registry.select(context.settings, [params.name])
    return await verify(context.settings, projection)


async def recategorize_uncategorized(context: Context, params: InWorkspace) -> Result:
    candidates = await _uncategorized(context.pool, params.workspace_id)
    ledger = await context.ledger()
    return await asyncio.to_thread(_recategorize, context, ledger, params.workspace_id, candidates)


async def _uncategorized(pool: Pool, workspace_id: UUID) -> list[UUID]:
    """Which transactions may be uncategorized, from the transactions read model once it has
    reached the head of the log; each is checked again on its aggregate."""
    async with pool.connection() as conn:
        head = await (
            await conn.execute(
                "SELECT coalesce(max(notification_id), 0) AS n FROM centsource_events"
            )
        ).fetchone()
        await runtime.wait_for_projections(conn, ("transactions",), head["n"] if head else 0)
        rows = await (
            await conn.execute(
                "SELECT id FROM transactions WHERE workspace_id = %s AND category_id IS NULL "
                "AND NOT deleted AND transfer_id IS NULL ORDER BY date, id",
                (workspace_id,),
            )
        ).fetchall()
    return [row["id"] for row in rows]


def _recategorize(
    context: Context, ledger: Ledger, workspace_id: UUID, candidates: list[UUID]
) -> Result:
    recategorized, position = 0, 0
    for start in range(0, len(candidates), CHUNK):
        context.check_lease()
        chunk = candidates[start : start + CHUNK]
        for attempt in range(CONFLICT_RETRIES):
            try:
                changed, saved = _recategorize_chunk(ledger, workspace_id, chunk, context.actor)
                break
            except ConflictError:  # a user (or a run that lost its lease) changed one: reload
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        recategorized += changed
        position = max(position, saved)
        context.report(start + len(chunk), len(candidates))
    return {"candidates": len(candidates), "recategorized": recategorized, "position": position}


def _recategorize_chunk(
    ledger: Ledger, workspace_id: UUID, chunk: list[UUID], actor: Actor
) -> tuple[int, int]:
    """The auto-categorizer's category (rules, then what was learned) for each transaction of
    the chunk that its aggregate still holds uncategorized, whole and live; one save."""
    categorizer = AutoCategorizer(ledger, workspace_id, ledger.categories(workspace_id, actor))
    changed = []
    for transaction_id in chunk:
        transaction = ledger.find(Transaction, transaction_id)
        if (
            transaction is None
            or transaction.workspace_id != workspace_id
            or transaction.deleted
            or transaction.splits
            or transaction.origin.transfer_id is not None
            or transaction.details.category_id is not None
        ):
            continue
        details, categorization = categorizer.categorize(transaction.details)
        if details.category_id is None:
            continue
        transaction.categorize(details.category_id, actor, categorization)
        changed.append(transaction)
    return len(changed), ledger.save_all(*changed)


async def send_due_digests(context: Context, _: NoParams) -> Result:
    now = context.clock()
    async with context.pool.connection() as conn:
        try:
            row = await (
                await conn.execute(
                    "SELECT count(DISTINCT recipient) AS n FROM notifier_digests "
                    "WHERE due_at <= %s",
                    (now,),
                )
            ).fetchone()
        except psycopg.errors.UndefinedTable:  # no alert was ever kept for a digest
            return {"recipients": 0, "due_at": now.isoformat()}
    notifier = Notifier(context.settings, clock=lambda: now)
    try:
        await notifier.idle()  # each recipient's lines deleted as their mail goes
    finally:
        await notifier.close()
    return {"recipients": row["n"] if row else 0, "due_at": now.isoformat()}


async def retry_failed_webhooks(context: Context, params: MaybeInWorkspace) -> Result:
    """FAILED deliveries of live subscriptions go back to PENDING with their retry schedule
    started over, as a redelivery does; one statement, so a run that dies did all or none."""
    async with context.pool.connection() as conn:
        try:
            cursor = await conn.execute(
                "UPDATE webhook_deliveries d SET status = 'PENDING', failures = 0, "
                "next_attempt_at = now() FROM webhook_subscriptions s "
                "WHERE s.id = d.subscription_id AND s.enabled AND NOT s.deleted "
                "AND d.status = 'FAILED' AND (%(ws)s::uuid IS NULL OR d.workspace_id = %(ws)s)",
                {"ws": params.workspace_id},
            )
        except psycopg.errors.UndefinedTable:  # no dispatcher has run: nothing was delivered
            return {"requeued": 0}
    return {"requeued": cursor.rowcount}


async def expire_idempotency_keys(context: Context, _: NoParams) -> Result:
    store = IdempotencyStore(context.pool)
    await store.create_table()
    return {"forgotten": await store.forget_expired()}


@dataclass(frozen=True)
class Kind:
    params: type[msgspec.Struct]
    run: Callable[[Context, Any], Awaitable[Result]]


KINDS: dict[str, Kind] = {
    "rebuild_projection": Kind(ReadModel, rebuild_projection),
    "verify_projection": Kind(ReadModel, verify_projection),
    "recategorize_uncategorized": Kind(InWorkspace, recategorize_uncategorized),
    "send_due_digests": Kind(NoParams, send_due_digests),
    "retry_failed_webhooks": Kind(MaybeInWorkspace, retry_failed_webhooks),
    "expire_idempotency_keys": Kind(NoParams, expire_idempotency_keys),
}
# msgspec's messages name the field at their end, or in backquotes.
_AT = re.compile(r" - at `\$\.(\w+)")
_NAMED = re.compile(r"field `(\w+)`")


def parse_params(kind: str, params: dict[str, Any]) -> msgspec.Struct:
    """The kind's params Struct; InvalidInputError naming ``kind`` or ``params.<field>``."""
    if kind not in KINDS:
        raise InvalidInputError(f"unknown job kind; known: {', '.join(KINDS)}", "kind")
    try:
        parsed = msgspec.convert(params, KINDS[kind].params)
    except msgspec.ValidationError as error:
        found = _AT.search(str(error)) or _NAMED.search(str(error))
        name = f"params.{found.group(1)}" if found else "params"
        raise InvalidInputError(_AT.sub("", str(error)), name) from None
    if isinstance(parsed, ReadModel) and parsed.name not in registry.READ_MODELS:
        raise InvalidInputError(
            f"not a read model; one of {', '.join(registry.READ_MODELS)}", "params.name"
        )
    return parsed


def check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The params as they are stored: checked, unknown fields refused, defaults filled."""
    checked: dict[str, Any] = msgspec.to_builtins(parse_params(kind, params))
    return checked


def now() -> datetime:
    return datetime.now(UTC)

"""``centsource webhooks``: takes events from JetStream and POSTs them, signed, to subscribers.

Two halves, joined by the ``webhook_deliveries`` table:

- intake: a durable JetStream pull consumer (every dispatcher process pulls from the same
  one, so they share the work). Each public event becomes one delivery row per subscription
  and type it wants, keyed ``uuid5(subscription, event)`` (``event/account`` for an
  account.balance_updated). A fetched batch's rows are written in one transaction before its
  messages are acked: a crash in between redelivers the messages and the inserts find the
  rows there.
- senders: each claims the most overdue delivery (the log's order among equals) with
  ``FOR UPDATE SKIP LOCKED`` and keeps the row locked while it POSTs. A dispatcher killed
  mid-POST rolls back, and the delivery is sent again with the same ``webhook-id``; a receiver
  that dedupes on it sees each event once. A failure waits on the retry schedule, so a dead
  subscriber's deliveries never hold up the others'.

Every connection goes through ``GuardedTransport``: unless CENTSOURCE_WEBHOOK_ALLOW_PRIVATE,
the host is resolved once, refused if it is not public, and connected to at the addresses
checked. A refusal is one failed attempt, the reason in the delivery log, and no retry: the
policy will not change before the next. Redirects are not followed (a 3xx is a failure).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import httpx
import msgspec
import nats.errors
import psycopg
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from domain.webhooks.application import Webhooks
from infra import broker, database, metrics
from infra.logs import configure_logging
from infra.settings import Settings
from infra.tasks import first_failure, retrying, run_until_signalled, wait_until_set
from infra.webhooks import (
    GuardedTransport,
    RefusedDestinationError,
    backoff,
    parse_schedule,
    retry_after_seconds,
    signed_headers,
)
from infra.webhooks import subscription_secret as secret_for
from projections.decoding import domain_event
from projections.ledger import view as ledger
from projections.relay.projector import cloud_event
from projections.runtime import (
    BATCH_SIZE,
    EVENTS_TABLE,
    create_read_model_tables,
    read_log,
    wait_for_projections,
)
from projections.webhooks import view
from projections.webhooks.projector import WebhooksProjection
from projections.webhooks.public import (
    BALANCE_UPDATED,
    MOVES_BALANCES,
    PUBLIC_TYPES,
    balance_payload,
    event_type,
    goes_out,
    payload,
    public_type,
)

log = structlog.get_logger("webhooks")
FETCH = 50
IDLE_SECONDS = 0.5
QUEUE_SAMPLE_SECONDS = 5.0  # how often the queue's depth is counted (a partial index)
REQUESTS = ("WebhookSubscriptionRedeliveryRequested", "WebhookSubscriptionReplayRequested")

Pool = Any  # psycopg_pool.AsyncConnectionPool of dict rows


def consumer_name(settings: Settings) -> str:
    """One durable consumer per installation (its schema), shared by its dispatchers."""
    return f"webhooks_{settings.database_schema}"


def delivery_id(subscription_id: UUID, key: str) -> UUID:
    """``key``: the event's id, or what ``_outgoing`` makes of it for each of its types."""
    return uuid5(subscription_id, key)


class Dispatcher:
    def __init__(self, settings: Settings, reported: metrics.WebhookMetrics | None = None) -> None:
        self.settings = settings
        self.metrics = reported or metrics.WebhookMetrics()
        self.schedule = parse_schedule(settings.webhook_retry_schedule)
        self.pool: Pool = database.async_pool(settings, max_size=settings.webhook_workers + 2)
        self.wake = asyncio.Event()

    async def run(self) -> None:
        # The dispatcher may be the first process to start. Off the loop: both wait for locks.
        await asyncio.to_thread(database.create_schema, self.settings)
        self.webhooks = await asyncio.to_thread(Webhooks, database.event_store_env(self.settings))
        await self.pool.open()
        try:
            async with self.pool.connection() as conn:
                # The senders read the subscriptions' table, which may not be made yet.
                await create_read_model_tables(conn, {WebhooksProjection.name: view.TABLES})
                await view.create_delivery_tables(conn)
            async with httpx.AsyncClient(
                timeout=self.settings.webhook_timeout,
                transport=GuardedTransport(self.settings.webhook_allow_private),
                follow_redirects=False,  # a redirect could lead anywhere, past the check
                trust_env=False,
            ) as http:
                await first_failure(
                    self.take_events(),
                    *(self.send_deliveries(http) for _ in range(self.settings.webhook_workers)),
                    self.count_queue(),
                )
        finally:
            await self.pool.close()
            self.webhooks.close()

    # Intake

    async def take_events(self) -> None:
        client = await broker.connect(self.settings.nats)
        try:
            js = client.jetstream()
            await broker.ensure_stream(js, self.settings.nats_stream)
            subscription = await self._subscribe(js)
            while True:
                try:
                    messages = await subscription.fetch(FETCH, timeout=1)
                except nats.errors.TimeoutError:
                    continue
                await self.take(messages)
        finally:
            await client.close()

    async def _subscribe(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        name = consumer_name(self.settings)
        try:
            await js.consumer_info(self.settings.nats_stream, name)
        except NotFoundError:
            # A new consumer starts at the oldest subscription, or now when there is none:
            # earlier events have nobody to go to. A minute before, for events published while
            # it was being made, and for clocks.
            start = await self._oldest_subscription() or datetime.now(UTC)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                # A message taken by a dispatcher that died comes back after this; taking one
                # twice is harmless (deliveries are keyed), so it can be short.
                ack_wait=10,
                max_ack_pending=1000,
                inactive_threshold=86_400,  # a consumer unused for a day is dropped
                deliver_policy=DeliverPolicy.BY_START_TIME,
                opt_start_time=start - timedelta(minutes=1),
            )
            return await js.pull_subscribe(
                f"{broker.SUBJECT_PREFIX}.>",
                durable=name,
                stream=self.settings.nats_stream,
                config=config,
            )
        return await js.pull_subscribe_bind(durable=name, stream=self.settings.nats_stream)

    async def _oldest_subscription(self) -> datetime | None:
        async with self.pool.connection() as conn:
            try:
                row = await (
                    await conn.execute("SELECT min(created_at) AS at FROM webhook_subscriptions")
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                return None
        return None if row is None else row["at"]

    async def take(self, messages: list[Msg]) -> None:
        """A fetched batch: its deliveries made in one transaction, then each message acked."""
        envelopes = [msgspec.json.decode(message.data) for message in messages]
        wanted = await self._ours(
            [e for e in envelopes if event_type(e) in REQUESTS or goes_out(e)]
        )
        if wanted:
            await self._wait_for_subscriptions(max(e["position"] for e in wanted))
            async with self.pool.connection() as conn, conn.transaction():
                subscriptions: dict[str, list[dict[str, Any]]] = {}
                for envelope in wanted:
                    kind = event_type(envelope)
                    if kind == "WebhookSubscriptionRedeliveryRequested":
                        await self._redeliver(conn, envelope)
                    elif kind == "WebhookSubscriptionReplayRequested":
                        await self._replay(conn, envelope)
                    else:
                        await self._fan_out(conn, envelope, subscriptions)
            self.wake.set()
        for message in messages:
            await message.ack()

    async def _ours(self, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Those of the events in this installation's log (one NATS may serve several)."""
        if not envelopes:
            return []
        async with self.pool.connection() as conn:
            try:
                rows = await (
                    await conn.execute(
                        f"SELECT notification_id, originator_id FROM {EVENTS_TABLE} "  # noqa: S608
                        "WHERE notification_id = ANY(%s)",
                        ([e["position"] for e in envelopes],),
                    )
                ).fetchall()
            except psycopg.errors.UndefinedTable:  # nothing written here yet
                return []
        logged = {(row["notification_id"], str(row["originator_id"])) for row in rows}
        return [e for e in envelopes if (e["position"], e["subject"]) in logged]

    async def _fan_out(
        self, conn: Any, envelope: dict[str, Any], subscriptions: dict[str, list[dict[str, Any]]]
    ) -> None:
        """One delivery per subscription that existed before the event and wants its type.
        ``subscriptions``: the live ones of each workspace, as read for this batch."""
        workspace_id = envelope["workspaceid"]
        if workspace_id not in subscriptions:
            subscriptions[workspace_id] = await (
                await conn.execute(
                    "SELECT id, event_types, created_position FROM webhook_subscriptions "
                    "WHERE workspace_id = %s AND enabled AND NOT deleted",
                    (workspace_id,),
                )
            ).fetchall()
        rows = [
            s for s in subscriptions[workspace_id] if s["created_position"] < envelope["position"]
        ]
        if not rows:
            return
        wanted = (
            None
            if any(not row["event_types"] for row in rows)
            else {t for row in rows for t in row["event_types"]}
        )
        await self._add(
            conn,
            [
                (row["id"], envelope, key, kind, body)
                for key, kind, body in await self._outgoing(conn, envelope, wanted)
                for row in rows
                if not row["event_types"] or kind in row["event_types"]
            ],
            again=False,
        )

    async def _outgoing(
        self, conn: Any, envelope: dict[str, Any], wanted: set[str] | None
    ) -> list[tuple[str, str, bytes]]:
        """What the event goes out as, of the types wanted (None: all): ``(key, type, body)``
        each, keyed by the event's id, and by the account for account.balance_updated."""
        out = []
        kind = public_type(envelope)
        if kind is not None and (wanted is None or kind in wanted):
            out.append((envelope["id"], kind, msgspec.json.encode(payload(envelope, kind))))
        moves = event_type(envelope) in MOVES_BALANCES
        if moves and (wanted is None or BALANCE_UPDATED in wanted):
            # Balances come from the ledger projection, once it has the event.
            await wait_for_projections(conn, ("ledger",), envelope["position"])
            for move in await ledger.balance_moves(conn, envelope["position"]):
                body = balance_payload(
                    envelope, move.account_id, move.change, move.balance, move.currency
                )
                key = f"{envelope['id']}/{move.account_id}"
                out.append((key, BALANCE_UPDATED, msgspec.json.encode(body)))
        return out

    async def _add(
        self,
        conn: Any,
        deliveries: list[tuple[UUID, dict[str, Any], str, str, bytes]],
        again: bool,
    ) -> None:
        """``(subscription id, envelope, key, type, body)`` each; ``again``: a delivery there
        already is sent once more."""
        if not deliveries:
            return
        on_conflict = (
            "DO UPDATE SET status = 'PENDING', failures = 0, next_attempt_at = now()"
            if again
            else "DO NOTHING"
        )
        async with conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO webhook_deliveries (id, subscription_id, workspace_id, event_id, "  # noqa: S608
                "event_type, position, body, next_attempt_at) "
                f"VALUES (%s, %s, %s, %s, %s, %s, %s, now()) ON CONFLICT (id) {on_conflict}",
                [
                    (
                        delivery_id(subscription_id, key),
                        subscription_id,
                        envelope["workspaceid"],
                        envelope["id"],
                        kind,
                        envelope["position"],
                        body,
                    )
                    for subscription_id, envelope, key, kind, body in deliveries
                ],
            )

    async def _wait_for_subscriptions(self, position: int) -> None:
        async with self.pool.connection() as conn:
            await wait_for_projections(conn, (WebhooksProjection.name,), position)

    async def _redeliver(self, conn: Any, envelope: dict[str, Any]) -> None:
        await conn.execute(
            "UPDATE webhook_deliveries SET status = 'PENDING', failures = 0, "
            "next_attempt_at = now() WHERE id = %s AND subscription_id = %s",
            (envelope["data"]["delivery_id"], envelope["subject"]),
        )

    async def _replay(self, conn: Any, envelope: dict[str, Any]) -> None:
        """Every public event of the workspace after ``from_position``, up to the request,
        delivered again to this one subscription (same ids: a receiver can tell)."""
        subscription_id = UUID(envelope["subject"])
        after, until = envelope["data"]["from_position"], envelope["position"]
        topics = {*PUBLIC_TYPES, *MOVES_BALANCES}
        found = await (
            await conn.execute(
                "SELECT event_types FROM webhook_subscriptions WHERE id = %s", (subscription_id,)
            )
        ).fetchone()
        wanted = set(found["event_types"]) if found and found["event_types"] else None
        while True:
            async with conn.cursor() as cur:
                rows = await read_log(cur, after, until - 1, BATCH_SIZE)
            if not rows:
                return
            deliveries = []
            for row in rows:
                after = row["notification_id"]
                if row["topic"].rpartition(":")[2].replace(".", "") not in topics:
                    continue
                event = domain_event(row)
                if str(event.workspace_id) != envelope["workspaceid"]:
                    continue
                replayed = msgspec.json.decode(cloud_event(event, row["notification_id"]))
                deliveries += [
                    (subscription_id, replayed, key, kind, body)
                    for key, kind, body in await self._outgoing(conn, replayed, wanted)
                ]
            await self._add(conn, deliveries, again=True)

    async def count_queue(self) -> None:
        while True:
            try:
                async with self.pool.connection() as conn:
                    row = await (
                        await conn.execute(
                            "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'PENDING'"
                        )
                    ).fetchone()
                self.metrics.queue_depth.set(row["n"] if row else 0)
            except psycopg.OperationalError as error:
                log.warning("queue not counted; database unavailable", error=str(error))
            await asyncio.sleep(QUEUE_SAMPLE_SECONDS)

    # Senders

    async def send_deliveries(self, http: httpx.AsyncClient) -> None:
        while True:
            try:
                sent = await self.send_next(http)
            except psycopg.OperationalError as error:
                log.warning("database unavailable; retrying", error=str(error))
                await asyncio.sleep(1)
                continue
            if not sent:
                self.wake.clear()
                await wait_until_set(self.wake, IDLE_SECONDS)

    async def send_next(self, http: httpx.AsyncClient) -> bool:
        """Sends the most overdue delivery, if one is due; False when none is."""
        gone: UUID | None = None
        async with self.pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(
                    "SELECT d.id, d.subscription_id, d.body, d.failures, d.event_type, "
                    "s.url, s.secret_salt, s.enabled AND NOT s.deleted AS live "
                    "FROM webhook_deliveries d "
                    "LEFT JOIN webhook_subscriptions s ON s.id = d.subscription_id "
                    "WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() "
                    "ORDER BY d.next_attempt_at, d.position LIMIT 1 FOR UPDATE OF d SKIP LOCKED"
                )
            ).fetchone()
            if row is None:
                return False
            if not row["live"]:
                self.metrics.count_delivery("cancelled")
                await conn.execute(
                    "UPDATE webhook_deliveries SET status = 'CANCELLED', next_attempt_at = NULL "
                    "WHERE id = %s",
                    (row["id"],),
                )
                return True
            code, error, retry_after, latency, refused = await self._post(http, row)
            await conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, "
                "latency_ms, error) SELECT %s, count(*) + 1, now(), %s, %s, %s "
                "FROM webhook_attempts WHERE delivery_id = %s",
                (row["id"], code, latency, error, row["id"]),
            )
            if code is not None and 200 <= code < 300:
                outcome = "delivered"
                await conn.execute(
                    "UPDATE webhook_deliveries SET status = 'DELIVERED', delivered_at = now(), "
                    "next_attempt_at = NULL WHERE id = %s",
                    (row["id"],),
                )
            elif code == 410 or refused:
                outcome = "failed"
                await conn.execute(
                    "UPDATE webhook_deliveries SET status = 'FAILED', next_attempt_at = NULL "
                    "WHERE id = %s",
                    (row["id"],),
                )
                gone = row["subscription_id"] if code == 410 else None
            else:
                failures = row["failures"] + 1
                delay = backoff(self.schedule, failures, retry_after)
                outcome = "failed" if delay is None else "retrying"
                await conn.execute(
                    "UPDATE webhook_deliveries SET failures = %s, "
                    "status = CASE WHEN %s::float8 IS NULL THEN 'FAILED' ELSE 'PENDING' END, "
                    "next_attempt_at = now() + make_interval(secs => %s::float8) WHERE id = %s",
                    (failures, delay, delay, row["id"]),
                )
            self.metrics.count_delivery(outcome)
            # A failed attempt is a warning: its subscriber may be down or refusing.
            (log.info if outcome == "delivered" else log.warning)(
                "delivery" if outcome == "delivered" else f"delivery {outcome}",
                delivery_id=str(row["id"]),
                subscription_id=str(row["subscription_id"]),
                type=row["event_type"],
                status_code=code,
                error=error,
                ms=latency,
            )
        if gone is not None:
            await asyncio.to_thread(
                self.webhooks.disable_gone, gone, "the subscriber answered 410 Gone", "webhooks"
            )
        return True

    async def _post(
        self, http: httpx.AsyncClient, row: dict[str, Any]
    ) -> tuple[int | None, str | None, float | None, float, bool]:
        """``(status code, error, Retry-After seconds, latency in ms, refused by policy)``."""
        now = datetime.now(UTC)
        secret = secret_for(self.settings.secret, row["subscription_id"], row["secret_salt"])
        body = bytes(row["body"])
        headers = signed_headers(secret, view.webhook_id(row["id"]), body, now)
        started = time.perf_counter()
        try:
            response = await http.post(row["url"], content=body, headers=headers)
        except (RefusedDestinationError, httpx.InvalidURL) as refused:
            latency = round((time.perf_counter() - started) * 1000, 2)
            return None, f"refused: {refused}"[:500], None, latency, True
        except httpx.HTTPError as error:
            latency = round((time.perf_counter() - started) * 1000, 2)
            return None, f"{type(error).__name__}: {error}"[:500], None, latency, False
        latency = round((time.perf_counter() - started) * 1000, 2)
        retry_after = retry_after_seconds(response.headers.get("retry-after"), now)
        return response.status_code, None, retry_after, latency, False


async def dispatch(settings: Settings, reported: metrics.WebhookMetrics | None = None) -> None:
    """Runs the dispatcher until cancelled; when a service goes away, starts over."""
    await retrying(
        lambda: Dispatcher(settings, reported).run(), log, "dispatcher interrupted; retrying"
    )


def serve(settings: Settings) -> None:
    """``centsource webhooks``."""
    configure_logging(settings.log_level)

    reported = metrics.WebhookMetrics()
    metrics.serve(reported, settings.host, metrics.port_of(settings.metrics_port, "webhooks"))

    run_until_signalled(lambda: dispatch(settings, reported), log)

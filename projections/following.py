"""Projections following the log live: one listener per process wakes its runners on every
insert; each runner catches up in batches, or passes over rows its projection does not
handle, and records a failing batch and tries again, slower.

The runners of a process share a LogWatcher: one LISTEN connection, and the topics of the
log's latest rows, read once after each insert for all of them.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import OrderedDict
from typing import Any
from uuid import UUID

import psycopg
import structlog
from psycopg import sql

from domain.base import changes_query
from infra.health import FAILING_AFTER
from infra.metrics import ProjectionMetrics
from infra.settings import Settings
from infra.tasks import OUTAGES, retrying, wait_until_set
from projections.decoding import domain_event
from projections.partitions import Partition, PartitionCountError
from projections.runtime import (
    EVENTS_CHANNEL,
    EVENTS_TABLE,
    Projection,
    announcing,
    catch_up,
    open_connection,
    prepare_runner,
)

IDLE_RECHECK_SECONDS = 10.0  # a safety net should a notification be missed; not a poll loop
MAX_RETRY_SECONDS = 30.0

log = structlog.get_logger("projections")

# How many of the log's latest rows a process keeps the topics of, for its runners, and for
# how long without a notification before it reads them again (a runner that woke with none,
# after IDLE_RECHECK_SECONDS, looks at the log itself).
RECENT_ROWS = 5_000
KEPT_ROWS_SECONDS = 1.0
# The topic of every row after a position, up to the log's last one (planned without
# statistics of the log, as a command's question of what changed).
RECENT_QUERY = changes_query(sql.Identifier(EVENTS_TABLE).as_string(), "topic").encode()
# Moves a projection from one position to another, only if it still stands at the first,
# and announces it (no workspace's rows changed), in one statement.
PASS_OVER = sql.SQL(
    "WITH moved AS (UPDATE projection_positions SET position = %(to)s, updated_at = now(), "
    "failures = 0, failing_since = NULL, last_error = NULL "
    "WHERE name = %(name)s AND position = %(from)s RETURNING position) "
    "SELECT {} FROM moved"
).format(announcing(sql.Placeholder("name"), sql.SQL("position"), sql.Literal([])))


class DecodedEvents:
    """``decoding.domain_event`` for the runners of one process, each row decoded once for all of
    them: a projector's dozen runners follow the same rows, and decoding is most of what
    following costs (an import of 20,000 lines: the projector's CPU 8.9 → 7.3 s). Keeps the
    last KEPT events (~3.4 KB each; kept, they cost a lone reader ~2 µs an event in garbage
    collection, so a lone reader decodes with ``domain_event``). Handlers only read events
    (a rebuild hands one event to every read model too). Kept by aggregate and version, and
    taken only for the same bytes and topic: a process may read several schemas' logs."""

    KEPT = 5_000

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[UUID, int], tuple[bytes, str, Any]] = OrderedDict()

    def __call__(self, row: dict[str, Any]) -> Any:
        key = (row["originator_id"], row["originator_version"])
        kept = self._kept.get(key)
        if kept is not None and kept[0] == row["state"] and kept[1] == row["topic"]:
            return kept[2]  # compared as they came, not copied first
        event = domain_event(row)
        self._kept[key] = (bytes(row["state"]), row["topic"], event)
        if len(self._kept) > self.KEPT:
            self._kept.popitem(last=False)
        return event


class LogWatcher:
    """One LISTEN connection for every runner of a process: each waits for the next insert
    into the log (connections are few; a process runs a dozen projections).

    It also keeps the topics of the log's latest rows, read once for all the runners after
    each insert: a runner whose projection handles none of the rows after its position
    passes over them in one statement (``pass_over``) instead of a batch of its own (a
    transaction, a lock, the rows read, the position written and announced). Following
    commands live, most runners have nothing to handle most of the time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.changed = asyncio.Event()
        self._inserts = 0  # notifications heard since the listener connected
        self._read_at = -1  # _inserts when the rows below were read
        self._read_when = 0.0  # and time.monotonic() then
        self._start: int | None = None  # every row after it, up to the last read, is here
        self._rows: list[tuple[int, str]] = []  # (position, topic), in order
        self._conn: psycopg.AsyncConnection[dict[str, Any]] | None = None
        self._lock = asyncio.Lock()
        self.decoded = DecodedEvents()  # the rows' events, decoded once for every runner

    async def run(self) -> None:
        # Runners still look every IDLE_RECHECK_SECONDS while it is away.
        try:
            await retrying(self._listen, log, "log listener interrupted", MAX_RETRY_SECONDS)
        finally:
            if self._conn is not None:
                await self._conn.close()

    async def _listen(self) -> None:
        listener = await open_connection(self.settings)
        try:
            await listener.set_autocommit(True)
            await listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(EVENTS_CHANNEL)))
            self._start = None  # inserts may have gone unheard while it was away
            async for _ in listener.notifies():
                self._inserts += 1
                self.changed, changed = asyncio.Event(), self.changed
                changed.set()
        finally:
            self._start = None
            await listener.close()

    async def rows_after(self, position: int) -> list[tuple[int, str]] | None:
        """The position and topic of every row of the log after ``position``, as of the
        last insert heard; None where they are not all kept here."""
        async with self._lock:
            try:
                if (
                    self._start is None
                    or self._read_at != self._inserts
                    or time.monotonic() - self._read_when > KEPT_ROWS_SECONDS
                ):
                    await self._read(position)
            except psycopg.Error:  # no log yet, or the connection lost: the runner's batch
                self._start = None  # will say (and be retried) as it does
                return None
            if self._start is None or position < self._start:
                return None
            return self._rows[bisect.bisect_right(self._rows, (position, "\uffff")) :]

    async def pass_over(self, name: str, position: int, to: int) -> bool:
        """Moves the projection from ``position`` to ``to`` (it handles nothing between),
        unless another runner moved it first; says whether it did."""
        async with self._lock:
            try:
                conn = await self._connection()
                cursor = await conn.execute(PASS_OVER, {"name": name, "from": position, "to": to})
            except psycopg.Error:
                return False  # the runner's batch will meet it, and be retried as it is
            return cursor.rowcount == 1

    async def _read(self, position: int) -> None:
        inserts = self._inserts
        conn = await self._connection()
        if self._start is None:  # kept from the asking runner's position on
            self._start, self._rows = position, []
        last = self._rows[-1][0] if self._rows else self._start
        rows = await (await conn.execute(RECENT_QUERY, (last, RECENT_ROWS))).fetchall()
        if len(rows) == RECENT_ROWS:  # far behind: start again from the end
            self._start, self._rows = None, []
            return
        self._rows += [(row["notification_id"], row["topic"]) for row in rows]
        if len(self._rows) > RECENT_ROWS:
            self._start = self._rows[-RECENT_ROWS - 1][0]
            del self._rows[:-RECENT_ROWS]
        self._read_at, self._read_when = inserts, time.monotonic()

    async def _connection(self) -> psycopg.AsyncConnection[dict[str, Any]]:
        if self._conn is None or self._conn.closed:
            self._conn = await open_connection(self.settings)
            await self._conn.set_autocommit(True)
        return self._conn


async def run(
    settings: Settings,
    projection: Projection,
    watcher: LogWatcher,
    metrics: ProjectionMetrics | None = None,
    partition: Partition | None = None,
) -> None:
    """Catches up, then follows the log live; runs until cancelled, or until the projection
    is found to run as another number of partitions (PartitionCountError: said at error).

    When the database or the broker goes away, it waits and starts over from its committed
    position: a batch that did not commit is simply done again.
    """
    name = projection.name if partition is None else partition.key(projection.name)
    try:
        await retrying(
            lambda: _follow(settings, projection, watcher, metrics, partition),
            log,
            "projection interrupted; retrying",
            MAX_RETRY_SECONDS,
            projection=name,
        )
    except PartitionCountError as changed:
        # The runners of the other count apply its events; this one would apply them twice.
        # The process's other projections go on.
        log.error("projection stopped", projection=name, reason=str(changed))


async def _follow(
    settings: Settings,
    projection: Projection,
    watcher: LogWatcher,
    metrics: ProjectionMetrics | None,
    partition: Partition | None = None,
) -> None:
    name = projection.name if partition is None else partition.key(projection.name)
    conn = await open_connection(settings)
    try:
        await prepare_runner(settings, conn, projection, partition)
        position: int | None = None  # where its last batch left it
        while True:
            changed = watcher.changed  # taken first: an insert during catch-up is not missed
            try:
                passed = None
                if position is not None and partition is None:
                    passed = await _pass_over(projection, watcher, position, metrics)
                position = (
                    passed
                    if passed is not None
                    else await catch_up(
                        conn, projection, metrics, partition, decode=watcher.decoded
                    )
                )
                await projection.idle()
            except OUTAGES:
                raise  # run() waits for the database or the broker, then starts over
            except PartitionCountError:
                raise  # run() stops this runner
            except Exception as error:  # noqa: BLE001 - any other failure is recorded and retried
                failures = await record_failure(conn, name, error)
                if metrics is not None:
                    metrics.batch_failed(name, failures)
                # The other projections of the process go on; this one tries again, slower.
                await asyncio.sleep(min(2.0 ** (failures - 1), MAX_RETRY_SECONDS))
                continue
            await wait_until_set(changed, IDLE_RECHECK_SECONDS)
    finally:
        await projection.close()
        await conn.close()


async def _pass_over(
    projection: Projection, watcher: LogWatcher, position: int, metrics: ProjectionMetrics | None
) -> int | None:
    """Where the projection handles none of the rows after ``position`` (the watcher knows
    their topics), moves it past them in one statement; returns its new position. None: a
    batch must see to it (a row it handles, rows the watcher does not keep, or another
    runner moved it)."""
    rows = await watcher.rows_after(position)
    if rows is None or any(projection.wants(topic) for _, topic in rows):
        return None
    if not rows:
        return position
    to = rows[-1][0]
    if not await watcher.pass_over(projection.name, position, to):
        return None
    if metrics is not None:
        metrics.batch_committed(projection.name, to, len(rows), to, 0.0)
    return to


async def record_failure(
    conn: psycopg.AsyncConnection[dict[str, Any]], name: str, error: Exception
) -> int:
    """Counts a failed batch against the projection (its position stays); returns how many
    have failed in a row. The next batch that commits sets the count back to 0."""
    async with conn.transaction():
        row = await (
            await conn.execute(
                "UPDATE projection_positions SET failures = failures + 1, "
                "failing_since = coalesce(failing_since, now()), last_error = %s "
                "WHERE name = %s RETURNING failures, position",
                (type(error).__name__, name),
            )
        ).fetchone()
    failures = row["failures"] if row else 1
    # A retry is a warning; a projection that keeps failing (FAILING) is an error.
    report = log.error if failures >= FAILING_AFTER else log.warning
    report(
        "projection failing" if failures >= FAILING_AFTER else "batch failed; retrying",
        projection=name,
        position=row["position"] if row else None,
        failures=failures,
        error=f"{type(error).__name__}: {error}"[:1000],
    )
    return int(failures)

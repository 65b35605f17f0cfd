"""Runs projections: tracked, batched, exactly-once, and rebuildable without downtime (the
live following of the log is in ``following``, the rebuilds in ``rebuilds``, the log's rows
made events in ``decoding``).

A projection writes its rows and its position in one transaction, and the transaction
starts by locking the projection's row in ``projection_positions``. So a crash at any
moment leaves rows and position agreeing, and two runners of one projection (or a runner
and a rebuild) take turns instead of applying an event twice.

A projection may also run as N partitions by workspace (``partitions.Partition``), each
with its own row (``transactions#0/3`` …) and runner, all writing the same tables; its own
row then holds the least of their positions, which is what readers wait on.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple, TypeVar
from uuid import UUID, uuid5

import msgspec
import psycopg
import structlog
from eventsourcing.utils import get_topic
from psycopg import sql

from infra.database import DDL_LOCK, connection_kwargs, create_schema
from infra.metrics import ProjectionMetrics
from infra.settings import Settings
from projections.decoding import domain_event
from projections.partitions import Partition, PartitionCountError, partitions_of

EVENTS_TABLE = "centsource_events"
EVENTS_CHANNEL = "centsource_events"  # the event store NOTIFYs this channel on every insert
POSITIONS_CHANNEL = "centsource_projections"
ANNOUNCED_WORKSPACES = 100  # 100 ids in JSON take ~4,000 of a notification's 8,000 bytes
BATCH_SIZE = 500
MAX_POSITION = 2**63 - 1
WAIT_FOR_PROJECTIONS_SECONDS = 30.0  # notification ids are PostgreSQL bigints
# A catch-up is worth an info line when it took more than one batch, or its first event had
# waited longer than this.
CAUGHT_UP_AFTER_SECONDS = 5.0

log = structlog.get_logger("projections")

Cursor = psycopg.AsyncCursor[dict[str, Any]]
F = TypeVar("F", bound=Callable[..., Awaitable[None]])

POSITIONS_DDL = """
CREATE TABLE IF NOT EXISTS projection_positions (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    failures integer NOT NULL DEFAULT 0,
    failing_since timestamptz,
    last_error text
)
"""
# How a projection is failing: batches failed in a row since its last commit, since when, and
# the class of the last error. /health, `projections status` (and metrics) read them. Added to
# a table from before only where missing: ALTER TABLE would wait for every running batch.
FAILURE_COLUMNS_DDL = (
    "ALTER TABLE projection_positions "
    "ADD COLUMN IF NOT EXISTS failures integer NOT NULL DEFAULT 0, "
    "ADD COLUMN IF NOT EXISTS failing_since timestamptz, "
    "ADD COLUMN IF NOT EXISTS last_error text"
)


async def create_positions_table(conn: psycopg.AsyncConnection[Any]) -> None:
    await conn.execute(POSITIONS_DDL)
    present = await (
        await conn.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = 'projection_positions'::regclass "
            "AND attname = 'last_error' AND NOT attisdropped"
        )
    ).fetchone()
    if present is None:
        await conn.execute(FAILURE_COLUMNS_DDL)


def handles(*event_classes: type) -> Callable[[F], F]:
    """Marks a projection method as the handler of these event classes."""

    def mark(method: F) -> F:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """A read model: its tables, and one handler per event type it reacts to.

    Handlers get the cursor of the batch's transaction, the domain event and its position.
    A projection with ``every_event = True`` gets every event (the audit trail, the relay).
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]] = ()  # CREATE TABLE/INDEX statements, unqualified
    every_event: ClassVar[bool] = False
    _handlers: ClassVar[dict[str, str]]
    replaying = False  # set while a rebuild replays the log into fresh tables (rebuilds.py)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for attribute in dir(cls):
            for event_class in getattr(getattr(cls, attribute), "_handles", ()):
                cls._handlers[get_topic(event_class)] = attribute

    def wants(self, topic: str) -> bool:
        return self.every_event or topic in self._handlers

    async def process(self, cur: Cursor, event: Any, position: int) -> None:
        handler = self._handlers.get(get_topic(type(event)), "on_event")
        await getattr(self, handler)(cur, event, position)

    async def on_event(self, cur: Cursor, event: Any, position: int) -> None:
        """Handler for every event, where ``every_event`` is set."""
        raise NotImplementedError

    async def before_batch(self) -> None:
        """Called before each batch's events are handed over (the relay connects here)."""

    async def flush(self, cur: Cursor) -> None:
        """Writes what the batch's handlers gathered in memory, in the batch's transaction,
        once its events are handled: a projection that sums many events into few rows adds
        them up here and writes each row once per batch, not once per event."""

    async def after_batch(self) -> None:
        """Called once a batch's events are handled and flushed, before its transaction
        commits."""

    async def replayed(self, cur: Cursor) -> None:
        """Called once a rebuild has replayed the whole log, before its tables are analysed
        and swapped in: what is cheaper to derive from the rebuilt rows once than to keep
        event by event is derived here."""

    async def idle(self) -> None:
        """Called by a live runner each time it has caught up (and at least every
        ``following.IDLE_RECHECK_SECONDS``): work due on a clock, like a digest, goes here."""

    async def close(self) -> None:
        """Called when the runner stops."""


def event_id(event: Any) -> str:
    """An event's stable identity, the same for every reader and every replay."""
    return str(uuid5(event.originator_id, str(event.originator_version)))


def event_type(event: Any) -> str:
    """``TransactionRecorded`` for ``Transaction.Recorded``: aggregate, then what happened."""
    return type(event).__qualname__.replace(".", "")


_BASE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "workspace_id",
        "actor_id",
        "correlation_id",
    }
)


def event_payload(event: Any) -> dict[str, Any]:
    """The event's own fields; hashes of passwords and secrets are never handed out."""
    return {
        key: "[redacted]" if key.endswith("_hash") else value
        for key, value in vars(event).items()
        if key not in _BASE_FIELDS
    }


async def wait_for_projections(
    conn: psycopg.AsyncConnection[dict[str, Any]], names: tuple[str, ...], position: int
) -> None:
    """Until each named projection has reached the position: for a process that reads their
    tables. TimeoutError after WAIT_FOR_PROJECTIONS_SECONDS."""
    deadline = time.monotonic() + WAIT_FOR_PROJECTIONS_SECONDS
    while True:
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM projection_positions "
                "WHERE name = ANY(%s) AND position >= %s",
                (list(names), position),
            )
        ).fetchone()
        if row is not None and row["n"] == len(names):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{', '.join(names)} did not reach position {position}")
        await asyncio.sleep(0.05)


async def open_connection(
    settings: Settings, schema: str | None = None
) -> psycopg.AsyncConnection[dict[str, Any]]:
    kwargs = connection_kwargs(settings)
    if schema is not None:  # a rebuild writes to its own schema, and reads the log from the main
        kwargs["options"] = f"-c search_path={schema},{settings.database_schema}"
    return await psycopg.AsyncConnection.connect(settings.database, **kwargs)


async def create_tables(conn: psycopg.AsyncConnection[Any], projection: Projection) -> None:
    await create_read_model_tables(conn, {projection.name: projection.tables})


async def create_read_model_tables(
    conn: psycopg.AsyncConnection[Any], tables: dict[str, tuple[str, ...]]
) -> None:
    """Creates each named projection's tables and position row, where they are missing."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        await create_positions_table(conn)
        for name, statements in tables.items():
            for statement in statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO projection_positions (name) VALUES (%s) ON CONFLICT DO NOTHING",
                (name,),
            )


async def copy_rows(
    cur: Cursor, table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Any]
) -> None:
    """Writes ``rows`` (tuples of ``columns``, of PostgreSQL ``types``) into ``table`` by one
    binary COPY: a fraction of the time of an insert a row, pipelined or not."""
    async with cur.copy(_copy_statement(table, tuple(columns))) as copy:
        copy.set_types(list(types))
        for row in rows:
            await copy.write_row(row)


@functools.cache
def _copy_statement(table: str, columns: tuple[str, ...]) -> bytes:
    """Composed once per table and columns: composing it each time cost a rebuild 3 %."""
    return (
        sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)")
        .format(sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
        .as_bytes()
    )


def columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """``rows`` as one list per column: the parameters of one statement for a batch's rows,
    ``INSERT … SELECT * FROM unnest(%s::uuid[], …)`` (an upsert's rows must be unique)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


class Batch(NamedTuple):
    position: int  # where the projection stands after it
    events: int  # events of the log read (handled or not)
    waited: float  # seconds since its first event occurred (0 for none)


def occurred_at(event: Any) -> datetime:
    when: datetime = event.timestamp
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _age(event: Any) -> float:
    return max((datetime.now(UTC) - occurred_at(event)).total_seconds(), 0.0)


# The log's rows after a position, in order. It bounds the positions on one side only: with
# ``notification_id <= %s`` too, a log the server holds no statistics of yet (autovacuum has
# not analysed it, or runs not at all) is planned as a bitmap scan of every row after the
# position, then sorted, so each batch read the rest of the log (8.4 ms a batch of 500 at
# 22,000 events; 0.2 ms walking the index).
LOG_QUERY = sql.SQL(
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
).format(sql.Identifier(EVENTS_TABLE))


async def read_log(cur: Cursor, after: int, until: int, limit: int) -> list[dict[str, Any]]:
    """The log's rows after ``after`` up to ``until``, at most ``limit``, in order, in the
    cursor's transaction. They come in binary: the states' bytes as stored, not in hex."""
    async with cur.connection.cursor(binary=True) as binary:
        await binary.execute(LOG_QUERY, (after, limit))
        rows = await binary.fetchall()
    if rows and rows[-1]["notification_id"] > until:
        return [row for row in rows if row["notification_id"] <= until]
    return rows


async def apply_batch(
    cur: Cursor,
    projection: Projection,
    rows: list[dict[str, Any]],
    partition: Partition | None = None,
    events: list[Any] | None = None,
    decode: Callable[[dict[str, Any]], Any] = domain_event,
) -> tuple[set[UUID], Any]:
    """A batch's steps: the events the projection (and partition) wants, then its flush.
    ``events`` are the rows' events where a caller decoded them already (a rebuild of
    several read models decodes each once). Returns the workspaces of the events it
    handled, and the batch's first event if it decoded it."""
    workspaces: set[UUID] = set()
    first: Any = None
    await projection.before_batch()
    for index, stored in enumerate(rows):
        if not projection.wants(stored["topic"]):
            continue
        if partition is not None and not partition.owns(stored):
            continue
        event = events[index] if events is not None else decode(stored)
        first = event if index == 0 else first
        await projection.process(cur, event, stored["notification_id"])
        if (workspace_id := getattr(event, "workspace_id", None)) is not None:
            workspaces.add(workspace_id)
    await projection.flush(cur)
    await projection.after_batch()
    return workspaces, first


async def process_batch(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    projection: Projection,
    metrics: ProjectionMetrics | None = None,
    partition: Partition | None = None,
    until: int = MAX_POSITION,
    decode: Callable[[dict[str, Any]], Any] = domain_event,
) -> Batch:
    """Handles the next batch of events (up to position ``until``) in one transaction, each
    row's event made by ``decode`` (a projector's runners share ``following.DecodedEvents``).

    With ``metrics``, reports the position, the head and the lag once it commits. The lag is
    cheap: a batch shorter than BATCH_SIZE reached the head (lag 0); a full one asks the
    head (an index's last entry) and takes the age of its last event (one more decode).

    With a ``partition``, handles only its workspaces' events and moves its own row; then,
    under the lock of the projection's row, sets that row to the least of the partitions'
    positions (every partition has handled its events up to there). Whoever takes that lock
    last reads every other partition's commit, so the least is never left stale.
    """
    name = projection.name if partition is None else partition.key(projection.name)
    # A partition reads N times as many rows of the log for about as many of its own events:
    # N partitions commit about as often, together, as one runner would.
    limit = BATCH_SIZE if partition is None else BATCH_SIZE * partition.count
    started = time.perf_counter()
    async with conn.transaction(), conn.cursor() as cur:
        await cur.execute(
            "SELECT position, EXISTS (SELECT 1 FROM projection_positions "
            "WHERE starts_with(name, %s)) AS partitioned "
            "FROM projection_positions WHERE name = %s FOR UPDATE",
            (f"{projection.name}#", name),
        )
        row = await cur.fetchone()
        if partition is None:
            assert row is not None, f"projection {name} has no position row"
            if row["partitioned"]:
                raise PartitionCountError(f"{name} runs as partitions now, not as one")
        elif row is None:
            raise PartitionCountError(f"{projection.name} does not run as {partition.count} now")
        start = row["position"]
        rows = await read_log(cur, start, until, limit)
        if not rows:
            return Batch(start, 0, 0.0)
        workspaces, first = await apply_batch(cur, projection, rows, partition, decode=decode)
        position = rows[-1]["notification_id"]
        if first is None:
            first = decode(rows[0])
        waited = _age(first)
        head, lag_seconds = position, 0.0
        if len(rows) == limit:  # maybe behind
            head = await _head(cur)
            lag_seconds = _age(decode(rows[-1])) if head > position else 0.0
        await cur.execute(
            "UPDATE projection_positions SET position = %s, updated_at = now(), "
            "failures = 0, failing_since = NULL, last_error = NULL WHERE name = %s",
            (position, name),
        )
        settled = position
        if partition is not None:
            settled = await _settle_least(cur, projection.name)
        await announce(cur, projection.name, settled, workspaces)
    if metrics is not None:
        metrics.batch_committed(name, position, len(rows), head, lag_seconds)
    log.debug(
        "batch",
        projection=name,
        after=start,
        position=position,
        events=len(rows),
        workspaces=len(workspaces),
        ms=round((time.perf_counter() - started) * 1000, 2),
    )
    return Batch(position, len(rows), waited)


async def _settle_least(cur: Cursor, name: str) -> int:
    """The projection's row becomes the least of its partitions' positions, returned. Two
    statements: the second starts once the lock is held, so it sees what the lock's last
    holder committed (one UPDATE would compute the least from before it waited)."""
    await cur.execute("SELECT 1 FROM projection_positions WHERE name = %s FOR UPDATE", (name,))
    await cur.execute(
        "UPDATE projection_positions SET position = (SELECT min(position) "
        "FROM projection_positions WHERE starts_with(name, %s)), updated_at = now() "
        "WHERE name = %s RETURNING position",
        (f"{name}#", name),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row["position"])


class Announcement(msgspec.Struct, frozen=True):
    """What a projection's commit tells listeners on POSITIONS_CHANNEL: its schema (a
    rebuild's own schema, or another installation's, is not the listener's), its position
    after the commit, and the workspaces whose rows the commit changed (None: any)."""

    schema: str
    name: str
    position: int
    workspaces: list[UUID] | None


async def announce(
    cur: Cursor, name: str, position: int, workspaces: set[UUID] | None = None
) -> None:
    """Tells listeners, at commit, how far the projection got and whose rows it changed.
    A notification holds under 8,000 bytes: past ANNOUNCED_WORKSPACES it says "any"."""
    named = None if workspaces is None or len(workspaces) > ANNOUNCED_WORKSPACES else workspaces
    await cur.execute(
        sql.SQL("SELECT ") + announcing(sql.Placeholder(), sql.Placeholder(), sql.Placeholder()),
        (name, position, None if named is None else sorted(named)),
    )


def announcing(
    name: sql.Composable, position: sql.Composable, workspaces: sql.Composable
) -> sql.Composed:
    """The NOTIFY of an Announcement on POSITIONS_CHANNEL, as an SQL expression of the
    projection's name, its position and the workspaces changed (NULL: any)."""
    return sql.SQL(
        "pg_notify({}, json_build_object('schema', current_schema(), 'name', {}::text, "
        "'position', {}::bigint, 'workspaces', {}::uuid[])::text)"
    ).format(sql.Literal(POSITIONS_CHANNEL), name, position, workspaces)


async def _head(cur: Cursor) -> int:
    await cur.execute(
        sql.SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {}").format(
            sql.Identifier(EVENTS_TABLE)
        )
    )
    row = await cur.fetchone()
    return int(row["head"]) if row else 0


async def catch_up(
    conn: psycopg.AsyncConnection[dict[str, Any]],
    projection: Projection,
    metrics: ProjectionMetrics | None = None,
    partition: Partition | None = None,
    until: int = MAX_POSITION,
    decode: Callable[[dict[str, Any]], Any] = domain_event,
) -> int:
    """Handles batches until the head (or ``until``); says so at info when the projection was
    behind (more than one batch, or its first event had waited over CAUGHT_UP_AFTER_SECONDS)."""
    started = time.monotonic()
    batches = events = 0
    waited = 0.0
    while True:
        try:
            batch = await process_batch(conn, projection, metrics, partition, until, decode)
        except psycopg.errors.UndefinedTable as missing:
            # Projectors may start before the first command has created the event store.
            if EVENTS_TABLE not in str(missing):
                raise
            return 0
        batches, events = batches + 1, events + batch.events
        waited = batch.waited if batches == 1 else waited
        if batch.events < (BATCH_SIZE if partition is None else BATCH_SIZE * partition.count):
            if batches > 1 or waited > CAUGHT_UP_AFTER_SECONDS:
                log.info(
                    "caught up",
                    projection=projection.name
                    if partition is None
                    else partition.key(projection.name),
                    position=batch.position,
                    events=events,
                    batches=batches,
                    behind_seconds=round(waited, 1),
                    took_seconds=round(time.monotonic() - started, 1),
                )
            return batch.position


async def catch_up_once(
    settings: Settings, projection: Projection, partition: Partition | None = None
) -> int:
    """Brings the projection (or one partition of it) up to the head of the log, then
    returns its position."""
    conn = await open_connection(settings)
    try:
        await prepare_runner(settings, conn, projection, partition)
        return await catch_up(conn, projection, partition=partition)
    finally:
        await projection.close()
        await conn.close()


async def prepare_runner(
    settings: Settings,
    conn: psycopg.AsyncConnection[dict[str, Any]],
    projection: Projection,
    partition: Partition | None = None,
) -> None:
    """What a runner needs before its first batch: the schema, the projection's tables and
    position row, and its partition claimed."""
    # Off the loop: it waits for DDL_LOCK, which another runner here may hold.
    await asyncio.to_thread(create_schema, settings)
    await create_tables(conn, projection)
    if partition is not None:
        await claim(conn, projection, partition)


async def claim(
    conn: psycopg.AsyncConnection[dict[str, Any]], projection: Projection, partition: Partition
) -> None:
    """Before a partition's runner starts: a projection that runs as one is split into
    ``partition.count`` partitions from where it stands; one that runs as another count is
    left as it is (PartitionCountError: ``repartition`` changes the count)."""
    name = projection.name
    rows = await (
        await conn.execute(
            "SELECT name FROM projection_positions WHERE starts_with(name, %s)", (f"{name}#",)
        )
    ).fetchall()
    await conn.rollback()
    if not rows:
        await repartition(conn, projection, partition.count)
    elif partition.key(name) not in {row["name"] for row in rows}:
        count = rows[0]["name"].rpartition("/")[2]
        raise PartitionCountError(
            f"{name} runs as {count} partitions, not {partition.count}; "
            f"`centsource projections partition {name} {partition.count}` changes that"
        )


async def repartition(
    conn: psycopg.AsyncConnection[dict[str, Any]], projection: Projection, count: int
) -> int:
    """Makes the projection run as ``count`` partitions (1: as one), in one transaction;
    returns the position they all start from.

    Its current partitions may stand at different positions: the ones behind are first
    brought up to the one furthest on, so that every event up to there was handled once
    and none after. The rows of the old partitions are then replaced, so their runners
    stop (PartitionCountError) instead of applying events a second time. The projection's
    rows are locked partitions first, then its own row, the order its runners take them.
    """
    if count < 1:
        raise ValueError("a projection runs as 1 partition or more")
    name = projection.name
    async with conn.transaction(), conn.cursor() as cur:
        # Two runners splitting one projection at once: the second sees the first's split.
        await cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"partition {name}",))
        await cur.execute(
            "SELECT name, position FROM projection_positions WHERE starts_with(name, %s) "
            "ORDER BY name FOR UPDATE",
            (f"{name}#",),
        )
        rows = await cur.fetchall()
        await cur.execute(
            "SELECT position FROM projection_positions WHERE name = %s FOR UPDATE", (name,)
        )
        own = await cur.fetchone()
        assert own is not None, f"projection {name} has no position row"
        current = {Partition.parse(row["name"].rpartition("#")[2]): row["position"] for row in rows}
        counts = {partition.count for partition in current} or {1}
        if len(counts) > 1:
            raise PartitionCountError(f"{name} has rows of {sorted(counts)} partitions")
        [was] = counts
        if was == count and len(current) == (0 if count == 1 else count):
            return int(own["position"])
        target = max([own["position"], *current.values()])
        for partition, position in sorted(current.items()):
            if position < target:  # each batch nests as a savepoint
                await catch_up(conn, projection, partition=partition, until=target)
        await cur.execute(
            "DELETE FROM projection_positions WHERE starts_with(name, %s)", (f"{name}#",)
        )
        if count > 1:
            await cur.executemany(
                "INSERT INTO projection_positions (name, position) VALUES (%s, %s)",
                [(partition.key(name), target) for partition in partitions_of(count)],
            )
        await cur.execute(
            "UPDATE projection_positions SET position = %s, updated_at = now() WHERE name = %s",
            (target, name),
        )
        await announce(cur, name, target, set())
    log.info("partitioned", projection=name, partitions=count, was=was, position=target)
    return int(target)


async def positions(settings: Settings) -> tuple[int, dict[str, int]]:
    """The head of the log and each projection's position."""
    head, states = await standing(settings)
    return head, {name: state["position"] for name, state in states.items()}


async def standing(settings: Settings) -> tuple[int, dict[str, dict[str, Any]]]:
    """The head of the log, and each projection's position, failures in a row and last error."""
    conn = await open_connection(settings)
    try:
        # Under the lock the runners take to make it: made by two at once, one of them fails.
        await create_read_model_tables(conn, {})
        head_row = await (
            await conn.execute(
                sql.SQL("SELECT coalesce(max(notification_id), 0) AS head FROM {}").format(
                    sql.Identifier(EVENTS_TABLE)
                )
            )
        ).fetchone()
        rows = await (
            await conn.execute(
                "SELECT name, position, failures, failing_since, last_error "
                "FROM projection_positions"
            )
        ).fetchall()
        assert head_row is not None
        return head_row["head"], {row["name"]: row for row in rows}
    finally:
        await conn.close()

"""PostgreSQL: the event store's environment, pools, and the schema everything lives in."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import Cursor, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from infra.group_commit import GroupCommit, Save
from infra.settings import Settings

# Processes start together and each creates what it needs; DDL takes this lock so that two
# "CREATE ... IF NOT EXISTS" of the same object cannot collide.
DDL_LOCK = 0x63656E74
# The event store's own, apart: an application is made synchronously, sometimes on an event
# loop whose other tasks hold DDL_LOCK, and waiting for that lock there would deadlock.
EVENT_STORE_LOCK = DDL_LOCK + 1
# Connections to the event store a process keeps open, and at most has: one pool serves all
# of its applications (the command API runs seven).
EVENT_STORE_POOL = (2, 10)


def event_store_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL settings, taken from CENTSOURCE_DATABASE_URL."""
    info = conninfo_to_dict(settings.database)
    return {
        "PERSISTENCE_MODULE": "infra.database:SharedPostgresFactory",
        "POSTGRES_DBNAME": str(info.get("dbname", "postgres")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(info.get("port", "5432")),
        "POSTGRES_USER": str(info.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(info.get("password", "")),
        "POSTGRES_SCHEMA": settings.database_schema,
        "POSTGRES_POOL_SIZE": str(EVENT_STORE_POOL[0]),
        "POSTGRES_MAX_OVERFLOW": str(EVENT_STORE_POOL[1] - EVENT_STORE_POOL[0]),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "infra.database:ChunkedApplicationRecorder",
    }


class SharedPostgresFactory(PostgresFactory):
    """The library's factory, giving every application of a process on the same database and
    schema one pool, instead of one pool each: PostgreSQL's connections are few."""

    _shared: ClassVar[dict[tuple[str | None, ...], tuple[PostgresDatastore, int]]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, env: Any) -> None:
        super().__init__(env)  # its own datastore is dropped unused (a pool opens when used)
        self._key: tuple[str | None, ...] | None = tuple(
            self.env.get(name)
            for name in (
                self.POSTGRES_HOST,
                self.POSTGRES_PORT,
                self.POSTGRES_DBNAME,
                self.POSTGRES_USER,
                self.POSTGRES_SCHEMA,
            )
        )
        with self._lock:
            datastore, users = self._shared.get(self._key, (self.datastore, 0))
            self._shared[self._key] = (datastore, users + 1)
        self.datastore = datastore

    def close(self) -> None:
        """Closes the pool when the last application using it closes."""
        with self._lock:
            if self._key is None:
                return
            datastore, users = self._shared[self._key]
            if users > 1:
                self._shared[self._key] = (datastore, users - 1)
            else:
                del self._shared[self._key]
            self._key = None
        if users == 1:
            super().close()


class ChunkedApplicationRecorder(PostgresApplicationRecorder):
    """The library's recorder, making its tables while other processes make them too, and
    inserting without psycopg's pipeline mode, in statements of at most ``CHUNK_BYTES``.

    The library sends a save's statements in a pipeline. psycopg (3.3) flushes a pipeline's
    output only a few times once its last command is queued, then waits for results: bytes
    libpq could not yet write to the socket can stay in its buffer, and psycopg and the
    server (in ClientRead, mid-INSERT) then wait on each other for ever, the event table
    locked (psycopg#685). Whether bytes are left depends on how fast the server reads while
    psycopg flushes, not only on the save's size: the bigger the save, the likelier (over a
    unix socket's small buffers 1,200 lines hung on a busy machine), and a backend short of
    CPU, as on a stack just started, hangs a 500-line import (~0.5 MB; reproduced by
    stopping and resuming the backend every few milliseconds). Out of a pipeline psycopg
    writes every byte of a statement before it waits for its result.
    """

    # What one INSERT carries; an event bigger than this goes alone.
    CHUNK_BYTES = 256 * 1024
    # The most a save holding the event table's lock waits on its client: past it the server
    # ends the session, the save rolls back and the lock is free (every other writer waits
    # for it, up to POSTGRES_LOCK_TIMEOUT).
    LOCKED_IDLE_SECONDS = 5

    _groups_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One message, one round trip: the library's lock and notification, and the bound.
        self.lock_statement = sql.SQL(
            "SET LOCAL lock_timeout = '{}s'; "
            "SET LOCAL idle_in_transaction_session_timeout = '{}s'; "
            "LOCK TABLE {}.{} IN EXCLUSIVE MODE; "
            "NOTIFY {}"
        ).format(
            self.datastore.lock_timeout,
            self.LOCKED_IDLE_SECONDS,
            sql.Identifier(self.datastore.schema),
            sql.Identifier(self.events_table_name),
            sql.Identifier(self.channel_name),
        )
        # Four arrays, not the library's array of a composite type: psycopg dumps those
        # values in C, a composite's fields one by one in Python (a third of a big save).
        # Sent in binary (%b): in text every state would be hex-escaped and every topic
        # searched for what needs quoting (an import of 50,000 lines: 12,700 -> 15,200
        # rows/s).
        self.insert_columns_statement = sql.SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(
            sql.Identifier(self.datastore.schema),
            sql.Identifier(self.events_table_name),
            sql.Identifier(self.datastore.originator_id_type),
        )

    def create_table(self) -> None:
        # Every process makes the store as it starts. Made at once, two "CREATE ... IF NOT
        # EXISTS" of one table or type can fail (DuplicateTable, a unique violation in
        # pg_type), and two "CREATE OR REPLACE" of the library's insert function ("tuple
        # concurrently updated"): they take turns. The library makes them in several
        # transactions, so a connection of its own, outside the pool, holds the lock.
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict)  # the library passes them as a dict
        with psycopg.connect(**kwargs, autocommit=True) as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (EVENT_STORE_LOCK,))  # for the session
            super().create_table()

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Inserts the events in one transaction under the table's lock, shared with the
        saves that other threads of this process make at the same time (group commit)."""
        if not stored_events:
            return None
        if kwargs.get("tracking") is not None:  # the library's process recorders: alone
            return self._write_alone(stored_events, **kwargs)
        return self._group_commit().submit(stored_events)

    def _group_commit(self) -> GroupCommit[StoredEvent]:
        """One per pool (kept on it, to go with it): a process's applications share it."""
        with self._groups_lock:
            group: GroupCommit[StoredEvent] | None = getattr(self.datastore, "group_commit", None)
            if group is None:
                group = GroupCommit(self._write_group)
                self.datastore.group_commit = group  # type: ignore[attr-defined]
            return group

    def _write_group(self, group: list[Save[StoredEvent]]) -> None:
        """One INSERT for the whole group; if a save is refused (a conflict), again with a
        savepoint each, so that the refused save fails alone and the others commit."""
        try:
            self._write_together(group)
        except (InterfaceError, OperationalError):  # the connection: every save retries
            raise
        except PersistenceError:
            if len(group) == 1:
                raise
            self._write_apart(group)

    def _write_together(self, group: list[Save[StoredEvent]]) -> None:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            curs.execute(self.lock_statement)
            positions = self._insert(curs, [e for save in group for e in save.events])
        start = 0
        for save in group:
            save.positions = positions[start : start + len(save.events)]
            start += len(save.events)

    def _write_apart(self, group: list[Save[StoredEvent]]) -> None:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            curs.execute(self.lock_statement)
            for save in group:
                try:
                    with conn.transaction():  # a savepoint
                        save.positions = self._insert(curs, save.events)
                except psycopg.IntegrityError as error:
                    save.error = IntegrityError(str(error))
                except (psycopg.DataError, psycopg.ProgrammingError) as error:
                    save.error = PersistenceError(str(error))

    def _write_alone(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)
            curs.execute(self.lock_statement)
            return self._insert(curs, stored_events)

    def _insert(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> list[int]:
        """Inserts after the lock is taken, in statements of at most CHUNK_BYTES."""
        notification_ids: list[int] = []
        for chunk in byte_chunks(stored_events, self.CHUNK_BYTES):
            curs.execute(
                self.insert_columns_statement,
                (
                    [e.originator_id for e in chunk],
                    [e.originator_version for e in chunk],
                    [e.topic for e in chunk],
                    [e.state for e in chunk],
                ),
            )
            # unnest() gives the rows in the arrays' order, and RETURNING in the same
            notification_ids += [row["notification_id"] for row in curs.fetchall()]
        return notification_ids


def byte_chunks(
    stored_events: Sequence[StoredEvent], limit: int
) -> Iterator[Sequence[StoredEvent]]:
    """The events in order, in runs of at most ``limit`` bytes (an event over it alone)."""
    start, size = 0, 0
    for end, stored in enumerate(stored_events):
        # the id, the version and each value's framing in the arrays come to under 64 bytes
        event_size = len(stored.state) + len(stored.topic) + 64
        if end > start and size + event_size > limit:
            yield stored_events[start:end]
            start, size = end, 0
        size += event_size
    if start < len(stored_events):
        yield stored_events[start:]


def connection_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "options": f"-c search_path={settings.database_schema}",
        "row_factory": dict_row,
    }


def create_schema(settings: Settings) -> None:
    with psycopg.connect(settings.database) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK,))
        schema = sql.Identifier(settings.database_schema)
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))


def async_pool(
    settings: Settings, max_size: int = 10
) -> AsyncConnectionPool[psycopg.AsyncConnection[dict[str, Any]]]:
    return AsyncConnectionPool(
        settings.database,
        min_size=1,
        max_size=max_size,
        kwargs=connection_kwargs(settings),
        open=False,
    )

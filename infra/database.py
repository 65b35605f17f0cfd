"""PostgreSQL: the event store's environment, pools, and the schema everything lives in."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

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
    sending a big save as several INSERTs of ``CHUNK`` events in the same transaction.
    psycopg's pipeline mode hangs sending one statement of more than a few megabytes (the
    server waits in ClientRead; measured: 12 MB hangs, 5 MB passes), and an import of 100,000
    lines is one save of ~60 MB of events."""

    CHUNK = 2000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._earlier = threading.local()  # notification ids of all but the last chunk

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

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        chunks = [
            stored_events[start : start + self.CHUNK]
            for start in range(0, len(stored_events), self.CHUNK)
        ]
        self._earlier.ids = []
        super()._insert_stored_events(curs, chunks[0] if chunks else stored_events, **kwargs)
        for chunk in chunks[1:]:
            self._earlier.ids += [row["notification_id"] for row in curs.fetchall()]
            PostgresAggregateRecorder._insert_stored_events(self, curs, chunk, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        last = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or []
        return [*self._earlier.ids, *last]


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

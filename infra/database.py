"""PostgreSQL: the event store's environment, pools, and the schema everything lives in."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from infra.settings import Settings

# Processes start together and each creates what it needs; DDL takes this lock so that two
# "CREATE ... IF NOT EXISTS" of the same object cannot collide.
DDL_LOCK = 0x63656E74


def event_store_env(settings: Settings, pool_size: int = 2) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL settings, taken from CENTSOURCE_DATABASE_URL."""
    info = conninfo_to_dict(settings.database)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname", "postgres")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(info.get("port", "5432")),
        "POSTGRES_USER": str(info.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(info.get("password", "")),
        "POSTGRES_SCHEMA": settings.database_schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": str(pool_size * 2),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "infra.database:ChunkedApplicationRecorder",
    }


class ChunkedApplicationRecorder(PostgresApplicationRecorder):
    """The library's recorder, sending a big save as several INSERTs of ``CHUNK`` events in
    the same transaction. psycopg's pipeline mode hangs sending one statement of more than a
    few megabytes (the server waits in ClientRead; measured: 12 MB hangs, 5 MB passes), and an
    import of 100,000 lines is one save of ~60 MB of events."""

    CHUNK = 2000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._earlier = threading.local()  # notification ids of all but the last chunk

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

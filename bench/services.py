"""What every bench runs on: the services named by CENTSOURCE_*_URL (else embedded ones) and a
schema of its own, dropped at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import msgspec
import psycopg
from psycopg import sql

from infra import database
from infra.embedded import EmbeddedServices
from infra.logs import configure_logging
from infra.settings import Settings


@contextmanager
def services_and_schema() -> Iterator[Settings]:
    configure_logging("warning")
    base = Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="centsource-bench-") as data_dir:
        services = EmbeddedServices(Path(data_dir))
        try:
            settings = msgspec.structs.replace(
                services.complete(base),
                database_schema=f"bench_{uuid4().hex[:8]}",
                secret_key=base.secret_key or "bench-secret-key-long-enough-for-hs256-signing",
            )
            database.create_schema(settings)
            try:
                yield settings
            finally:
                with psycopg.connect(settings.database, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("DROP SCHEMA {} CASCADE").format(
                            sql.Identifier(settings.database_schema)
                        )
                    )
        finally:
            services.stop()

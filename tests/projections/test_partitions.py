"""A read model run as N partitions by workspace ends with the same tables as run as one."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any, ClassVar
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from domain.identity.application import Identity
from infra import database
from infra.settings import Settings
from projections import rebuilds, registry, runtime
from projections.decoding import domain_event
from projections.partitions import (
    Partition,
    PartitionCountError,
    partition_of,
    partitions_of,
    stored_workspace,
)
from projections.runtime import Cursor, Projection
from tests.projections.log_writer import write_history
from tests.projections.processes import head, positions, query, start, wait_until

TABLES = {
    "transactions": ["transactions"],
    "dashboard": [
        "dashboard_transactions",
        "dashboard_months",
        "dashboard_categories",
        "dashboard_accounts",
        "dashboard_account_months",
        "dashboard_workspaces",
    ],
}
WORKSPACES = 4
TRANSACTIONS = 120  # each; batches are made small, so partitions interleave over many


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "BATCH_SIZE", 50)


def _history(settings: Settings) -> list[UUID]:
    """A log of several workspaces' transactions, and devices' users (in no workspace)."""
    workspaces: list[UUID] = []
    # Ids are random: four can fall in one partition of three (1 in 27), which shows nothing.
    while len(workspaces) < WORKSPACES or len({partition_of(w, 3) for w in workspaces}) < 2:
        workspaces.append(
            write_history(settings, transactions=TRANSACTIONS, seed=len(workspaces))[0]
        )
    identity = Identity(database.event_store_env(settings), hasher=None, code_key="k")  # type: ignore[arg-type]
    try:
        for _ in range(3):
            identity.register_device(None, "partition-test")
    finally:
        identity.close()
    return workspaces


def _rows(settings: Settings, schema: str, table: str) -> list[str]:
    return [
        row[0]
        for row in query(
            settings,
            sql.SQL("SELECT to_jsonb(t)::text FROM {} t ORDER BY 1")
            .format(sql.Identifier(schema, table))
            .as_string(),
        )
    ]


async def _scratch(settings: Settings, schema: str) -> None:
    admin = await runtime.open_connection(settings)
    await admin.set_autocommit(True)
    await admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    await admin.close()


async def _run_partitions(
    settings: Settings, name: str, partitions: list[Partition], schema: str | None = None
) -> list[int]:
    """Each partition caught up by its own runner (own connection and projection), all at
    once, as separate processes would."""

    async def one(partition: Partition) -> int:
        [projection] = registry.select(settings, [name])
        conn = await runtime.open_connection(settings, schema)
        try:
            await runtime.create_tables(conn, projection)
            await runtime.claim(conn, projection, partition)
            return await runtime.catch_up(conn, projection, partition=partition)
        finally:
            await conn.close()

    return list(await asyncio.gather(*(one(partition) for partition in partitions)))


def _positions(settings: Settings, schema: str, name: str) -> dict[str, int]:
    return dict(
        query(
            settings,
            sql.SQL("SELECT name, position FROM {} WHERE name = %s OR starts_with(name, %s)")
            .format(sql.Identifier(schema, "projection_positions"))
            .as_string(),
            name,
            f"{name}#",
        )
    )


def test_three_partitions_give_the_same_tables_as_one(own_schema: Settings) -> None:
    settings = own_schema
    workspaces = _history(settings)
    last = head(settings)
    split = f"{settings.database_schema}__split"
    asyncio.run(_scratch(settings, split))
    try:
        for name, tables in TABLES.items():
            [whole] = registry.select(settings, [name])
            assert asyncio.run(runtime.catch_up_once(settings, whole)) == last
            positions = asyncio.run(_run_partitions(settings, name, partitions_of(3), split))
            assert positions == [last] * 3
            assert _positions(settings, split, name) == {
                name: last,
                f"{name}#0/3": last,
                f"{name}#1/3": last,
                f"{name}#2/3": last,
            }
            for table in tables:
                rows = _rows(settings, settings.database_schema, table)
                assert rows, f"{table} is empty: the test shows nothing"
                assert _rows(settings, split, table) == rows, table
        # The workspaces were spread: no partition had them all.
        shares = {partition_of(workspace, 3) for workspace in workspaces}
        assert len(shares) > 1
    finally:
        asyncio.run(_drop(settings, split))


async def _drop(settings: Settings, schema: str) -> None:
    admin = await runtime.open_connection(settings)
    await admin.set_autocommit(True)
    await admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    await admin.close()


class Seen(Projection):
    """Records which partition handled each event: twice would break the primary key."""

    name = "partition_seen"
    every_event = True
    tables: ClassVar[tuple[str, ...]] = (
        "CREATE TABLE IF NOT EXISTS partition_seen (position bigint PRIMARY KEY, "
        "workspace_id uuid, partition integer NOT NULL)",
    )

    def __init__(self, partition: Partition) -> None:
        self.partition = partition

    async def on_event(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO partition_seen VALUES (%s, %s, %s)",
            (position, event.workspace_id, self.partition.index),
        )


async def _see(settings: Settings, partitions: list[Partition]) -> list[int]:
    async def one(partition: Partition) -> int:
        projection = Seen(partition)
        conn = await runtime.open_connection(settings)
        try:
            await runtime.create_tables(conn, projection)
            await runtime.claim(conn, projection, partition)
            return await runtime.catch_up(conn, projection, partition=partition)
        finally:
            await conn.close()

    return list(await asyncio.gather(*(one(partition) for partition in partitions)))


def test_each_event_is_handled_by_exactly_one_partition_and_no_workspace_by_the_first(
    own_schema: Settings,
) -> None:
    settings = own_schema
    _history(settings)
    last = head(settings)
    assert asyncio.run(_see(settings, partitions_of(3))) == [last] * 3

    seen = query(settings, "SELECT position, workspace_id, partition FROM partition_seen")
    logged = query(settings, "SELECT notification_id FROM centsource_events ORDER BY 1")
    assert sorted(position for position, _, _ in seen) == [row[0] for row in logged]
    homeless = [partition for _, workspace_id, partition in seen if workspace_id is None]
    assert homeless, "the log has no event without a workspace: the test shows nothing"
    assert set(homeless) == {0}
    by_workspace: dict[UUID, set[int]] = {}
    for _, workspace_id, partition in seen:
        if workspace_id is not None:
            by_workspace.setdefault(workspace_id, set()).add(partition)
    assert all(len(partitions) == 1 for partitions in by_workspace.values())
    assert len({min(partitions) for partitions in by_workspace.values()}) > 1


def test_the_projection_stands_at_its_slowest_partition(own_schema: Settings) -> None:
    settings = own_schema
    workspaces = _history(settings)
    last = head(settings)
    [whole] = registry.select(settings, ["transactions"])
    halfway = last // 2
    asyncio.run(_catch_up_until(settings, whole, halfway))
    asyncio.run(_run_partitions(settings, "transactions", [Partition(0, 3), Partition(2, 3)]))
    # Split from where it stood as one; partition 1 has not run since.
    assert _positions(settings, settings.database_schema, "transactions") == {
        "transactions": halfway,
        "transactions#0/3": last,
        "transactions#1/3": halfway,
        "transactions#2/3": last,
    }
    # What a read waits on: not there until the slowest partition is.
    with pytest.raises(TimeoutError):
        asyncio.run(_wait(settings, last, 0.3))
    asyncio.run(_run_partitions(settings, "transactions", [Partition(1, 3)]))
    asyncio.run(_wait(settings, last, 5))
    [(count,)] = query(settings, "SELECT count(*) FROM transactions")
    assert count == TRANSACTIONS * len(workspaces)
    before = _rows(settings, settings.database_schema, "transactions")

    # A rebuild replays it as one and sets every partition's row; the partitions go on.
    assert asyncio.run(rebuilds.rebuild(settings, whole)) == last
    assert set(_positions(settings, settings.database_schema, "transactions").values()) == {last}
    assert _rows(settings, settings.database_schema, "transactions") == before


async def _catch_up_until(settings: Settings, projection: Projection, until: int) -> None:
    conn = await runtime.open_connection(settings)
    try:
        await runtime.create_tables(conn, projection)
        await runtime.catch_up(conn, projection, until=until)
    finally:
        await conn.close()


async def _wait(settings: Settings, position: int, seconds: float) -> None:
    conn = await runtime.open_connection(settings)
    try:
        async with asyncio.timeout(seconds):
            await runtime.wait_for_projections(conn, ("transactions",), position)
    finally:
        await conn.close()


def test_a_repartition_from_uneven_partitions_and_back_to_one_keeps_every_row(
    own_schema: Settings,
) -> None:
    settings = own_schema
    _history(settings)
    last = head(settings)
    asyncio.run(_catch_up_and_repartition(settings, last))
    assert _positions(settings, settings.database_schema, "dashboard") == {"dashboard": last}
    before = {
        table: _rows(settings, settings.database_schema, table) for table in TABLES["dashboard"]
    }
    [projection] = registry.select(settings, ["dashboard"])
    assert asyncio.run(rebuilds.rebuild(settings, projection)) == last
    after = {
        table: _rows(settings, settings.database_schema, table) for table in TABLES["dashboard"]
    }
    assert after == before


async def _catch_up_and_repartition(settings: Settings, last: int) -> None:
    [projection] = registry.select(settings, ["dashboard"])
    conn = await runtime.open_connection(settings)
    try:
        await runtime.create_tables(conn, projection)
        await runtime.repartition(conn, projection, 3)
        # Uneven: partition 0 at the head, 1 a third of the way, 2 not started.
        await runtime.catch_up(conn, projection, partition=Partition(0, 3))
        await runtime.catch_up(conn, projection, partition=Partition(1, 3), until=last // 3)
        # A runner of another count does not start; one that runs as one stops at its batch.
        with pytest.raises(PartitionCountError):
            await runtime.claim(conn, projection, Partition(0, 2))
        with pytest.raises(PartitionCountError):
            await runtime.process_batch(conn, projection)
        await conn.rollback()
        assert await runtime.repartition(conn, projection, 2) == last
        await runtime.catch_up(conn, projection, partition=Partition(1, 2))
        # The old count's runners find their rows gone.
        with pytest.raises(PartitionCountError):
            await runtime.process_batch(conn, projection, partition=Partition(2, 3))
        await conn.rollback()
        assert await runtime.repartition(conn, projection, 1) == last
        assert await runtime.catch_up(conn, projection) == last
    finally:
        await conn.close()


def test_a_partition_is_its_index_of_its_count_and_a_workspace_always_has_the_same() -> None:
    assert Partition.parse("1/3") == Partition(1, 3)
    assert Partition(1, 3).key("dashboard") == "dashboard#1/3"
    for wrong in ("3/3", "-1/3", "1", "a/b", "0/0", "1/3/4"):
        with pytest.raises(ValueError, match="partition"):
            Partition.parse(wrong)
    workspace = UUID("6f1b3c2e-8d4a-5b7c-9e0f-1a2b3c4d5e6f")
    # Pinned: a release that moved workspaces between partitions would need a repartition.
    assert partition_of(workspace, 7) == zlib.crc32(workspace.bytes) % 7 == 0
    assert partition_of(workspace, 5) == 2
    assert partition_of(None, 7) == 0


def test_only_read_models_of_one_workspace_s_events_run_as_partitions() -> None:
    assert registry.parse_partition("0/2", ["transactions", "dashboard"]) == Partition(0, 2)
    for names in ([], ["ledger"], ["transactions", "budget_watch"]):
        with pytest.raises(SystemExit):
            registry.parse_partition("0/2", names)
    with pytest.raises(SystemExit):
        registry.parse_partition("2/2", ["transactions"])


def test_a_stored_event_s_workspace_is_read_without_decoding_it(own_schema: Settings) -> None:
    settings = own_schema
    [workspace] = [write_history(settings, transactions=5)[0]]
    with psycopg.connect(settings.database, **database.connection_kwargs(settings)) as conn:
        rows = conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM centsource_events ORDER BY notification_id"
        ).fetchall()
    for stored in rows:
        assert stored_workspace(stored) == domain_event(stored).workspace_id
    assert stored_workspace(rows[-1]) == workspace
    assert stored_workspace({"state": b'{"workspace_id": null}'}) is None


def test_partition_processes_started_from_the_command_line_bring_the_model_to_the_head(
    own_schema: Settings,
) -> None:
    settings = own_schema
    workspaces = _history(settings)
    last = head(settings)
    processes = [
        start(settings, "project", "transactions", "--partition", f"{k}/2") for k in range(2)
    ]
    try:
        wait_until(lambda: positions(settings).get("transactions") == last, 120, "both partitions")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
    assert positions(settings)["transactions#0/2"] == positions(settings)["transactions#1/2"]
    [(count,)] = query(settings, "SELECT count(*) FROM transactions")
    assert count == TRANSACTIONS * len(workspaces)


def test_read_models_are_shared_among_processes_by_the_events_they_handle(
    settings: Settings,
) -> None:
    known = registry.build(settings)
    recorded = "domain.ledger.transaction:Transaction.Recorded"
    topics = {recorded: 1_000, "domain.workspaces.workspace:Workspace.Created": 10}
    assert known["transactions"].wants(recorded)
    assert not known["workspaces"].wants(recorded)
    projections = [known[name] for name in ("transactions", "ledger", "dashboard", "workspaces")]

    shares = rebuilds.shares(projections, topics, 2)

    # Three that handle every recording cannot be shared evenly by two: two in one share,
    # the light one beside the third.
    assert sorted(map(sorted, shares)) == [
        ["dashboard", "transactions"],
        ["ledger", "workspaces"],
    ]
    [alone] = rebuilds.shares(projections, topics, 1)
    assert sorted(alone) == ["dashboard", "ledger", "transactions", "workspaces"]
    assert rebuilds.shares(projections[:1], topics, 4) == [["transactions"]]

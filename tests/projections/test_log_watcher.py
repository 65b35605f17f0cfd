"""A runner whose projection handles none of the log's new rows passes over them in one
statement: its position moves and is announced, with no batch of its own; a runner that
another one moved first leaves it to its batch."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import msgspec
import psycopg
import pytest

from domain.ledger.transaction import Transaction
from domain.workspaces.workspace import Workspace
from infra.settings import Settings
from projections import following, runtime
from projections.following import LogWatcher
from projections.runtime import Announcement, Cursor, Projection, handles
from tests.projections.log_writer import write_history


class Quiet(Projection):
    """Handles an event the log below never holds."""

    name = "quiet"

    @handles(Workspace.Deleted)
    async def on_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        raise AssertionError("no workspace is deleted here")


class Counting(Projection):
    name = "counting"

    def __init__(self) -> None:
        self.recorded = 0

    @handles(Transaction.Recorded)
    async def on_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        self.recorded += 1


async def _until_at_head(settings: Settings, *names: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        head, positions = await runtime.positions(settings)
        if all(positions.get(name) == head for name in names):
            return head
        assert time.monotonic() < deadline, (head, positions)
        await asyncio.sleep(0.05)


def test_a_projection_handling_none_of_the_new_rows_passes_over_them(
    own_schema: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = own_schema
    write_history(settings, transactions=5)
    batches: list[str] = []
    process_batch = runtime.process_batch

    async def counted(conn: Any, projection: Projection, *args: Any, **kwargs: Any) -> Any:
        batches.append(projection.name)
        return await process_batch(conn, projection, *args, **kwargs)

    monkeypatch.setattr(runtime, "process_batch", counted)

    async def scenario() -> tuple[int, list[Announcement]]:
        watcher = LogWatcher(settings)
        quiet, counting = Quiet(), Counting()
        tasks = [
            asyncio.create_task(watcher.run()),
            *(asyncio.create_task(following.run(settings, p, watcher)) for p in (quiet, counting)),
        ]
        heard: list[Announcement] = []
        listener = await psycopg.AsyncConnection.connect(settings.database, autocommit=True)
        try:
            await _until_at_head(settings, "quiet", "counting")
            before = batches.count("quiet")
            await listener.execute(f"LISTEN {runtime.POSITIONS_CHANNEL}")
            for seed in (2, 3):  # two commits, heard one after the other or together
                await asyncio.to_thread(write_history, settings, 7, seed)
            head = await _until_at_head(settings, "quiet", "counting")
            assert counting.recorded == 5 + 7 + 7
            assert batches.count("quiet") == before, "the quiet projection took a batch"
            async for notify in listener.notifies(timeout=1.0):
                said = msgspec.json.decode(notify.payload, type=Announcement)
                if said.name == "quiet" and said.schema == settings.database_schema:
                    heard.append(said)
                    if said.position == head:
                        break
            return head, heard
        finally:
            await listener.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    head, heard = asyncio.run(scenario())
    assert heard[-1] == Announcement(settings.database_schema, "quiet", head, [])


def test_a_projection_another_runner_moved_is_not_passed_over(own_schema: Settings) -> None:
    settings = own_schema
    write_history(settings, transactions=3)

    async def scenario() -> None:
        conn = await runtime.open_connection(settings)
        watcher = LogWatcher(settings)
        try:
            await runtime.create_tables(conn, Quiet())
            await conn.commit()
            head = await runtime.catch_up(conn, Quiet())
            assert await watcher.rows_after(head) == []
            assert await watcher.rows_after(head - 1) is None  # before what it keeps

            assert not await watcher.pass_over("quiet", head - 1, head + 5)
            assert (await runtime.positions(settings))[1]["quiet"] == head
            assert await watcher.pass_over("quiet", head, head + 5)
            assert (await runtime.positions(settings))[1]["quiet"] == head + 5
        finally:
            await conn.close()
            if watcher._conn is not None:
                await watcher._conn.close()

    asyncio.run(scenario())

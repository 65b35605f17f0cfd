"""Times a read model's catch-up run as one and as N partitions in N processes, and the event
store's writes at 1 and 100 events per commit (the ceiling partitions do not lift).
Run: `.venv/bin/python bench/partitions.py [--workspaces N] [--transactions N] [--partitions N]`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. Each partition runs in a process of its own, as `centsource project NAME
--partition K/N` would; the whole catch-up runs in one. On a machine of few cores the
partitions share them, so read the figures as what one machine gives, not a cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import time
from datetime import date
from decimal import Decimal
from uuid import uuid4

from psycopg import sql
from run import bench_store
from services import services_and_schema

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.logs import configure_logging
from infra.settings import Settings
from projections import registry, runtime
from projections.partitions import Partition

PROJECTIONS = ("transactions", "dashboard")


def generate(settings: Settings, workspaces: int, transactions: int) -> int:
    """``workspaces`` households of ``transactions`` each, 100 events per commit."""
    env = database.event_store_env(settings)
    by = Actor(uuid4(), "bench")
    rng = random.Random(1)
    spaces, ledger = Workspaces(env), Ledger(env)
    try:
        for number in range(workspaces):
            workspace, _ = spaces.create_workspace(uuid4(), f"Home {number}", "EUR", by)
            account, _ = ledger.open_account(
                uuid4(), workspace.id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), by
            )
            batch = []
            for line in range(transactions):
                details = TransactionDetails(
                    account_id=account.id,
                    date=date(2026, rng.randint(1, 12), rng.randint(1, 28)),
                    amount=Decimal(rng.randint(-20000, 5000)) / 100 or Decimal("0.01"),
                    currency="EUR",
                    description=f"purchase {line}",
                    merchant=None,
                    category_id=None,
                    tags=(),
                    notes=None,
                )
                batch.append(Transaction.record(uuid4(), workspace.id, details, by))
                if len(batch) == 100:
                    ledger.save(*batch)
                    batch = []
            if batch:
                ledger.save(*batch)
    finally:
        spaces.close()
        ledger.close()
    head, _ = asyncio.run(runtime.positions(settings))
    return head


def catch_up(settings: Settings, name: str, partition: str | None) -> None:
    configure_logging("warning")
    [projection] = registry.select(settings, [name])
    part = None if partition is None else Partition.parse(partition)
    asyncio.run(runtime.catch_up_once(settings, projection, part))


def reset(settings: Settings, name: str) -> None:
    """Empties the read model and its positions, so the next run replays the whole log."""
    [projection] = registry.select(settings, [name])

    async def empty() -> None:
        conn = await runtime.open_connection(settings)
        try:
            await runtime.create_tables(conn, projection)
            tables = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(projection.tables))
            async with conn.transaction():
                for table in tables:
                    await conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
                await conn.execute(
                    "DELETE FROM projection_positions WHERE starts_with(name, %s)", (f"{name}#",)
                )
                await conn.execute(
                    "UPDATE projection_positions SET position = 0 WHERE name = %s", (name,)
                )
        finally:
            await conn.close()

    asyncio.run(empty())


def timed(settings: Settings, name: str, count: int) -> float:
    reset(settings, name)
    if count > 1:  # split before the clock starts, so the processes do not race to split
        catch_up_split(settings, name, count)
    context = multiprocessing.get_context("spawn")
    partitions = [None] if count == 1 else [f"{k}/{count}" for k in range(count)]
    processes = [
        context.Process(target=catch_up, args=(settings, name, partition))
        for partition in partitions
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"{name} {count}: exit {process.exitcode}"
    return time.perf_counter() - started


def catch_up_split(settings: Settings, name: str, count: int) -> None:
    [projection] = registry.select(settings, [name])

    async def split() -> None:
        conn = await runtime.open_connection(settings)
        try:
            await runtime.repartition(conn, projection, count)
        finally:
            await conn.close()

    asyncio.run(split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=30)
    parser.add_argument("--transactions", type=int, default=1_000, help="per workspace")
    parser.add_argument("--partitions", type=int, default=3)
    arguments = parser.parse_args()
    with services_and_schema() as settings:
        print(f"centsource partitions bench ({os.cpu_count()} cores)")
        bench_store(settings)
        head = generate(settings, arguments.workspaces, arguments.transactions)
        print(f"  log: {head:,} events in {arguments.workspaces} workspaces")
        for name in PROJECTIONS:
            one = timed(settings, name, 1)
            many = timed(settings, name, arguments.partitions)
            print(
                f"  catch-up {name:<13} 1 process {head / one:>8,.0f} events/s   "
                f"{arguments.partitions} partitions {head / many:>8,.0f} events/s   "
                f"({one / many:.2f}x)",
                flush=True,
            )


if __name__ == "__main__":
    main()

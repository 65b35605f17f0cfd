"""Prints centsource's throughput figures side by side. Run: `.venv/bin/python bench/run.py`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. Client and servers share the machine, so figures are lower bounds.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import msgspec
from services import services_and_schema

from domain.base import Actor, build_mapper
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.embedded import free_port
from infra.settings import Settings
from infra.supervisor import wait_healthy
from projections import registry, runtime

RAW_EVENTS = 2_000
BULK_EVENTS = 20_000
COMMANDS = {1: 300, 32: 1_500}
READ_SECONDS = 5.0
READ_CLIENTS = 16
TRANSCODED = 20_000
rows: list[tuple[str, str]] = []


def report(name: str, figure: str) -> None:
    rows.append((name, figure))
    print(f"  {name:<58} {figure}", flush=True)


def details(account_id: Any, number: int) -> TransactionDetails:
    return TransactionDetails(
        account_id=account_id,
        date=date(2026, 1 + number % 12, 1 + number % 28),
        amount=Decimal(-(number % 9000 + 1)) / 100,
        currency="EUR",
        description=f"purchase {number}",
        merchant="Shop",
        category_id=None,
        tags=(),
        notes=None,
    )


def bench_store(settings: Settings) -> None:
    env = database.event_store_env(settings)
    by = Actor(uuid4(), "bench")
    workspaces, ledger = Workspaces(env), Ledger(env)
    workspace, _ = workspaces.create_workspace(uuid4(), "Bench", "EUR", by)
    account, _ = ledger.open_account(
        uuid4(), workspace.id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), by
    )
    started = time.perf_counter()
    for number in range(RAW_EVENTS):
        ledger.save(Transaction.record(uuid4(), workspace.id, details(account.id, number), by))
    elapsed = time.perf_counter() - started
    report("event store, 1 event per commit", f"{RAW_EVENTS / elapsed:,.0f} events/s")
    started = time.perf_counter()
    for start in range(0, BULK_EVENTS, 100):
        ledger.save(
            *(
                Transaction.record(uuid4(), workspace.id, details(account.id, n), by)
                for n in range(start, start + 100)
            )
        )
    elapsed = time.perf_counter() - started
    report("event store, 100 events per commit", f"{BULK_EVENTS / elapsed:,.0f} events/s")
    workspaces.close()
    ledger.close()


def bench_transcoding() -> None:
    """The library's JSON transcoder against msgspec on the same event states."""
    mapper = build_mapper()
    by = Actor(uuid4(), "bench")
    events = [
        Transaction.record(uuid4(), uuid4(), details(uuid4(), n), by).collect_events()[0]
        for n in range(TRANSCODED)
    ]
    started = time.perf_counter()
    stored = [mapper.to_stored_event(event) for event in events]
    for item in stored:
        mapper.to_domain_event(item)
    library = TRANSCODED / (time.perf_counter() - started)
    states = [dict(vars(event)) for event in events]
    started = time.perf_counter()
    for state in states:
        msgspec.json.decode(msgspec.json.encode(state))
    raw = TRANSCODED / (time.perf_counter() - started)
    report("transcoding: eventsourcing JSONTranscoder, encode+decode", f"{library:,.0f} events/s")
    report("transcoding: msgspec JSON of the same states (no types back)", f"{raw:,.0f} events/s")


def bench_catch_up(settings: Settings) -> None:
    head, _ = asyncio.run(runtime.positions(settings))
    mapper = build_mapper()

    async def read_log() -> int:
        conn = await runtime.open_connection(settings)
        position, count = 0, 0
        try:
            while True:
                cursor = await conn.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM centsource_events WHERE notification_id > %s "
                    "ORDER BY notification_id LIMIT %s",
                    (position, runtime.BATCH_SIZE),
                )
                batch = await cursor.fetchall()
                if not batch:
                    return count
                for row in batch:
                    mapper.to_domain_event(
                        runtime.StoredEvent(
                            row["originator_id"],
                            row["originator_version"],
                            row["topic"],
                            bytes(row["state"]),
                        )
                    )
                count += len(batch)
                position = batch[-1]["notification_id"]
        finally:
            await conn.close()

    started = time.perf_counter()
    count = asyncio.run(read_log())
    report(
        "notification log read + decode", f"{count / (time.perf_counter() - started):,.0f} events/s"
    )
    for name in ("transactions", "dashboard", "audit_trail"):
        [projection] = registry.select(settings, [name])
        started = time.perf_counter()
        asyncio.run(runtime.catch_up_once(settings, projection))
        elapsed = time.perf_counter() - started
        report(f"projection catch-up: {name}", f"{head / elapsed:,.0f} events/s")


async def load(
    concurrency: int,
    total: int,
    call: Callable[[httpx.AsyncClient, int], Awaitable[None]],
    url: str,
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    counter = iter(range(total))
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            for number in counter:
                started = time.perf_counter()
                await call(client, number)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


async def load_for(
    seconds: float, concurrency: int, url: str, path: str, headers: dict[str, str]
) -> float:
    done = 0
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def worker() -> None:
            nonlocal done
            while time.monotonic() < deadline:
                response = await client.get(path, headers=headers)
                assert response.status_code == 200, response.text
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / seconds


def bench_http(settings: Settings) -> None:
    command_port, read_port, bare_port = free_port(), free_port(), free_port()
    bench = msgspec.structs.replace(
        settings,
        command_port=command_port,
        read_port=read_port,
        log_level="warning",
        rate_limits="off",  # one client sends thousands of writes: the limits would measure
    )
    env = {**os.environ, **bench.as_env()}
    processes = [
        subprocess.Popen([sys.executable, "-m", "infra.cli", "command-api"], env=env),
        subprocess.Popen([sys.executable, "-m", "infra.cli", "read-api"], env=env),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
            ],
            env=env,
        ),
    ]
    command_url, read_url = f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{read_port}"
    try:
        wait_healthy(f"{command_url}/health")
        wait_healthy(f"{read_url}/health")
        wait_healthy(f"http://127.0.0.1:{bare_port}/bare")
        client = httpx.Client(base_url=command_url, timeout=30)
        credentials = {"email": f"bench-{uuid4().hex[:8]}@example.com", "password": "Bench-mark-1"}
        client.post("/api/auth/signup", json={**credentials, "name": "Bench"}).raise_for_status()
        token = client.post("/api/auth/login", json=credentials).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        workspace = client.post(
            "/api/workspaces", json={"name": "B", "base_currency": "EUR"}, headers=auth
        ).json()["id"]
        account = client.post(
            f"/api/workspaces/{workspace}/accounts",
            json={"name": "A", "type": "CHECKING", "currency": "EUR"},
            headers=auth,
        ).json()["id"]
        url = f"/api/workspaces/{workspace}/transactions"

        async def record(http: httpx.AsyncClient, number: int) -> None:
            body = {
                "account_id": account,
                "date": "2026-03-14",
                "amount": f"-{number % 90 + 1}.25",
                "currency": "EUR",
                "description": f"coffee {number}",
                "category": "food_and_drink",
            }
            response = await http.post(url, json=body, headers=auth)
            assert response.status_code == 201, response.text

        for concurrency, total in COMMANDS.items():
            elapsed, latencies = asyncio.run(load(concurrency, total, record, command_url))
            quantiles = statistics.quantiles(latencies, n=100)
            report(
                f"command API record_transaction, {concurrency} client(s)",
                f"{total / elapsed:,.0f} commands/s, p50 {quantiles[49] * 1000:.1f} ms, "
                f"p99 {quantiles[98] * 1000:.1f} ms",
            )

        for name in ("workspaces", "users", "ledger", "dashboard"):  # what the read waits for
            asyncio.run(runtime.catch_up_once(settings, registry.select(settings, [name])[0]))
        dashboard = f"/api/workspaces/{workspace}/dashboard?month=2026-03"
        cached = asyncio.run(load_for(READ_SECONDS, READ_CLIENTS, read_url, dashboard, auth))
        report(f"read API dashboard (cached), {READ_CLIENTS} clients", f"{cached:,.0f} req/s")
        bare = asyncio.run(
            load_for(READ_SECONDS, READ_CLIENTS, f"http://127.0.0.1:{bare_port}", "/bare", {})
        )
        report(f"bare Litestar JSON route, {READ_CLIENTS} clients", f"{bare:,.0f} req/s")
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)


def main() -> None:
    with services_and_schema() as settings:
        print(f"centsource bench ({os.cpu_count()} cores), schema {settings.database_schema}")
        bench_transcoding()
        bench_store(settings)
        bench_catch_up(settings)
        bench_http(settings)


if __name__ == "__main__":
    main()

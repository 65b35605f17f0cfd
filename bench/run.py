"""Prints centsource's speed figures side by side, the HTTP ones driven by wrk.
Run: `.venv/bin/python bench/run.py [--json FILE] [--seconds N] [--import-lines N]`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. Client and servers share the machine, so figures are lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import import_100k
import msgspec
from services import services_and_schema

from domain.base import Actor, build_mapper
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.embedded import free_port
from infra.processes import tune_collector
from infra.settings import Settings
from infra.supervisor import wait_healthy
from projections import registry, runtime
from projections.decoding import domain_event

RAW_EVENTS = 2_000
BULK_EVENTS = 20_000
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

    async def read_log() -> int:
        """The log read and decoded as a catch-up reads and decodes it, and nothing else."""
        conn = await runtime.open_connection(settings)
        position, count = 0, 0
        try:
            async with conn.cursor() as cur:
                while batch := await runtime.read_log(
                    cur, position, runtime.MAX_POSITION, runtime.BATCH_SIZE
                ):
                    for row in batch:
                        domain_event(row)
                    count += len(batch)
                    position = batch[-1]["notification_id"]
            return count
        finally:
            await conn.close()

    started = time.perf_counter()
    count = asyncio.run(read_log())
    rate = count / (time.perf_counter() - started)
    figures["log_read_decode_eps"] = rate
    report("notification log read + decode", f"{rate:,.0f} events/s")
    known = registry.build(settings)
    # Read models first: a process manager waits for the ones it reads.
    names = sorted(known, key=lambda name: name in registry.PROCESS_MANAGERS or name == "relay")
    for name in names:
        if name == "relay":  # publishes to NATS: measured by bench/webhooks.py
            continue
        started = time.perf_counter()
        asyncio.run(runtime.catch_up_once(settings, known[name]))
        rate = head / (time.perf_counter() - started)
        figures[f"catchup_eps_{name}"] = rate
        share = rate / figures["log_read_decode_eps"]
        report(f"projection catch-up: {name}", f"{rate:,.0f} events/s ({share:.0%} of the read)")


GRACEFUL = ("--timeout-graceful-shutdown", "3")
WRK_SECONDS = 10
WRK_CONNECTIONS = (1, 8, 32)
CATEGORIES = 50
SEEDED_LINES = 3_000
RECORD_BODY = (
    '{"account_id":"%s","date":"2026-03-%02d","amount":"-%d.25","currency":"EUR",'
    '"description":"COFFEE SHOP %d-%d","merchant":"Coffee %d"}'
)
# Each wrk thread numbers its own requests, so every body is a new transaction.
RECORD_SCRIPT = """
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function init(args) n = 0 end
function request()
  n = n + 1
  local body = string.format('%(body)s', '%(account)s', n %% 28 + 1, n %% 90 + 1, tid, n, n %% 40)
  return wrk.format("POST", "%(path)s", {
    ["Authorization"] = "Bearer %(token)s", ["Content-Type"] = "application/json"}, body)
end
"""
BARE_POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"amount": "-5.25", "description": "COFFEE SHOP"}'
"""
GET_SCRIPT = """
wrk.headers["Authorization"] = "Bearer %(token)s"
"""
figures: dict[str, float] = {}


def wrk(url: str, connections: int, script: str, seconds: int) -> tuple[float, float, float]:
    """Requests/s, p50 and p99 in ms of ``wrk`` against ``url``; every answer must be 2xx."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        output = subprocess.run(
            [
                "wrk",
                "--latency",
                f"-c{connections}",
                f"-t{min(2, connections)}",
                f"-d{seconds}s",
                "-s",
                lua.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if failed:
        raise SystemExit(f"wrk got {failed.group(1)} answers that are not 2xx from {url}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return rate, _latency(output, "50%"), _latency(output, "99%")


def _latency(output: str, quantile: str) -> float:
    found = re.search(rf"^\s+{quantile}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    assert found is not None, output
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def seed(client: httpx.Client, auth: dict[str, str]) -> tuple[str, str]:
    """A realistic workspace: 50 categories, rules, and a few thousand imported transactions.
    Returns its id and its account's."""
    workspace = client.post(
        "/api/workspaces", json={"name": "B", "base_currency": "EUR"}, headers=auth
    ).json()["id"]
    base = f"/api/workspaces/{workspace}"
    account = client.post(
        f"{base}/accounts", json={"name": "A", "type": "CHECKING", "currency": "EUR"}, headers=auth
    ).json()["id"]
    categories = [
        client.post(f"{base}/categories", json={"name": f"Bench {n}"}, headers=auth).json()["id"]
        for n in range(CATEGORIES)
    ]
    for n in range(10):
        client.post(
            f"{base}/rules",
            json={"name": f"rule {n}", "contains": f"SHOP {n}", "category_id": categories[n]},
            headers=auth,
        ).raise_for_status()
    lines = ["date,amount,description"] + [
        f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d},-{n % 300 + 1}.50,SHOP {n % 60} #{n}"
        for n in range(SEEDED_LINES)
    ]
    client.post(
        f"{base}/imports",
        data={"account_id": account},
        files={"file": ("seed.csv", "\n".join(lines).encode(), "text/csv")},
        headers=auth,
        timeout=300,
    ).raise_for_status()
    return workspace, account


def serve(settings: Settings, bare_port: int) -> list[subprocess.Popen[bytes]]:
    """The APIs and the projector as `centsource up` starts them, and the bare routes on the
    same server (uvicorn, one process, no access log)."""
    env = {**os.environ, **settings.as_env()}
    cli = [sys.executable, "-m", "infra.cli"]
    uvicorn = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port)]
    return [
        subprocess.Popen([*cli, "command-api"], env=env),
        subprocess.Popen([*cli, "read-api"], env=env),
        subprocess.Popen([*cli, "project"], env=env),
        subprocess.Popen(
            [*uvicorn, "--http", "h11", "--log-level", "warning", "--no-access-log", *GRACEFUL],
            env=env,
        ),
    ]


def bench_http(settings: Settings, seconds: int) -> None:
    bench = msgspec.structs.replace(
        settings,
        command_port=free_port(),
        read_port=free_port(),
        metrics_port=free_port(),
        log_level="warning",
        rate_limits="off",  # the load comes from one address: the limits would be measured
    )
    bare_port = free_port()
    processes = serve(bench, bare_port)
    command_url = f"http://127.0.0.1:{bench.command_port}"
    read_url = f"http://127.0.0.1:{bench.read_port}"
    bare_url = f"http://127.0.0.1:{bare_port}/bare"
    try:
        wait_healthy(f"{command_url}/health")
        wait_healthy(f"{read_url}/health")
        wait_healthy(bare_url)
        client = httpx.Client(base_url=command_url, timeout=30)
        credentials = {"email": f"bench-{uuid4().hex[:8]}@example.com", "password": "Bench-mark-1"}
        client.post("/api/auth/signup", json={**credentials, "name": "Bench"}).raise_for_status()
        token = client.post("/api/auth/login", json=credentials).json()["access_token"]
        workspace, account = seed(client, {"Authorization": f"Bearer {token}"})
        path = f"/api/workspaces/{workspace}/transactions"
        quiet(bench)  # each figure is taken with the projector done with what came before

        rate, p50, p99 = wrk(bare_url, 32, BARE_POST_SCRIPT, seconds)
        _figure("bare POST route, 32 connections", "bare_post_rps", rate, p50, p99)
        bare_post = rate
        script = RECORD_SCRIPT % {
            "body": RECORD_BODY, "account": account, "path": path, "token": token
        }  # fmt: skip
        for connections in WRK_CONNECTIONS:
            rate, p50, p99 = wrk(command_url + path, connections, script, seconds)
            _figure(
                f"record_transaction, {connections} connection(s)",
                f"record_transaction_rps_{connections}",
                rate,
                p50,
                p99,
            )
            figures[f"record_transaction_p50_ms_{connections}"] = p50
            figures[f"record_transaction_p99_ms_{connections}"] = p99
        recorded = figures["record_transaction_rps_32"]
        figures["record_transaction_vs_bare_post"] = recorded / bare_post

        rate, p50, p99 = wrk(bare_url, 32, "", seconds)
        _figure("bare GET route, 32 connections", "bare_get_rps", rate, p50, p99)
        bare_get = rate
        quiet(bench)
        with httpx.Client(base_url=read_url, timeout=120) as read:  # until the reads catch up
            auth = {"Authorization": f"Bearer {token}"}
            for route in ("dashboard?month=2026-03", "transactions?page_size=20"):
                deadline = time.monotonic() + 300
                url = f"/api/workspaces/{workspace}/{route}"
                while read.get(url, headers=auth).status_code != 200:
                    assert time.monotonic() < deadline, f"{route} never answered"
                    time.sleep(0.5)
        reads = GET_SCRIPT % {"token": token}
        for route, key in (
            ("dashboard?month=2026-03", "dashboard_cached_rps"),
            ("transactions?page_size=20", "transactions_page_rps"),
        ):
            url = f"{read_url}/api/workspaces/{workspace}/{route}"
            rate, p50, p99 = wrk(url, 32, reads, seconds)
            _figure(f"read API {route}, 32 connections", key, rate, p50, p99)
            figures[key.replace("_rps", "_vs_bare_get")] = rate / bare_get
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)


def quiet(settings: Settings) -> None:
    """Waits until every projection has handled the whole log (at most five minutes)."""
    deadline = time.monotonic() + 300
    while True:
        head, positions = asyncio.run(runtime.positions(settings))
        if positions and min(positions.values()) >= head:
            return
        assert time.monotonic() < deadline, "the projections never caught up"
        time.sleep(0.5)


def _figure(name: str, key: str, rate: float, p50: float, p99: float) -> None:
    figures[key] = rate
    report(name, f"{rate:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def bench_import(lines: int) -> None:
    """A generated CSV through the import path, to every row visible in the transactions
    read model (bench/import_100k.py), in a process of its own: its peak memory is the
    import's, not that of the benches before it."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "import.json")
        subprocess.run(
            [sys.executable, import_100k.__file__, str(lines), "--json", path], check=True
        )
        with open(path) as out:
            found = json.load(out)
    figures["import_rows_per_s_to_visible"] = found["rows_per_s_to_visible"]
    figures["import_peak_mb"] = found["peak_mb"]
    report(
        f"import of {lines:,} CSV lines to visible",
        f"{found['rows_per_s_to_visible']:,.0f} rows/s, peak {found['peak_mb']:,.0f} MB",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
    parser.add_argument("--seconds", type=int, default=WRK_SECONDS, help="each wrk run's length")
    parser.add_argument("--import-lines", type=int, default=100_000, help="0: no import bench")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk drives the HTTP figures: `apt-get install wrk` (Debian), then again")
    # The collector as a projector process sets it: the catch-ups here are what one does
    # (with the defaults the audit trail's caught up ~15 % slower, walking its batch's rows).
    tune_collector()
    with services_and_schema() as settings:
        print(f"centsource bench ({os.cpu_count()} cores), schema {settings.database_schema}")
        bench_transcoding()
        bench_store(settings)
        bench_catch_up(settings)
        bench_http(settings, arguments.seconds)
    if arguments.import_lines:
        bench_import(arguments.import_lines)
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump({key: round(value, 3) for key, value in figures.items()}, out, indent=2)


if __name__ == "__main__":
    main()

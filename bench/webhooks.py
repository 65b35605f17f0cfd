"""Prints how fast recorded transactions reach a webhook subscriber, through the relay, NATS and
the dispatcher. Run: `.venv/bin/python bench/webhooks.py`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. The relay, the subscriptions projection and the dispatcher run in this
process, each on its own event loop; the subscriber is a local HTTP server answering 200.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import threading
import time
from collections.abc import Coroutine
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
from services import services_and_schema

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.webhooks.application import Webhooks
from infra import database
from infra.settings import Settings
from projections import registry
from projections.webhooks.dispatcher import dispatch

BURST = 2_000  # transactions saved at once, 100 a save
SINGLES = 100  # transactions saved one by one, for the latency of each
arrivals: dict[str, float] = {}  # transaction id → when its webhook arrived
arrived = threading.Condition()


class Subscriber(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection, as subscribers' servers do

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        transaction_id = msgspec.json.decode(body)["data"]["id"]
        with arrived:
            arrivals.setdefault(transaction_id, time.perf_counter())
            arrived.notify_all()
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def in_background(work: Coroutine[Any, Any, None]) -> None:
    threading.Thread(target=asyncio.run, args=(work,), daemon=True).start()


def wait_for(ids: list[str], timeout: float = 600) -> None:
    with arrived:
        if not arrived.wait_for(lambda: all(i in arrivals for i in ids), timeout):
            raise SystemExit(f"only {sum(i in arrivals for i in ids)} of {len(ids)} arrived")


def watch_intake(settings: Settings, count: int, at: list[float]) -> None:
    """Notes when the dispatcher's intake has made ``count`` deliveries."""
    with psycopg.connect(settings.database, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {settings.database_schema}")
        while True:
            row = conn.execute("SELECT count(*) FROM webhook_deliveries").fetchone()
            if row is not None and row[0] >= count:
                at.append(time.perf_counter())
                return
            time.sleep(0.02)


def record(ledger: Ledger, workspace_id: UUID, account_id: UUID, count: int) -> list[str]:
    by = Actor(uuid4(), "bench")
    coffee = TransactionDetails(
        account_id, date(2026, 3, 1), Decimal("-4.20"), "EUR", "coffee", None, None, (), None
    )
    transactions = [Transaction.record(uuid4(), workspace_id, coffee, by) for _ in range(count)]
    ledger.save_all(*transactions)
    return [str(t.id) for t in transactions]


def bench(settings: Settings) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Subscriber)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = database.event_store_env(settings)
    ledger, webhooks = Ledger(env), Webhooks(env)
    by = Actor(uuid4(), "bench")
    workspace_id = uuid4()
    account, _ = ledger.open_account(
        uuid4(), workspace_id, "Cash", AccountType.CASH, "EUR", Decimal(0), by
    )
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    webhooks.subscribe(uuid4(), workspace_id, url, ("transaction.created",), None, by)
    in_background(registry.run_all(settings, registry.select(settings, ["webhooks", "relay"])))
    in_background(dispatch(settings))
    wait_for(record(ledger, workspace_id, account.id, 1))  # everything is up

    started = time.perf_counter()
    queued: list[float] = []
    intake = threading.Thread(target=watch_intake, args=(settings, BURST + 1, queued))
    intake.start()
    ids = [i for _ in range(BURST // 100) for i in record(ledger, workspace_id, account.id, 100)]
    saved = time.perf_counter()
    wait_for(ids)
    seconds = time.perf_counter() - started
    print(f"  burst of {BURST:,} recorded in {saved - started:.2f} s, all delivered after")
    print(f"    {seconds:.2f} s: {BURST / seconds:,.0f} webhooks/s")
    intake.join()
    print(f"    (the intake had made all their deliveries after {queued[0] - started:.2f} s)")

    latencies = []
    for _ in range(SINGLES):
        committed = time.perf_counter()
        [one] = record(ledger, workspace_id, account.id, 1)
        wait_for([one])
        latencies.append((arrivals[one] - committed) * 1000)
        time.sleep(0.02)
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"  one at a time ({SINGLES}), save to arrival: p50 {cuts[49]:.0f} ms, "
        f"p95 {cuts[94]:.0f} ms, max {max(latencies):.0f} ms"
    )
    server.shutdown()


def main() -> None:
    with services_and_schema() as settings:
        print(f"centsource webhooks bench ({os.cpu_count()} cores)")
        bench(settings)


if __name__ == "__main__":
    main()

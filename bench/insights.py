"""Prints each insight route's p50, uncached and cached, on a workspace of two years.
Run: `.venv/bin/python bench/insights.py [--transactions N] [--json]` (N 100,000 by default).

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. The transactions go in through `POST …/imports` (CSV files of at most
20,000 lines), then the bench waits for `centsource project` to reach the head of the log.
An uncached sample first deletes the workspace's keys in Redis (no write: a write would also
make the projections and the log bigger between samples). With `wrk` installed, each route's
cached requests/s at 8 connections for 5 s is set against the dashboard's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from uuid import uuid4

import httpx
import msgspec
import psycopg
import redis
from psycopg import sql
from services import services_and_schema

from infra.embedded import free_port
from infra.settings import Settings
from infra.supervisor import wait_healthy
from projections import registry, runtime

CHUNK_LINES = 20_000
UNCACHED_SAMPLES = 7
CACHED_SAMPLES = 30
WRK_CONNECTIONS, WRK_SECONDS = 8, 5
DAYS = 730
ROUTES = [
    "stats",
    "stats/trends",
    "stats/top-categories",
    "stats/cash-flow",
    "stats/periods",
    "insights/anomalies",
    "insights/spending-patterns",
    "insights/recurring",
    "insights/savings-opportunities",
    "health-score",
    "health-score/history",
    "overview",
    "briefing",
    "insights/risk-flags",
    "schedules",
    "forecasts/balance",
    "forecasts/scenarios",
    "forecasts/future",
    "dashboard",
]
# Random spending: (category slug, merchants, smallest and largest amount).
SPENDING = [
    ("restaurants", ["PIZZERIA NAPOLI", "SUSHI BAR KYO", "BURGER HOUSE"], 12, 90),
    ("coffee_shops", ["STARBUCKS #1042", "COSTA COFFEE", "CAFE CENTRAL"], 2, 9),
    ("fuel", ["SHELL OIL 57444", "ARAL STATION 12", "BP EXPRESS"], 30, 95),
    ("public_transport", ["METRO TICKETS", "RAIL COMPANY"], 2, 60),
    ("taxi_and_rideshare", ["UBER TRIP", "BOLT RIDE"], 7, 45),
    ("parking", ["CITY PARKING"], 2, 20),
    ("home_maintenance", ["HARDWARE DEPOT"], 10, 250),
    ("pharmacy", ["CITY PHARMACY"], 4, 60),
    ("doctor", ["DR MEIER PRACTICE"], 30, 180),
    ("movies_and_events", ["CINEMA STAR", "TICKETMASTER"], 10, 120),
    ("games", ["STEAM PURCHASE"], 5, 70),
    ("clothing", ["ZARA STORE", "H&M 221"], 15, 160),
    ("electronics", ["ELECTRONICS WORLD", "AMZN Mktp DE"], 20, 600),
    ("household", ["IKEA 044", "AMZN Mktp DE"], 5, 200),
    ("flights", ["LUFTHANSA", "RYANAIR"], 60, 450),
    ("lodging", ["HOTEL ADLER", "AIRBNB"], 70, 400),
    ("education", ["BOOKSHOP", "ONLINE COURSE"], 10, 200),
    ("personal_care", ["HAIR SALON", "DM DROGERIE"], 5, 60),
    ("gifts_and_donations", ["RED CROSS", "GIFT SHOP"], 10, 100),
    ("bank_fees", ["ACCOUNT FEE", "ATM FEE"], 1, 8),
]
SUBSCRIPTIONS = [  # merchant, category, price before, price after the step
    ("NETFLIX.COM", "streaming", "12.99", "15.99"),
    ("SPOTIFY", "streaming", "9.99", "10.99"),
    ("GYM FIT CLUB", "fitness", "29.90", "34.90"),
    ("TELEKOM MOBILE", "internet_and_phone", "39.95", "39.95"),
]


def statements(total: int, today: date) -> dict[str, list[tuple[date, str]]]:
    """CSV lines (without header) per account over the two years up to today, dated."""
    pick = random.Random(11)
    start = today - timedelta(days=DAYS - 1)
    lines: dict[str, list[tuple[date, str]]] = defaultdict(list)

    def add(account: str, day: date, at: str, text: str, amount: str, cur: str, cat: str) -> None:
        lines[account].append((day, f"{day},{at},{text},{amount},{cur},{cat}"))

    month = start.replace(day=1)
    while month <= today:
        if month >= start:
            add("checking", month, "06:00", "SALARY ACME CORP", "3850.00", "EUR", "income")
            add(
                "checking",
                month + timedelta(days=2),
                "07:00",
                "RENT MAY STREET",
                "-1150.00",
                "EUR",
                "rent",
            )
        for number, (merchant, category, before, after) in enumerate(SUBSCRIPTIONS):
            day = month + timedelta(days=4 + number * 3)
            price = before if day < start + timedelta(days=DAYS // 2) else after
            if start <= day <= today:
                add("card", day, "03:15", merchant, f"-{price}", "EUR", category)
        month = (month + timedelta(days=32)).replace(day=1)
    day = start
    while day <= today:  # weekly groceries, on Saturdays
        if day.weekday() == 5:
            amount = pick.randint(6_000, 14_000) / 100
            add("checking", day, "10:30", "TESCO STORES 3012", f"-{amount:.2f}", "EUR", "groceries")
        day += timedelta(days=1)
    for _ in range(max(0, total - sum(len(v) for v in lines.values()))):
        category, merchants, low, high = pick.choice(SPENDING)
        day = start + timedelta(days=pick.randrange(DAYS))
        hour = pick.choice([23, 0, 1]) if pick.random() < 0.05 else pick.randint(7, 21)
        at = f"{hour:02d}:{pick.randrange(60):02d}"
        amount = f"-{pick.randint(low * 100, high * 100) / 100:.2f}"
        if pick.random() < 0.1:
            add("dollars", day, at, pick.choice(merchants), amount, "USD", category)
        else:
            add(
                pick.choice(["checking", "card", "card"]),
                day,
                at,
                pick.choice(merchants),
                amount,
                "EUR",
                category,
            )
    return lines


def chunks(lines: list[tuple[date, str]]) -> list[str]:
    """CSV files of whole months (so identical lines of a day stay in one file, where they
    all count), each of at most CHUNK_LINES lines."""
    by_month: dict[tuple[int, int], list[str]] = defaultdict(list)
    for day, line in sorted(lines):
        by_month[(day.year, day.month)].append(line)
    files: list[list[str]] = [[]]
    for month_lines in by_month.values():
        if len(files[-1]) + len(month_lines) > CHUNK_LINES:
            files.append([])
        files[-1].extend(month_lines)
    header = "Date,Time,Description,Amount,Currency,Category"
    return ["\n".join([header, *file]) + "\n" for file in files if file]


def rates(today: date) -> list[dict[str, str]]:
    start, pick, rate = today - timedelta(days=DAYS), random.Random(5), 0.92
    sheet = []
    for number in range(0, DAYS + 1, 7):
        rate *= 1 + pick.uniform(-0.01, 0.01)
        day = start + timedelta(days=number)
        sheet.append({"date": str(day), "currency": "USD", "quote": "EUR", "rate": f"{rate:.4f}"})
    return sheet


CREDENTIALS = {"email": f"bench-{uuid4().hex[:8]}@example.com", "password": "Bench-mark-1"}


def login(command: httpx.Client) -> dict[str, str]:
    """The auth header of a fresh access token (one lasts less than a long catch-up)."""
    token = command.post("/api/auth/login", json=CREDENTIALS).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def setup(command: httpx.Client, total: int) -> tuple[str, dict[str, str], int]:
    """A user, a workspace with its accounts, rates and imports; the workspace, the auth
    header and how many transactions went in."""
    command.post("/api/auth/signup", json={**CREDENTIALS, "name": "Bench"}).raise_for_status()
    auth = login(command)
    workspace = command.post(
        "/api/workspaces", json={"name": "Bench", "base_currency": "EUR"}, headers=auth
    ).json()["id"]
    base = f"/api/workspaces/{workspace}"
    accounts = {}
    for name, kind, currency in [
        ("checking", "CHECKING", "EUR"),
        ("card", "CREDIT_CARD", "EUR"),
        ("savings", "SAVINGS", "EUR"),
        ("dollars", "CHECKING", "USD"),
    ]:
        body = {"name": name, "type": kind, "currency": currency}
        response = command.post(f"{base}/accounts", json=body, headers=auth)
        response.raise_for_status()
        accounts[name] = response.json()["id"]
    today = date.today()
    command.post(
        f"{base}/exchange-rates", json={"rates": rates(today)}, headers=auth
    ).raise_for_status()
    imported = 0
    for account, lines in statements(total, today).items():
        for number, content in enumerate(chunks(lines)):
            response = command.post(
                f"{base}/imports",
                data={"account_id": accounts[account]},
                files={"file": (f"{account}-{number}.csv", content.encode(), "text/csv")},
                headers=auth,
                timeout=600,
            )
            assert response.status_code == 201, response.text
            imported += response.json()["imported"]
    return workspace, auth, imported


async def wait_for_projections(settings: Settings) -> None:
    names = [*registry.READ_MODELS, *registry.PROCESS_MANAGERS]
    while True:
        head, positions = await runtime.positions(settings)
        if all(positions.get(name, 0) >= head for name in names):
            return
        await asyncio.sleep(1)


def analyse(settings: Settings) -> None:
    """Statistics for the read models, as autovacuum gathers them minutes after a bulk write
    on a server that runs it (a server without it would plan every query for empty tables)."""
    with psycopg.connect(settings.database, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (settings.database_schema,)
        ).fetchall()
        for (table,) in rows:
            conn.execute(
                sql.SQL("ANALYZE {}").format(sql.Identifier(settings.database_schema, table))
            )


def p50_ms(read: httpx.Client, path: str, auth: dict[str, str], before: object) -> float:
    timings = []
    for _ in range(UNCACHED_SAMPLES if callable(before) else CACHED_SAMPLES):
        if callable(before):
            before()
        started = time.perf_counter()
        response = read.get(path, headers=auth)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return statistics.median(timings) * 1000


def wrk_rate(url: str, auth: dict[str, str]) -> float:
    output = subprocess.run(
        [
            "wrk",
            f"-c{WRK_CONNECTIONS}",
            "-t2",
            f"-d{WRK_SECONDS}s",
            "-H",
            f"Authorization: {auth['Authorization']}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found, output
    assert "Non-2xx" not in output, output
    return float(found.group(1))


def measure(settings: Settings, total: int) -> dict[str, object]:
    command_port, read_port = free_port(), free_port()
    bench = msgspec.structs.replace(
        settings,
        command_port=command_port,
        read_port=read_port,
        metrics_port=free_port(),
        log_level="warning",
        rate_limits="off",  # one client sends hundreds of reads: the limits would measure
    )
    env = {**os.environ, **bench.as_env()}
    processes = [
        subprocess.Popen([sys.executable, "-m", "infra.cli", name], env=env)
        for name in ("command-api", "read-api", "project")
    ]
    command_url, read_url = f"http://127.0.0.1:{command_port}", f"http://127.0.0.1:{read_port}"
    try:
        wait_healthy(f"{command_url}/health")
        wait_healthy(f"{read_url}/health")
        started = time.perf_counter()
        with httpx.Client(base_url=command_url, timeout=60) as command:
            workspace, auth, imported = setup(command, total)
        print(
            f"  imported {imported:,} transactions in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        started = time.perf_counter()
        asyncio.run(wait_for_projections(settings))
        analyse(settings)
        with httpx.Client(base_url=command_url, timeout=60) as command:
            auth = login(command)
        print(
            f"  projections at the head after {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        cache = redis.Redis.from_url(settings.redis)
        pattern = f"*:{settings.database_schema}:{workspace}:*"

        def clear() -> None:
            keys = list(cache.scan_iter(match=pattern, count=1000))
            if keys:
                cache.delete(*keys)

        month = date.today().strftime("%Y-%m")
        with_wrk = shutil.which("wrk") is not None
        results: dict[str, dict[str, object]] = {}
        with httpx.Client(base_url=read_url, timeout=120) as read:
            for route in ROUTES:
                path = f"/api/workspaces/{workspace}/{route}"
                if route == "dashboard":
                    path += f"?month={month}"
                uncached = p50_ms(read, path, auth, clear)
                read.get(path, headers=auth)  # fills the cache
                cached = p50_ms(read, path, auth, None)
                x_cache = read.get(path, headers=auth).headers.get("X-Cache", "-")
                row: dict[str, object] = {
                    "uncached_p50_ms": round(uncached, 1),
                    "cached_p50_ms": round(cached, 1),
                    "x_cache": x_cache,
                }
                if with_wrk:
                    row["cached_req_s"] = round(wrk_rate(read_url + path, auth), 1)
                results[route] = row
                print(f"  {route}: {uncached:.0f} / {cached:.0f} ms", file=sys.stderr, flush=True)
        if with_wrk:
            dashboard = float(results["dashboard"]["cached_req_s"])  # type: ignore[arg-type]
            for row in results.values():
                row["vs_dashboard"] = round(float(row["cached_req_s"]) / dashboard, 2)  # type: ignore[arg-type]
        return {"transactions": imported, "wrk": with_wrk, "routes": results}
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    with services_and_schema() as settings:
        print(
            f"centsource insights bench ({os.cpu_count()} cores), schema "
            f"{settings.database_schema}",
            file=sys.stderr,
            flush=True,
        )
        figures = measure(settings, arguments.transactions)
    if arguments.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"{figures['transactions']:,} transactions over two years; uncached: Redis keys of "
        f"the workspace deleted before each of {UNCACHED_SAMPLES} samples; cached: "
        f"{CACHED_SAMPLES} samples"
    )
    header = f"{'route':<32} {'uncached p50':>13} {'cached p50':>11} {'X-Cache':>8}"
    if figures["wrk"]:
        header += f" {'cached req/s':>13} {'vs dashboard':>13}"
    print(header)
    for route, row in figures["routes"].items():  # type: ignore[attr-defined]
        line = (
            f"{route:<32} {row['uncached_p50_ms']:>10.1f} ms {row['cached_p50_ms']:>8.1f} ms "
            f"{row['x_cache']:>8}"
        )
        if figures["wrk"]:
            line += f" {row['cached_req_s']:>13,.0f} {row['vs_dashboard']:>12.0%}"
        print(line)
    if not figures["wrk"]:
        print(
            f"wrk not found: `apt-get install wrk` for the cached requests/s at "
            f"{WRK_CONNECTIONS} connections"
        )


if __name__ == "__main__":
    main()

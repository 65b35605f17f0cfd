"""Imports a 100,000-row CSV statement and waits until the read model shows every row.
Run: `.venv/bin/python bench/import_100k.py [ROWS]`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. The path is the one `POST …/imports` and `centsource import` take:
parse, check duplicates, categorize, build, save in one transaction.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from uuid import uuid4

import psycopg
from services import services_and_schema

from command_api.spreadsheets import read_statement
from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.workspaces.application import Workspaces
from infra import database
from infra.settings import Settings
from projections import registry, runtime

MERCHANTS = [
    *(f"STARBUCKS #{n} SEATTLE WA" for n in range(1000, 1040)),
    *(f"TESCO STORES {n}" for n in range(3000, 3060)),
    *(f"SQ *CAFE NUMBER {n}" for n in range(200)),
    "AMZN Mktp US*2K3LA1",
    "SHELL OIL 57444 HOUSTON TX",
    "SALARY ACME CORP",
]


def statement(rows: int) -> bytes:
    """Rows over a year, a few hundred merchants, and some identical lines (which all count)."""
    shuffle = random.Random(7)
    lines = ["Date,Description,Amount"]
    start = date(2025, 1, 1)
    for number in range(rows):
        day = start + timedelta(days=number * 365 // rows)
        amount = Decimal(shuffle.randint(100, 15_000)) / -100
        lines.append(f"{day.isoformat()},{shuffle.choice(MERCHANTS)},{amount}")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with services_and_schema() as settings:
        run(settings, rows)


def run(settings: Settings, rows: int) -> dict[str, float]:
    """Prints each stage's time; returns rows/s from the file to visible and peak MB."""
    env = database.event_store_env(settings)
    by = Actor(uuid4(), "bench")
    workspaces, ledger = Workspaces(env), Ledger(env)
    workspace, _ = workspaces.create_workspace(uuid4(), "Bench", "EUR", by)
    account, _ = ledger.open_account(
        uuid4(), workspace.id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), by
    )
    content = statement(rows)
    print(f"centsource import bench: {rows:,} rows, {len(content) / 1_048_576:.1f} MB CSV")

    started = time.perf_counter()
    parsed = read_statement(content, None, "bench.csv", None)
    parse_seconds = time.perf_counter() - started
    stages: dict[str, float] = {}
    report = ledger.import_statement(
        uuid4(),
        workspace.id,
        account.id,
        "bench.csv",
        parsed.format,
        parsed.lines,
        parsed.rejected,
        False,
        by,
        progress=lambda stage, done, total: stages.setdefault(stage, time.perf_counter()),
    )
    saved = time.perf_counter()
    total = saved - started
    assert report.imported == rows, (report.imported, report.rejected[:3])
    print(f"  parse                          {parse_seconds:6.1f} s")
    print(f"  check, categorize, build       {stages['saving'] - stages['checking']:6.1f} s")
    print(f"  save (one transaction)         {saved - stages['saving']:6.1f} s")
    print(f"  import, whole                  {total:6.1f} s  {rows / total:8,.0f} rows/s")

    projection = registry.select(settings, ["transactions"])[0]
    started = time.perf_counter()
    asyncio.run(runtime.catch_up_once(settings, projection))
    with psycopg.connect(
        settings.database, options=f"-c search_path={settings.database_schema}"
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM transactions WHERE account_id = %s", (account.id,)
        ).fetchone()
    visible = time.perf_counter() - started
    assert row is not None
    assert row[0] == rows, row
    print(f"  transactions read model        {visible:6.1f} s  {rows / visible:8,.0f} rows/s")
    print(
        f"  file to read model             {total + visible:6.1f} s  "
        f"{rows / (total + visible):8,.0f} rows/s"
    )

    started = time.perf_counter()
    again = ledger.import_statement(
        uuid4(), workspace.id, account.id, "bench.csv", parsed.format, parsed.lines, [], True, by
    )
    seconds = time.perf_counter() - started
    assert again.imported == 0
    assert len(again.skipped) == rows
    print(f"  the same file again (dry run)  {seconds:6.1f} s  {rows / seconds:8,.0f} rows/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process    {peak:6.0f} MB")
    workspaces.close()
    ledger.close()
    return {"rows_per_s_to_visible": rows / (total + visible), "peak_mb": peak}


if __name__ == "__main__":
    main()

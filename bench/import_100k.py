"""Imports a 100,000-row CSV statement and waits until the read model shows every row.
Run: `.venv/bin/python bench/import_100k.py [ROWS] [--json FILE]`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. The path is the one `POST …/imports` and `centsource import` take:
parse, check duplicates, categorize, build the recordings and save them in chunks (each one
transaction), while the transactions read model follows the log in a projector process of
its own, as under `centsource up`; the clock stops when the read model shows every row. Each
stage prints its wall time and this process's CPU time (on a shared machine the wall time
moves with the load, the CPU time much less).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import psycopg
from services import services_and_schema

from command_api.spreadsheets import read_statement
from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.workspaces.application import Workspaces
from infra import database
from infra.processes import tune_collector
from infra.settings import Settings

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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=100_000)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
    arguments = parser.parse_args()
    tune_collector()  # as the command API and `centsource import` set it
    with services_and_schema() as settings:
        found = run(settings, arguments.rows)
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump(found, out)


def run(settings: Settings, rows: int) -> dict[str, float]:
    """Prints each stage's time; returns rows/s from the file to visible and the peak MB of
    the importing process."""
    env = database.event_store_env(settings)
    by = Actor(uuid4(), "bench")
    workspaces, ledger = Workspaces(env), Ledger(env)
    workspace, _ = workspaces.create_workspace(uuid4(), "Bench", "EUR", by)
    account, _ = ledger.open_account(
        uuid4(), workspace.id, "Checking", AccountType.CHECKING, "EUR", Decimal(0), by
    )
    content = statement(rows)
    print(f"centsource import bench: {rows:,} rows, {len(content) / 1_048_576:.1f} MB CSV")
    projector = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "project", "transactions"],
        env={**os.environ, **settings.as_env(), "CENTSOURCE_LOG_LEVEL": "warning"},
    )
    try:
        with psycopg.connect(settings.database, **database.connection_kwargs(settings)) as conn:
            conn.autocommit = True
            _wait(conn, "SELECT count(*) AS n FROM transactions", (), 0)  # the projector is up

            cpu_before = _cpu_seconds([projector.pid, *_postgres_pids()])
            clock = Clock()
            parsed = read_statement(content, None, "bench.csv", None)
            clock.lap("parse")
            chunks: list[int] = []  # transactions kept at each chunk's commit but the last

            def progress(stage: str, done: int, total: int) -> None:
                if stage == "kept":
                    chunks.append(done)

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
                progress=progress,
            )
            assert report.imported == rows, (report.imported, report.rejected[:3])
            clock.lap(f"check, build, save ({len(chunks) + 1} chunks)")
            imported = clock.since_start()
            print(f"  {'import, whole':<34}{imported:6.1f} s  {rows / imported:8,.0f} rows/s")
            counted = "SELECT count(*) AS n FROM transactions WHERE account_id = %s"
            _wait(conn, counted, (account.id,), rows)
            clock.lap("then until the read model shows all")
        cpu_after = _cpu_seconds([projector.pid, *_postgres_pids()])
        total = clock.since_start()
        print(f"  {'file to read model':<34}{total:6.1f} s  {rows / total:8,.0f} rows/s")
        print(f"  {'  CPU time of this process':<34}{clock.cpu:6.1f} s")
        spent = {pid: cpu - cpu_before.get(pid, 0.0) for pid, cpu in cpu_after.items()}
        projected = spent.pop(projector.pid, 0.0)
        print(f"  {'  CPU time of the projector':<34}{projected:6.1f} s")
        print(f"  {'  CPU time of PostgreSQL (local)':<34}{sum(spent.values()):6.1f} s")
        # Before the dry run below, which holds a report of every line skipped.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  {'peak memory of this process':<34}{peak:6.0f} MB")
        print(f"  {'peak memory of the projector':<34}{_peak_mb(projector.pid):6.0f} MB")
    finally:
        projector.terminate()
        projector.wait(15)

    started = time.perf_counter()
    again = ledger.import_statement(
        uuid4(), workspace.id, account.id, "bench.csv", parsed.format, parsed.lines, [], True, by
    )
    seconds = time.perf_counter() - started
    assert again.imported == 0
    assert len(again.skipped) == rows
    print(f"  {'the same file again (dry run)':<34}{seconds:6.1f} s  {rows / seconds:8,.0f} rows/s")
    workspaces.close()
    ledger.close()
    return {"rows_per_s_to_visible": rows / total, "peak_mb": peak}


def _wait(
    conn: psycopg.Connection[dict[str, Any]], count: str, params: tuple[Any, ...], rows: int
) -> None:
    """Until ``count`` finds ``rows`` (the table may not be there yet); 10 ms apart."""
    deadline = time.monotonic() + 300
    while True:
        try:
            found = conn.execute(count, params).fetchone()
            if found is not None and found["n"] >= rows:
                return
        except psycopg.errors.UndefinedTable:
            pass
        assert time.monotonic() < deadline, f"the read model never showed {rows} rows"
        time.sleep(0.01)


def _postgres_pids() -> list[int]:
    """The processes of a PostgreSQL on this machine (none when it runs elsewhere)."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() == "postgres":
                    pids.append(int(entry))
        except (OSError, ValueError):
            continue
    return pids


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Each process's CPU time so far (user and system), from /proc/PID/stat."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended since
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return found


def _peak_mb(pid: int) -> float:
    """The process's peak resident memory (Linux's VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Clock:
    """Wall and CPU time of each stage, printed as it ends."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.cpu_started = self.cpu_last = time.process_time()
        self.cpu = 0.0

    def lap(self, stage: str) -> float:
        now, cpu = time.perf_counter(), time.process_time()
        wall = now - self.last
        print(f"  {stage:<34}{wall:6.1f} s  (CPU {cpu - self.cpu_last:5.1f} s)")
        self.last, self.cpu_last = now, cpu
        self.cpu = cpu - self.cpu_started
        return wall

    def since_start(self) -> float:
        return self.last - self.started


if __name__ == "__main__":
    main()

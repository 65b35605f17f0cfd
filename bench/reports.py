"""Prints how long `POST …/reports` takes to make a quarter's PDF on a workspace of two years.
Run: `.venv/bin/python bench/reports.py [--transactions N] [--samples S] [--json]` (N 100,000
and S 5 by default). Target: 3 s or less with insights.

The workspace is the insights bench's (bench/insights.py: CSV imports through the API, then
`centsource project` brought to the head). Each sample is one new report of the last quarter
that is over, timed from the request to the answer (the PDF, its charts and the event are
written by then), with insights and without; then the PDF is downloaded once to check it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date

import httpx
import msgspec
from insights import setup, wait_for_projections
from services import services_and_schema

from infra.embedded import free_port
from infra.settings import Settings
from infra.supervisor import wait_healthy

TARGET_SECONDS = 3.0


def last_quarter(today: date) -> str:
    quarter = (today.month - 1) // 3  # the current one, 0-based
    return f"Q{quarter}-{today.year}" if quarter else f"Q4-{today.year - 1}"


def measure(settings: Settings, total: int, samples: int) -> dict[str, object]:
    command_port, read_port = free_port(), free_port()
    bench = msgspec.structs.replace(
        settings,
        command_port=command_port,
        read_port=read_port,
        metrics_port=free_port(),
        log_level="warning",
        rate_limits="off",
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
        with httpx.Client(base_url=command_url, timeout=600) as command:
            workspace, auth, imported = setup(command, total)
            print(
                f"  imported {imported:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr
            )
            asyncio.run(wait_for_projections(settings))
            period = last_quarter(date.today())
            results: dict[str, object] = {"transactions": imported, "period": period}
            for insights in (True, False):
                timings, answer = [], None
                for _ in range(samples):
                    began = time.perf_counter()
                    answer = command.post(
                        f"/api/workspaces/{workspace}/reports",
                        json={"period": period, "format": "pdf", "include_insights": insights},
                        headers=auth,
                    )
                    timings.append(time.perf_counter() - began)
                    assert answer.status_code == 201, answer.text[:500]
                assert answer is not None
                made = answer.json()
                key = "with_insights" if insights else "without_insights"
                results[key] = {
                    "p50_s": round(statistics.median(timings), 3),
                    "min_s": round(min(timings), 3),
                    "max_s": round(max(timings), 3),
                    "expenses_in_period": made["summary"]["expense_count"],
                    "pdf_bytes": made["file_size"],
                }
                print(f"  {key}: p50 {statistics.median(timings):.2f} s", file=sys.stderr)
        with httpx.Client(base_url=read_url, timeout=60) as read:
            pdf = read.get(made["file"], params={"min_position": made["position"]}, headers=auth)
            assert pdf.status_code == 200, pdf.text[:300]
            assert pdf.content.startswith(b"%PDF"), pdf.content[:20]
        return results
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    with services_and_schema() as settings:
        print(f"centsource reports bench ({os.cpu_count()} cores)", file=sys.stderr)
        figures = measure(settings, arguments.transactions, arguments.samples)
    if arguments.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['transactions']:,} transactions over two years; a PDF of {figures['period']}")
    for key in ("with_insights", "without_insights"):
        row = figures[key]
        assert isinstance(row, dict)
        verdict = "within" if row["p50_s"] <= TARGET_SECONDS else "OVER"
        print(
            f"{key:<17} p50 {row['p50_s']:.2f} s (min {row['min_s']:.2f}, max "
            f"{row['max_s']:.2f}; {arguments.samples} samples; {verdict} the "
            f"{TARGET_SECONDS:.0f} s target), {row['expenses_in_period']:,} expenses, "
            f"PDF {row['pdf_bytes']:,} bytes"
        )


if __name__ == "__main__":
    main()

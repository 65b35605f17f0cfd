"""A rebuild swaps its tables in while the read API answers from them: no reader gets a 5xx,
and the rebuild does not fail either (they took the tables' locks in opposite orders)."""

from __future__ import annotations

import asyncio
import threading

from infra.settings import Settings
from projections import rebuilds, registry
from tests.api import Api


def test_rebuilding_the_dashboard_while_it_is_read_fails_neither(
    api: Api, settings: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    last = 0
    for amount in ("-5.75", "1200.00", "-80.10"):
        last = api.record(user, workspace, account, amount=amount)["position"]
    api.read(user, f"/api/workspaces/{workspace}/dashboard", last, month="2026-03")

    statuses: list[int] = []
    stop = threading.Event()

    def read_continuously() -> None:
        while not stop.is_set():
            for month in ("2026-03", "2026-02"):
                response = api.reads.get(
                    f"/api/workspaces/{workspace}/dashboard",
                    params={"month": month},
                    headers=user.headers,
                )
                statuses.append(response.status_code)

    readers = [threading.Thread(target=read_continuously) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        [projection] = registry.select(settings, ["dashboard"])
        for _ in range(4):
            assert asyncio.run(rebuilds.rebuild(settings, projection)) >= last
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert statuses, "no reader got an answer"
    assert [status for status in statuses if status >= 500] == []

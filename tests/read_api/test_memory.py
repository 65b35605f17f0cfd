"""Answers kept in the read API's memory: dropped when the log announces a change of their
workspace in a read model they were made from, and never kept when a change came while
they were being read."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from uuid import UUID, uuid4

from infra.settings import Settings
from projections import rebuilds, registry
from read_api.memory import Memory
from tests.api import Api

A, B = uuid4(), uuid4()


def test_a_change_drops_the_answers_of_its_workspace_made_from_its_read_model() -> None:
    memory = Memory()
    memory.put(A, "dashboard", ("dashboard", "ledger"), b"a", memory.ticket())
    memory.put(A, "page", ("transactions",), b"p", memory.ticket())
    memory.put(B, "dashboard", ("dashboard", "ledger"), b"b", memory.ticket())
    memory.changed("ledger", [A])
    assert memory.get(A, "dashboard") is None
    assert memory.get(A, "page") == b"p"  # not made from the ledger
    assert memory.get(B, "dashboard") == b"b"  # another workspace
    memory.changed("transactions", None)  # any workspace: a rebuild swapped its tables in
    assert memory.get(A, "page") is None
    assert memory.get(B, "dashboard") == b"b"


def test_an_answer_read_across_a_change_is_served_but_not_kept() -> None:
    memory = Memory()
    ticket = memory.ticket()
    memory.changed("dashboard", [A])  # announced while the answer was being read
    memory.put(A, "dashboard", ("dashboard",), b"old", ticket)
    memory.put(A, "page", ("transactions",), b"p", ticket)  # not made from the dashboard
    memory.put(B, "dashboard", ("dashboard",), b"b", ticket)  # B did not change
    assert memory.get(A, "dashboard") is None
    assert memory.get(A, "page") == b"p"
    assert memory.get(B, "dashboard") == b"b"
    ticket = memory.ticket()
    memory.forget()
    memory.put(B, "other", ("dashboard",), b"b", ticket)
    assert memory.get(B, "other") is None
    memory.keeping = False  # the watcher lost its connection: announcements go unheard
    memory.put(B, "other", ("dashboard",), b"b", memory.ticket())
    assert memory.get(B, "other") is None


def test_memory_keeps_to_its_size_dropping_the_oldest_first() -> None:
    memory = Memory(max_bytes=64)
    for n in range(10):
        memory.put(A, n, ("dashboard",), bytes(4), memory.ticket())
    assert memory.size <= 64
    memory.put(A, "big", ("dashboard",), bytes(8), memory.ticket())
    assert memory.get(A, "big") is None  # bigger than a 16th of the memory: never kept
    for n in range(20):
        memory.put(A, n, ("dashboard",), bytes(4), memory.ticket())
    assert memory.get(A, 0) is None
    assert memory.get(A, 19) == bytes(4)
    assert memory.size == 64


def test_the_dashboard_kept_in_memory_changes_with_its_workspace_only(api: Api) -> None:
    memory: Memory = api.reads.app.state.positions.memory
    user = api.user()
    mine, other = api.workspace(user), api.workspace(user)
    account, elsewhere = api.account(user, mine), api.account(user, other)
    first = api.record(user, mine, account, amount="-10.00")
    url = f"/api/workspaces/{mine}/dashboard"
    api.read(user, url, first["position"], month="2026-03")
    key = ("dashboard", date(2026, 3, 1))
    kept = memory.get(UUID(mine), key)
    assert kept is not None
    # Another workspace's transaction leaves it where it is.
    away = api.record(user, other, elsewhere, amount="-99.00")
    api.read(user, f"/api/workspaces/{other}/dashboard", away["position"], month="2026-03")
    assert memory.get(UUID(mine), key) == kept
    hit = api.reads.get(url, params={"month": "2026-03"}, headers=user.headers)
    assert hit.content == kept
    # One of its own drops it: a read at the command's position never sees the old one.
    second = api.record(user, mine, account, amount="-5.00")
    body = api.read(user, url, second["position"], month="2026-03")
    assert body["totals"][0]["expenses"] == "15.00"


def test_a_transactions_page_kept_in_memory_follows_a_category_rename(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    recorded = api.record(user, workspace, account, category="Snacks")
    url = f"/api/workspaces/{workspace}/transactions"
    page = api.read(user, url, recorded["position"], page_size=20)
    assert [row["category"] for row in page["data"]] == ["Snacks"]
    renamed = api.commands.patch(
        f"/api/workspaces/{workspace}/categories/{recorded['category_id']}",
        json={"name": "Treats"},
        headers=user.headers,
    )
    assert renamed.status_code == 200, renamed.text
    page = api.read(user, url, renamed.json()["position"], page_size=20)
    assert [row["category"] for row in page["data"]] == ["Treats"]


def test_a_logout_is_refused_though_the_session_was_checked_before(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    recorded = api.record(user, workspace, api.account(user, workspace))
    url = f"/api/workspaces/{workspace}/transactions"
    for _ in range(2):  # the second answer's access comes from memory
        api.read(user, url, recorded["position"])
    logout = api.commands.post("/api/auth/logout", headers=user.headers)
    assert logout.status_code == 200
    assert api.reads.get(url, headers=user.headers).status_code == 401


def test_a_rebuild_drops_what_was_kept_of_its_read_model(api: Api, settings: Settings) -> None:
    memory: Memory = api.reads.app.state.positions.memory
    user = api.user()
    workspace = api.workspace(user)
    recorded = api.record(user, workspace, api.account(user, workspace))
    api.read(user, f"/api/workspaces/{workspace}/dashboard", recorded["position"], month="2026-03")
    key = ("dashboard", date(2026, 3, 1))
    assert memory.get(UUID(workspace), key) is not None
    [projection] = registry.select(settings, ["dashboard"])
    asyncio.run(rebuilds.rebuild(settings, projection))
    # The swap's announcement ("any workspace") reaches the read API after its commit.
    deadline = time.monotonic() + 10
    while memory.get(UUID(workspace), key) is not None:
        assert time.monotonic() < deadline, "the rebuilt dashboard is still kept"
        time.sleep(0.01)


def test_a_dashboard_kept_in_memory_follows_a_new_base_currency(api: Api) -> None:
    user = api.user()
    workspace = api.workspace(user)
    recorded = api.record(user, workspace, api.account(user, workspace), amount="-10.00")
    url = f"/api/workspaces/{workspace}/dashboard"
    before = api.read(user, url, recorded["position"], month="2026-03")
    assert before["base_totals"]["currency"] == "EUR"
    changed = api.commands.put(
        f"/api/workspaces/{workspace}/settings",
        json={"base_currency": "GBP", "timezone": "Europe/London", "week_start": "MONDAY"},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    after = api.read(user, url, changed.json()["position"], month="2026-03")
    assert after["base_totals"]["currency"] == "GBP"
    assert after["base_totals"]["unconverted"] == ["EUR"]  # no rate recorded

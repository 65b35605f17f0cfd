"""Imports of 20,000 lines, through the API and from the shell, over a unix socket (the
embedded PostgreSQL) and over TCP: they finish, a command sent meanwhile waits its turn and
goes through, and Ctrl-C on the shell's import keeps nothing of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from command_api.app import create_app
from infra.embedded import EmbeddedServices
from infra.settings import Settings
from tests.api import Api
from tests.conftest import drop_schema, fresh_schema

LINES = 20_000  # ~1 MB of CSV, ~19 MB of events: what hung a pipeline at any buffer size
HANG = 300  # seconds: an import still going then has hung (it takes seconds)
ROOT = Path(__file__).resolve().parents[2]


def statement(lines: int = LINES) -> bytes:
    rows = (
        f"2026-{1 + n % 12:02d}-{1 + n % 28:02d},Shop {n} purchase,-{1 + n % 900}.{n % 100:02d}"
        for n in range(lines)
    )
    return ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module", params=["unix socket", "tcp"])
def database(
    request: pytest.FixtureRequest, services: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Settings on PostgreSQL over a unix socket (the embedded server, started here unless
    the tests already run on it) or over TCP (the one CENTSOURCE_DATABASE_URL names)."""
    on_socket = str(conninfo_to_dict(services.database).get("host", "")).startswith("/")
    if request.param == "tcp" and on_socket:
        pytest.skip("the embedded PostgreSQL listens on a unix socket only")
    if request.param == "tcp" or on_socket:
        settings = fresh_schema(services)
        yield settings
        drop_schema(settings)
        return
    with EmbeddedServices(tmp_path_factory.mktemp("embedded")) as embedded:
        yield fresh_schema(embedded.complete(msgspec.structs.replace(services, database_url=None)))


@pytest.fixture(scope="module")
def commands(database: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(database)) as client:
        yield client


@pytest.fixture
def api(commands: TestClient[Any]) -> Api:
    return Api(commands, commands)  # these tests read nothing from the read API


def holds_the_event_table(settings: Settings, finished: Callable[[], bool]) -> bool:
    """Waits until a transaction holds the event table's write lock (True), or ``finished``."""
    events = f"{settings.database_schema}.centsource_events"
    query = (
        "SELECT 1 FROM pg_locks WHERE relation = to_regclass(%s)"
        " AND mode = 'ExclusiveLock' AND granted"
    )
    with psycopg.connect(settings.database, autocommit=True) as conn:
        while not finished():
            if conn.execute(query, (events,)).fetchone():
                return True
    return False


def events_in(settings: Settings) -> int:
    with psycopg.connect(settings.database) as conn:
        table = sql.Identifier(settings.database_schema, "centsource_events")
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
    assert row is not None
    return int(row[0])


def shell_import(settings: Settings, file: Path, workspace: str, account: str) -> Any:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cli",
            "import",
            str(file),
            "--workspace",
            workspace,
            "--account",
            account,
        ],
        cwd=ROOT,
        env={**os.environ, **settings.as_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_import_of_20000_lines_through_the_api_finishes_and_a_command_meanwhile_follows_it(
    api: Api, database: Settings
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    other = api.user("Grace")
    elsewhere = api.workspace(other)
    cash = api.account(other, elsewhere)
    answers: list[Any] = []
    importing = threading.Thread(
        target=lambda: answers.append(
            api.commands.post(
                f"/api/workspaces/{workspace}/imports",
                files={"file": ("big.csv", statement())},
                data={"account_id": account},
                headers=user.headers,
            )
        ),
        daemon=True,
    )
    importing.start()
    assert holds_the_event_table(database, lambda: not importing.is_alive())
    recorded = api.record(other, elsewhere, cash)  # waits for the import's lock, then goes
    importing.join(HANG)
    assert not importing.is_alive(), "the import hung"
    [imported] = answers
    assert imported.status_code == 201, imported.text
    assert imported.json()["imported"] == LINES
    assert recorded["position"] > imported.json()["position"]


def test_an_import_of_20000_lines_from_the_shell_finishes_and_a_command_meanwhile_follows_it(
    api: Api, database: Settings, tmp_path: Path
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    file = tmp_path / "big.csv"
    file.write_bytes(statement())
    process = shell_import(database, file, workspace, account)
    assert holds_the_event_table(database, lambda: process.poll() is not None)
    recorded = api.record(user, workspace, account)
    out, err = process.communicate(timeout=HANG)
    assert process.returncode == 0, err
    assert out.startswith(f"{LINES} imported, 0 already there, 0 rejected"), out
    assert recorded["position"] > int(out.rsplit("at position ", 1)[1])


def test_ctrl_c_on_a_shell_import_says_so_in_a_line_keeps_nothing_and_exits_130(
    api: Api, database: Settings, tmp_path: Path
) -> None:
    user = api.user()
    workspace = api.workspace(user)
    account = api.account(user, workspace)
    file = tmp_path / "big.csv"
    file.write_bytes(statement(20_000))  # one chunk, long enough to be caught saving
    before = events_in(database)
    process = shell_import(database, file, workspace, account)
    assert holds_the_event_table(database, lambda: process.poll() is not None)
    process.send_signal(signal.SIGINT)  # while it saves: the strongest case
    out, err = process.communicate(timeout=HANG)
    assert process.returncode == 130, err
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "interrupted: nothing saved"
    assert events_in(database) == before
    api.record(user, workspace, account)  # the lock is free

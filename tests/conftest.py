"""Fixtures: real PostgreSQL, NATS and Redis (CENTSOURCE_*_URL, else embedded), own schemas."""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import psycopg
import pytest
from litestar.testing import TestClient
from psycopg import sql

from command_api.app import create_app as create_command_app
from infra.embedded import EmbeddedServices
from infra.logs import configure_logging
from infra.settings import Settings
from projections import registry
from read_api.app import create_app as create_read_app
from tests.api import Api

ALL_PROJECTIONS = [*registry.READ_MODELS, *registry.PROCESS_MANAGERS, "relay"]

# A run started in the background by a script (`cmd &`) has SIGINT ignored, and so would every
# process its tests start; the tests that press Ctrl-C need it as a terminal has it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def services() -> Iterator[Settings]:
    """The machine's services where CENTSOURCE_*_URL names them; embedded ones otherwise."""
    configure_logging(
        os.environ.get("CENTSOURCE_TEST_LOG", "warning")
    )  # the in-process projector's batch lines would drown the report
    settings = msgspec.structs.replace(
        Settings.from_env(),
        secret_key="test-secret-key-that-is-long-enough-for-hs256",
        # Tests share one client address; the limits' own tests set the real tiers.
        rate_limits="strict=100000/900,expensive=100000/3600,moderate=100000/900,lenient=100000/900",
        login_lockout="100000/900",
    )
    with tempfile.TemporaryDirectory(prefix="centsource-test-") as data_dir:
        embedded = EmbeddedServices(Path(data_dir))
        try:
            yield embedded.complete(settings)
        finally:
            embedded.stop()


def fresh_schema(services: Settings) -> Settings:
    return msgspec.structs.replace(services, database_schema=f"test_{uuid4().hex[:12]}")


def drop_schema(settings: Settings) -> None:
    with psycopg.connect(settings.database, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(settings.database_schema)
            )
        )


@pytest.fixture(scope="session")
def settings(services: Settings) -> Iterator[Settings]:
    settings = fresh_schema(services)
    yield settings
    drop_schema(settings)


@pytest.fixture
def own_schema(services: Settings) -> Iterator[Settings]:
    """A schema of the test's own: an event log no other test writes to."""
    settings = fresh_schema(services)
    yield settings
    drop_schema(settings)


class BackgroundProjector:
    """Runs projections live in a thread of the test process, as `centsource project` would."""

    def __init__(self, settings: Settings, names: list[str]) -> None:
        self.loop = asyncio.new_event_loop()
        projections = registry.select(settings, names)
        self.task = self.loop.create_task(registry.run_all(settings, projections))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.task)
        except (asyncio.CancelledError, Exception):  # noqa: BLE001, S110 - stopped by the fixture
            pass
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


@pytest.fixture(scope="session")
def projector(settings: Settings) -> Iterator[BackgroundProjector]:
    background = BackgroundProjector(settings, ALL_PROJECTIONS)
    yield background
    background.stop()


@pytest.fixture(scope="session")
def command_client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_command_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def read_client(settings: Settings, projector: BackgroundProjector) -> Iterator[TestClient[Any]]:
    with TestClient(create_read_app(settings)) as client:
        yield client


@pytest.fixture
def api(command_client: TestClient[Any], read_client: TestClient[Any]) -> Api:
    return Api(command_client, read_client)


def pytest_report_header() -> str:
    using = [
        name for name in ("DATABASE", "NATS", "REDIS") if os.environ.get(f"CENTSOURCE_{name}_URL")
    ]
    source = f"from CENTSOURCE_*_URL: {', '.join(using)}" if using else "embedded"
    return f"centsource services: {source}"


@pytest.fixture
def mailbox(settings: Settings) -> Any:
    """The newest mail the dev mailbox kept for an email (tests run without SMTP)."""

    def newest_to(email: str) -> str:
        with psycopg.connect(settings.database) as conn:
            row = conn.execute(
                sql.SQL(
                    "SELECT body FROM {}.dev_mailbox WHERE recipient = %s ORDER BY id DESC"
                ).format(sql.Identifier(settings.database_schema)),
                (email,),
            ).fetchone()
        assert row is not None, f"no mail to {email}"
        return str(row[0])

    return newest_to

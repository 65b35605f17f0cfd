"""Fixtures: a webhook receiver, the dispatcher running in the test process, and a whole
installation of a test's own that mails through a real SMTP server. The receiver listens on
127.0.0.1, so webhooks' tests allow private addresses (CENTSOURCE_WEBHOOK_ALLOW_PRIVATE)."""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import TestClient

from command_api.app import create_app as create_command_app
from infra.embedded import free_port
from infra.settings import Settings
from projections.webhooks.dispatcher import dispatch
from read_api.app import create_app as create_read_app
from tests.api import Api
from tests.command_api.test_rate_limits_and_mail import Inbox
from tests.conftest import ALL_PROJECTIONS, BackgroundProjector
from tests.webhooks.receiver import Receiver

FAST_RETRIES = "0.2,0.2,0.2,0.2,0.2"


class BackgroundDispatcher:
    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.task = self.loop.create_task(dispatch(settings))
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - shown, and the test waiting on it fails
            traceback.print_exc()
        finally:
            self.loop.close()

    def stop(self) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.task.cancel)
        self.thread.join(10)


@pytest.fixture(scope="session")
def private_command_client(settings: Settings) -> Iterator[TestClient[Any]]:
    """The session's command API, but webhooks may go to private addresses."""
    allowed = msgspec.structs.replace(settings, webhook_allow_private=True)
    with TestClient(create_command_app(allowed)) as client:
        yield client


@pytest.fixture
def api(private_command_client: TestClient[Any], read_client: TestClient[Any]) -> Api:
    return Api(private_command_client, read_client)


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        webhook_retry_schedule=FAST_RETRIES,
        webhook_timeout=2.0,
        webhook_allow_private=True,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def dispatcher(fast_settings: Settings, projector: object) -> Iterator[BackgroundDispatcher]:
    background = BackgroundDispatcher(fast_settings)
    yield background
    background.stop()


@pytest.fixture
def stack(own_schema: Settings) -> Iterator[tuple[Api, Settings, Inbox]]:
    """A whole installation of the test's own, mailing through a real SMTP server."""
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = msgspec.structs.replace(
        own_schema,
        smtp_url=f"smtp://127.0.0.1:{port}",
        webhook_retry_schedule=FAST_RETRIES,
        webhook_allow_private=True,
    )
    projector = BackgroundProjector(settings, ALL_PROJECTIONS)
    dispatcher = BackgroundDispatcher(settings)
    try:
        with (
            TestClient(create_command_app(settings)) as commands,
            TestClient(create_read_app(settings)) as reads,
        ):
            yield Api(commands, reads), settings, inbox
    finally:
        dispatcher.stop()
        projector.stop()
        smtp.stop()

"""Fixtures: a webhook receiver, and the dispatcher running in the test process."""

from __future__ import annotations

import asyncio
import threading
import traceback
from collections.abc import Iterator

import msgspec
import pytest

from infra.settings import Settings
from projections.webhooks.dispatcher import dispatch
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


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings, webhook_retry_schedule=FAST_RETRIES, webhook_timeout=2.0
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

"""The webhook dispatcher counts its attempts by outcome and how many deliveries wait."""

from __future__ import annotations

import asyncio
import threading

from infra.metrics import WebhookMetrics
from infra.settings import Settings
from projections.webhooks.dispatcher import dispatch
from tests.api import Api
from tests.webhooks.receiver import Answer, Receiver
from tests.webhooks.test_deliveries import eventually, subscribe


def test_deliveries_are_counted_by_outcome(
    api: Api, receiver: Receiver, fast_settings: Settings, projector: object
) -> None:
    reported = WebhookMetrics()
    loop = asyncio.new_event_loop()
    task = loop.create_task(dispatch(fast_settings, reported))
    thread = threading.Thread(target=_run, args=(loop, task), daemon=True)
    thread.start()
    try:
        user = api.user()
        workspace = api.workspace(user)
        account = api.account(user, workspace)
        receiver.answers["/metered"] = [Answer(500)]
        subscribe(api, user, workspace, receiver.url("/metered"), "transaction.created")
        api.record(user, workspace, account)
        eventually(lambda: _count(reported, "delivered") >= 1, "a delivery")
        assert _count(reported, "retrying") >= 1  # the 500 before it
        exposition = reported.exposition()[0].decode()
        assert "centsource_webhook_queue_depth" in exposition
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(10)


def _count(reported: WebhookMetrics, outcome: str) -> float:
    value = reported.registry.get_sample_value(
        "centsource_webhook_deliveries_total", {"outcome": outcome}
    )
    return value or 0.0


def _run(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(task)
    except asyncio.CancelledError:
        pass
    finally:
        loop.close()

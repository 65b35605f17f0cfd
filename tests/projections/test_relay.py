"""The relay publishes every event to JetStream exactly once, across crashes and restarts."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest

from infra import broker
from infra.embedded import free_port, wait_for_port
from infra.settings import Settings
from projections import runtime
from projections.relay.projector import RelayProjection
from tests.projections.log_writer import write_history
from tests.projections.processes import (
    head,
    kill_half_way,
    positions,
    query,
    run_to_head,
    start,
    wait_until,
)


async def _messages_for(settings: Settings, workspace_id: UUID) -> int:
    client = await broker.connect(settings.nats)
    try:
        js = client.jetstream()
        info = await js.stream_info(
            settings.nats_stream, subjects_filter=f"{broker.SUBJECT_PREFIX}.{workspace_id}.>"
        )
        return sum((info.state.subjects or {}).values())
    finally:
        await client.close()


async def _first_message(settings: Settings, workspace_id: UUID) -> dict[str, Any]:
    client = await broker.connect(settings.nats)
    try:
        js = client.jetstream()
        message = await js.get_last_msg(
            settings.nats_stream, f"{broker.SUBJECT_PREFIX}.{workspace_id}.WorkspaceCreated"
        )
        assert message.data is not None
        envelope: dict[str, Any] = msgspec.json.decode(message.data)
        envelope["msg_id"] = (message.headers or {}).get("Nats-Msg-Id")
        return envelope
    finally:
        await client.close()


def _events_in(settings: Settings) -> int:
    """The schema holds one workspace, so all of its events are that workspace's."""
    return int(query(settings, "SELECT count(*) FROM centsource_events")[0][0])


def test_each_event_reaches_jetstream_once_across_a_killed_relay(own_schema: Settings) -> None:
    settings = own_schema
    workspace_id, _ = write_history(settings, transactions=3_000, seed=3)

    kill_half_way(settings, "relay", "relay")
    run_to_head(settings, "relay")

    expected = _events_in(settings)
    assert expected > 3_000
    assert asyncio.run(_messages_for(settings, workspace_id)) == expected


class CrashAfterPublishing(RelayProjection):
    """Dies after JetStream acknowledged the batch, before the position is committed."""

    async def after_batch(self) -> None:
        await super().after_batch()
        raise RuntimeError("crash between publishing and committing")


def test_a_batch_published_but_not_committed_is_not_delivered_twice(own_schema: Settings) -> None:
    settings = own_schema
    workspace_id, _ = write_history(settings, transactions=50, seed=4)

    async def crash_then_recover() -> None:
        conn = await runtime.open_connection(settings)
        crashing = CrashAfterPublishing(settings.nats, settings.nats_stream)
        try:
            await runtime.create_tables(conn, crashing)
            with pytest.raises(RuntimeError, match="crash between"):
                await runtime.process_batch(conn, crashing)
        finally:
            await crashing.close()
            await conn.close()
        assert positions(settings)["relay"] == 0
        await runtime.catch_up_once(settings, RelayProjection(settings.nats, settings.nats_stream))

    asyncio.run(crash_then_recover())
    assert positions(settings)["relay"] == head(settings)
    assert asyncio.run(_messages_for(settings, workspace_id)) == _events_in(settings)


def test_events_are_cloudevents_named_by_workspace_and_type(own_schema: Settings) -> None:
    settings = own_schema
    workspace_id, _ = write_history(settings, transactions=1, seed=5)
    asyncio.run(
        runtime.catch_up_once(settings, RelayProjection(settings.nats, settings.nats_stream))
    )
    envelope = asyncio.run(_first_message(settings, workspace_id))
    assert envelope["specversion"] == "1.0"
    assert envelope["type"] == "centsource.WorkspaceCreated"
    assert envelope["subject"] == str(workspace_id)
    assert envelope["data"]["name"] == "Bulk"
    assert envelope["msg_id"] == envelope["id"]
    assert envelope["position"] == 1


class PrivateNats:
    """A NATS server of this test's own, which it can stop and start again on one port."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = Path(sys.executable).parent / "nats-server"
        self.process = subprocess.Popen(
            [str(binary), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(10)


def test_the_relay_rides_out_a_broker_outage_without_losing_or_doubling(
    own_schema: Settings, tmp_path: Path
) -> None:
    nats = PrivateNats(tmp_path)
    settings = msgspec.structs.replace(own_schema, nats_url=nats.url)
    first_workspace, _ = write_history(settings, transactions=20, seed=6)
    relay = start(settings, "relay")  # before the broker is up: it must wait, not exit
    try:
        time.sleep(2)
        assert relay.poll() is None, "the relay exited while the broker was down"
        nats.start()
        wait_until(lambda: positions(settings).get("relay") == head(settings), 60, "publishing")
        nats.stop()
        second_workspace, _ = write_history(settings, transactions=20, seed=7)
        time.sleep(2)
        assert positions(settings)["relay"] < head(settings), "published with no broker"
        nats.start()
        wait_until(lambda: positions(settings).get("relay") == head(settings), 60, "recovery")
        assert relay.poll() is None, "the relay exited instead of waiting for the broker"
    finally:
        relay.terminate()
        relay.wait(10)
    published = sum(
        asyncio.run(_messages_for(settings, workspace))
        for workspace in (first_workspace, second_workspace)
    )
    nats.stop()
    assert published == _events_in(settings)

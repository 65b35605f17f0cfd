"""No event the store accepted can stop a projection: every one reaches the head of a log
that holds every event class with hostile text in every text field."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from uuid import UUID

import pytest

from infra.settings import Settings
from projections import registry, runtime
from tests.conftest import drop_schema, fresh_schema
from tests.projections.hostile_log import HOSTILE, event_classes, write_hostile_log
from tests.projections.processes import head, query


@pytest.fixture(scope="module")
def hostile(services: Settings) -> Iterator[tuple[Settings, dict[str, UUID]]]:
    """A schema whose log holds the hostile worlds (written once: it is a few hundred MB of JSON
    to write), and each kind's workspace id."""
    settings = fresh_schema(services)
    workspaces = write_hostile_log(settings)
    yield settings, workspaces
    drop_schema(settings)


def test_the_hostile_log_holds_every_event_class_of_the_domain(
    hostile: tuple[Settings, dict[str, UUID]],
) -> None:
    settings, _ = hostile
    topics = {row[0] for row in query(settings, "SELECT DISTINCT topic FROM centsource_events")}
    assert len(event_classes()) > 80
    assert topics >= {f"{cls.__module__}:{cls.__qualname__}" for cls in event_classes()}


@pytest.mark.parametrize("name", [*registry.READ_MODELS, *registry.PROCESS_MANAGERS, "relay"])
def test_every_projection_reaches_the_head_of_a_log_of_hostile_text(
    hostile: tuple[Settings, dict[str, UUID]], name: str
) -> None:
    settings, _ = hostile
    [projection] = registry.select(settings, [name])
    # A process manager waits for the read models it asks, and may append events of its own
    # (a budget's crossing): they are brought along until all stand at the head.
    read_models = registry.select(settings, list(registry.READ_MODELS))
    for _ in range(5):
        if name in registry.PROCESS_MANAGERS:
            for read_model in read_models:
                asyncio.run(runtime.catch_up_once(settings, read_model))
        position = asyncio.run(runtime.catch_up_once(settings, projection))
        if position == head(settings):
            break
    assert position == head(settings)


def test_hostile_text_reads_back_with_replacement_characters(
    hostile: tuple[Settings, dict[str, UUID]],
) -> None:
    settings, workspaces = hostile
    [projection] = registry.select(settings, ["ledger"])
    asyncio.run(runtime.catch_up_once(settings, projection))
    names = dict(
        query(
            settings,
            "SELECT workspace_id, name FROM ledger_categories WHERE workspace_id = ANY(%s)",
            list(workspaces.values()),
        )
    )
    assert names[workspaces["nul"]] == "before\ufffdafter"
    assert names[workspaces["surrogate"]] == "lone \ufffd and \ufffd surrogates"
    assert names[workspaces["emoji"]] == HOSTILE["emoji"]
    assert names[workspaces["rtl"]] == HOSTILE["rtl"]

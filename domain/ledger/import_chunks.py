"""An import's recordings saved a chunk per transaction: events made without their aggregates,
encoded as the store would encode them, and written once a chunk's bytes or lines reach a bound.

Each chunk commits whole or not at all, and its transactions' ids come from the file's lines:
an import cut short keeps whole chunks, and the same file imported again skips what they hold
and records the rest. Between chunks the event table's lock is free for other commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic

from domain.base import CentsourceApplication, ConflictError

# A chunk's bounds. An import of 20,000 ordinary lines (~19 MB of events) is still one
# transaction; a bigger one commits every ~25,000 lines.
CHUNK_BYTES = 32 * 1_048_576
CHUNK_EVENTS = 25_000

_JSON = msgspec.json.Encoder()
_AS_IS = frozenset((str, int, bool, type(None)))


class ImportChunks:
    """Collects encoded events and saves them, a chunk per transaction, through ``app``."""

    def __init__(self, app: CentsourceApplication) -> None:
        self.app = app
        self.max_bytes = CHUNK_BYTES
        self.max_events = CHUNK_EVENTS
        self.stored: list[StoredEvent] = []
        self.size = 0
        self.position = 0  # the last saved event's
        self.saved = 0  # events saved so far

    def add(self, event: CanMutateAggregate[UUID]) -> None:
        stored = encoded(self.app.mapper, event)
        self.stored.append(stored)
        self.size += len(stored.state) + len(stored.topic)

    @property
    def full(self) -> bool:
        return self.size >= self.max_bytes or len(self.stored) >= self.max_events

    def save(self, *aggregates: Aggregate) -> int:
        """Saves the chunk's events and the aggregates' new ones in one transaction."""
        position = save_stored(self.app, self.stored, *aggregates)
        self.saved += len(self.stored)
        self.stored, self.size = [], 0
        self.position = position or self.position
        return self.position


def save_stored(
    app: CentsourceApplication, stored: Sequence[StoredEvent], *aggregates: Aggregate
) -> int:
    """Events already encoded, then the aggregates' new events, in one transaction of the
    store (its lock, gap-free positions); the last position, or 0 with nothing to save."""
    pending = [app.mapper.to_stored_event(e) for a in aggregates for e in a.collect_events()]
    try:
        ids = app.recorder.insert_events([*stored, *pending])
    except IntegrityError as error:
        raise ConflictError("a concurrent change won the race; reload and retry") from error
    return max(ids or (), default=0)


def encoded(mapper: Mapper[UUID], event: CanMutateAggregate[UUID]) -> StoredEvent:
    """An event as the application's mapper stores it, byte for byte, but encoded by msgspec:
    json's encoder calls back into Python for every UUID, Decimal and date (~1.5x slower)."""
    transcoder = mapper.transcoder
    if mapper.compressor or mapper.cipher or not isinstance(transcoder, JSONTranscoder):
        return mapper.to_stored_event(event)
    state = dict(vars(event))
    originator_id = state.pop("originator_id")
    originator_version = state.pop("originator_version")
    class_version = getattr(type(event), "class_version", 1)
    if class_version > 1:
        state["class_version"] = class_version
    try:
        data = _JSON.encode({key: _tagged(transcoder, value) for key, value in state.items()})
    except TypeError:  # a type this way does not know: the library's says what to do
        return mapper.to_stored_event(event)
    return StoredEvent(originator_id, originator_version, get_topic(type(event)), data)


def _tagged(transcoder: JSONTranscoder, value: Any) -> Any:
    """A value as the JSON transcoder writes it: a registered type as ``{"_type_", "_data_"}``."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    transcoding = transcoder.types.get(kind)
    if transcoding is not None:
        return {"_type_": transcoding.name, "_data_": transcoding.encode(value)}
    if kind is tuple or kind is list:
        return [_tagged(transcoder, item) for item in value]
    if kind is dict and all(type(key) is str for key in value):
        return {key: _tagged(transcoder, item) for key, item in value.items()}
    raise TypeError(f"{kind} is left to the transcoder")

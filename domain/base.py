"""What all aggregates, events and applications share: who and when, errors, the log."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    OperationalError,
    Transcoder,
    Transcoding,
    UUIDAsHex,
)
from eventsourcing.utils import EnvType, retry

from domain.aggregate_cache import CHANGES_PER_QUERY, CachedRepository, LogChanges

# Natural keys (an email, an idempotency key) become ids in this namespace, so that the
# event store's (originator_id, version) key refuses a second aggregate for the same key.
NAMESPACE = UUID("6f1b3c2e-8d4a-5b7c-9e0f-1a2b3c4d5e6f")


# The years a date may fall in: money is not planned for the year 9999, and date arithmetic on
# such dates (the month after, a daily series) overflows.
SUPPORTED_YEARS = range(1900, 2201)


def check_supported_date(day: date, field: str) -> date:
    if day.year not in SUPPORTED_YEARS:
        raise InvalidInputError(
            f"must be a date from {SUPPORTED_YEARS[0]} to {SUPPORTED_YEARS[-1]}", field
        )
    return day


def natural_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE, "\x1f".join(str(part) for part in parts))


def natural_ids(parts: tuple[object, ...], lasts: Iterable[str]) -> list[UUID]:
    """``natural_id(*parts, last)`` for each of ``lasts`` (uuid5's SHA-1, the shared parts
    hashed once): an import's 100,000 ids in a third of the time."""
    shared = hashlib.sha1(NAMESPACE.bytes, usedforsecurity=False)
    shared.update("".join(f"{part}\x1f" for part in parts).encode())
    ids = []
    for last in lasts:
        hashed = shared.copy()
        hashed.update(last.encode())
        ids.append(UUID(bytes=hashed.digest()[:16], version=5))
    return ids


def normalize_email(email: str) -> str:
    """Emails compare, and key natural ids, case-folded and stripped."""
    return email.strip().casefold()


def hash_secret(secret: str) -> str:
    """How a high-entropy secret (refresh token, API key, invitation) is kept: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class DomainError(Exception):
    """A rule of the domain refused a command (answered 422)."""

    status = 422
    code: str | None = None  # a stable name clients can test for (NO_DATA_FOUND)

    def __init__(self, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidInputError(DomainError):
    """Input that could only be seen to be wrong once it was read (answered 400)."""

    status = 400


class NotFoundError(DomainError):
    status = 404


class ForbiddenError(DomainError):
    status = 403


class ConflictError(DomainError):
    status = 409


class StaleVersionError(DomainError):
    status = 412


class UnauthorizedError(DomainError):
    status = 401


def check_version(aggregate: Aggregate, expected_version: int | None) -> None:
    """``If-Match``: a change made against another version than the current one is stale."""
    if expected_version is not None and expected_version != aggregate.version:
        raise StaleVersionError(f"it is at version {aggregate.version}, not {expected_version}")


@dataclass(frozen=True)
class Actor:
    """Who asks for a change, and under which request."""

    actor_id: UUID
    correlation_id: str


class Tracked(Aggregate):
    """An aggregate whose every event says who caused it, in which workspace, and when."""

    class Event(Aggregate.Event):
        workspace_id: UUID | None
        actor_id: UUID
        correlation_id: str

        @property
        def occurred_at(self) -> datetime:
            return self.timestamp

    class Created(Event, Aggregate.Created):
        pass

    workspace_id: UUID | None

    def __deepcopy__(self, memo: dict[int, Any]) -> Tracked:
        """A copy for one command of an aggregate the repository keeps in memory: its
        containers are copied, its immutable values shared (the generic deepcopy rebuilds
        every UUID and frozen dataclass, and cost more than replaying a short stream)."""
        twin = object.__new__(type(self))
        twin.__dict__.update({name: _copied(value) for name, value in self.__dict__.items()})
        return twin

    def _trigger(self, event_class: type[Tracked.Event], by: Actor, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            workspace_id=self.workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            **fields,
        )


IMMUTABLE = (str, int, float, bytes, type(None), UUID, Decimal, date, time, Enum)
_PLAIN = frozenset({str, int, float, bool, bytes, type(None), UUID, Decimal, date, datetime, time})


def _copied(value: Any) -> Any:
    """``value`` with every mutable part copied and every immutable part shared."""
    kind = type(value)
    if kind in _PLAIN or _VALUES.get(kind):
        return value
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind is tuple:
        return tuple(_copied(item) for item in value)
    if kind in (set, frozenset):
        return kind(value)  # members are hashable, so immutable
    if isinstance(value, IMMUTABLE) or _is_value(kind):  # IMMUTABLE: enums, subclasses
        return value
    return copy.deepcopy(value)


_VALUES: dict[type, bool] = {}


def _is_value(kind: type) -> bool:
    """Whether ``kind`` is a frozen dataclass whose fields are all declared immutable (a
    str, a UUID, a Decimal, a date, an enum, a tuple of those, another such dataclass …):
    its instances are shared by copies. Decided once per class, from its annotations."""
    known = _VALUES.get(kind)
    if known is None:
        _VALUES[kind] = False  # while deciding: a field of its own kind is not yet known
        try:
            hints = typing.get_type_hints(kind) if dataclasses.is_dataclass(kind) else {}
        except (NameError, TypeError):  # an annotation it cannot resolve: copied, to be safe
            return False
        known = _VALUES[kind] = (
            dataclasses.is_dataclass(kind)
            and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
            and all(_immutable_type(hints[f.name]) for f in dataclasses.fields(kind))
        )
    return known


def _immutable_type(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return all(_immutable_type(arg) for arg in typing.get_args(hint))
    if origin in (tuple, frozenset):
        return all(arg is Ellipsis or _immutable_type(arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return True
    if origin is not None or not isinstance(hint, type):
        return False  # list[...], dict[...], Any …
    return issubclass(hint, IMMUTABLE) or _is_value(hint)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class TimeAsISO(Transcoding):
    """A local time of day (a transaction's), without a zone."""

    type = time
    name = "time_iso"

    def encode(self, obj: time) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> time:
        return time.fromisoformat(data)


def build_transcoder() -> JSONTranscoder:
    """JSON with UUIDs, Decimals, datetimes, dates and times, as every stored event is written."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), TimeAsISO()):
        transcoder.register(transcoding)
    return transcoder


def build_mapper() -> Mapper[UUID]:
    """The mapper that turns stored events back into domain events, for readers of the log."""
    return Mapper(transcoder=build_transcoder())


def changes_query(table: str, column: str) -> str:
    """What was stored after a position (its ids, and ``column``: an aggregate's id, a
    topic), at most so many, in order; a command asks it, and so does a projector.

    Bounded above by the log's last position too, which the planner cannot know: so it looks
    the range up in the index and reads what is in it. Bounded below only, it read the whole
    log and sorted it for every command wherever the server held no statistics of the log
    but its rows per page from when it was tiny (the read API makes an index on it at its
    first start; autovacuum, where it runs, analyses the log later): 1.8 to 3.4 ms of the
    server's time at 9,000 events, growing with the log; 0.2 ms this way."""
    return (
        f"SELECT notification_id, {column} FROM {table} "  # noqa: S608
        f"WHERE notification_id > %s AND notification_id <= (SELECT max(notification_id) "
        f"FROM {table}) ORDER BY notification_id LIMIT %s"
    )


TAggregate = TypeVar("TAggregate", bound=Aggregate)

_changes_lock = threading.Lock()


class CentsourceApplication(Application[UUID]):
    """Base of the bounded contexts' applications.

    Every context writes to one table, ``centsource_events``, so that a notification id is a
    global position: a client that wrote through one context can wait for that position on
    any read model.
    """

    LOG_NAME: ClassVar[str] = "centsource"

    def construct_env(self, name: str, env: EnvType | None = None) -> Any:
        return super().construct_env(self.LOG_NAME, env)

    def construct_transcoder(self) -> Transcoder:
        return build_transcoder()

    def construct_repository(self) -> Repository[UUID]:
        """Reads through the process's LogChanges, where the store is PostgreSQL."""
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is None:
            return super().construct_repository()
        repository = CachedRepository(event_store=self.events)
        with _changes_lock:  # one per pool, kept on it: a process's applications share it
            changes = getattr(datastore, "log_changes", None)
            if changes is None:
                changes = LogChanges(self._changes_since, self._last_position)
                datastore.log_changes = changes
        repository.changes = changes
        return repository

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _changes_since(self, position: int) -> list[tuple[int, UUID]]:
        """The aggregates whose events were stored after ``position``, in order."""
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(
                changes_query(self._table(), "originator_id"), (position, CHANGES_PER_QUERY)
            )
            return [(row["notification_id"], row["originator_id"]) for row in cursor.fetchall()]

    def _last_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def _table(self) -> str:
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        return ".".join(
            '"' + name.replace('"', '""') + '"'
            for name in (datastore.schema, self.recorder.events_table_name)  # type: ignore[attr-defined]
        )

    def _record(self, processing_event: ProcessingEvent[UUID]) -> Any:
        """Saves, and forgets the saved aggregates' kept copies, whatever the outcome: a
        later read in the same command reads what was stored."""
        try:
            return super()._record(processing_event)
        finally:
            if isinstance(self.repository, CachedRepository):
                self.repository.changes.forget(processing_event.aggregates)

    def save_all(self, *aggregates: Aggregate) -> int:
        """Saves the aggregates' new events in one transaction; returns the last position.

        A concurrent write to the same aggregate version loses here with a ConflictError.
        With no new event the position is 0: there is nothing for a reader to wait for.
        """
        try:
            recordings = self.save(*aggregates)
        except IntegrityError as error:
            raise ConflictError("a concurrent change won the race; reload and retry") from error
        return max((r.notification.id for r in recordings), default=0)

    def existing_ids(self, ids: list[UUID]) -> set[UUID]:
        """Which of these ids an aggregate already has: one query, for imports of many rows."""
        datastore = getattr(self.recorder, "datastore", None)
        if datastore is None:  # not PostgreSQL: ask the repository one by one
            return {i for i in ids if i in self.repository}
        # The ids go in binary (%b): as text, psycopg spelled out 100,000 of them in 0.2 s.
        query = (
            f"SELECT originator_id FROM {self._table()} "  # noqa: S608 - quoted identifiers of our own
            "WHERE originator_id = ANY(%b) AND originator_version = 1"
        )
        with datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (ids,))
            return {row["originator_id"] for row in cursor.fetchall()}

    def find(self, kind: type[TAggregate], aggregate_id: UUID) -> TAggregate | None:
        """The aggregate of this kind with this id, or None."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

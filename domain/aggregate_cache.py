"""Aggregates kept in a process's memory for as long as the log says they have not changed.

A command reads several aggregates (the session, the user, the workspace, the categories, the
account …) and most of them have not changed since the process last read them. Instead of
reading each one's events again, a command first asks the log which aggregates changed since
the process last asked (one query: the ids of the events stored since), forgets those, and
takes the others from memory. So a warm command reads what changed and nothing else, and a
change committed before the command began, by any process, is seen by it: a logged-out
session or a removed member is refused at once.

Outside a command (a process manager, a test, the CLI) nothing kept is used: every read
reads the aggregate's events, as the library does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository, project_aggregate

# The changes looked at in one query; past it, everything kept is forgotten at once.
CHANGES_PER_QUERY = 10_000
# How many changed ids are remembered (to refuse keeping a read that a change overtook).
REMEMBERED_CHANGES = 100_000

MISSING = object()  # kept for an id that no aggregate has, so a new id's check costs nothing

# Set while a command runs: the log was asked at its start, so its reads need not ask again.
_asked: ContextVar[bool] = ContextVar("asked", default=False)


class LogChanges:
    """The aggregates one process keeps, and what the log says changed since they were read.

    ``position`` is the last notification looked at. A kept aggregate is one whose every
    change up to ``position`` it holds; a change with a later notification forgets it when a
    later ``ask`` sees it. An aggregate read (or saved) while another change to it was being
    stored might miss that change: it is kept only if no change to it later than what it
    holds has been seen (``last_change``), and never if those changes were forgotten.
    """

    def __init__(
        self,
        read_changes: Callable[[int], list[tuple[int, UUID]]],
        read_last_position: Callable[[], int],
    ) -> None:
        self._read_changes = read_changes
        self._read_last_position = read_last_position
        start = read_last_position()
        self._asking = threading.Lock()  # one query at a time
        self._lock = threading.Lock()  # the state below
        self._asks_begun = 0
        self._asks_done = 0
        self.position = start
        self._kept: OrderedDict[UUID, Any] = OrderedDict()
        self._last_change: OrderedDict[UUID, int] = OrderedDict()
        self._forgotten_up_to = start
        self.max_kept = 1000

    @contextmanager
    def command(self) -> Iterator[None]:
        """Asks the log once; the reads inside take what is kept without asking again."""
        self.ask()
        token = _asked.set(True)
        try:
            yield
        finally:
            _asked.reset(token)

    @staticmethod
    def asked_for_this_task() -> None:
        """For a command API request, once ``ask`` returned (in a thread): the rest of the
        request's task (and the threads it starts, which copy its context) need not ask."""
        _asked.set(True)

    def ask(self) -> None:
        """Forgets what changed since the last question; shares a question begun after the
        call (a question begun before it may have missed a change the caller has seen)."""
        arrived_after = self._asks_begun
        with self._asking:
            if self._asks_done > arrived_after:
                return  # a question that began after this call has been answered
            self._asks_begun += 1
            number = self._asks_begun
            changes = self._read_changes(self.position)
            if len(changes) >= CHANGES_PER_QUERY:  # far behind: forget all, go to the end
                last = self._read_last_position()
                with self._lock:
                    self._kept.clear()
                    self._last_change.clear()
                    self.position = self._forgotten_up_to = last
                self._asks_done = number
                return
            with self._lock:
                for position, aggregate_id in changes:
                    self._kept.pop(aggregate_id, None)
                    self._last_change[aggregate_id] = position
                    self._last_change.move_to_end(aggregate_id)
                while len(self._last_change) > REMEMBERED_CHANGES:
                    _, position = self._last_change.popitem(last=False)
                    self._forgotten_up_to = max(self._forgotten_up_to, position)
                if changes:
                    self.position = changes[-1][0]
            self._asks_done = number

    @staticmethod
    def in_command() -> bool:
        return _asked.get()

    def get(self, aggregate_id: UUID) -> Any:
        """The kept aggregate (MISSING for an id known to have none), or None."""
        with self._lock:
            kept = self._kept.get(aggregate_id)
            if kept is not None:
                self._kept.move_to_end(aggregate_id)
            return kept

    def forget(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._kept.pop(aggregate_id, None)

    def keep(self, aggregate_id: UUID, aggregate: Any, holds_up_to: int) -> None:
        """Keeps what was read holding every change up to ``holds_up_to``, unless a later
        change to it was seen (or may have been, and forgotten)."""
        with self._lock:
            if holds_up_to < self._forgotten_up_to:
                return
            if self._last_change.get(aggregate_id, 0) > holds_up_to:
                return
            self._kept[aggregate_id] = aggregate
            self._kept.move_to_end(aggregate_id)
            while len(self._kept) > self.max_kept:
                self._kept.popitem(last=False)


class CachedRepository(Repository[UUID]):
    """The library's repository, reading through ``LogChanges`` for the latest version."""

    changes: LogChanges

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        if version is not None or kwargs or not self.changes.in_command():
            return super().get(aggregate_id, version=version, **kwargs)
        kept = self.changes.get(aggregate_id)
        if kept is MISSING:
            raise AggregateNotFoundError(aggregate_id)
        if kept is not None:
            return deepcopy(kept)  # a command changes its copy; what is kept stays as stored
        holds_up_to = self.changes.position  # every change up to here is in what is read next
        try:
            aggregate: Any = self._reconstruct_aggregate(
                aggregate_id,
                None,
                project_aggregate,  # type: ignore[arg-type]
            )
        except AggregateNotFoundError:
            self.changes.keep(aggregate_id, MISSING, holds_up_to)
            raise
        self.changes.keep(aggregate_id, aggregate, holds_up_to)
        return deepcopy(aggregate)

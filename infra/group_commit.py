"""Group commit: the saves that threads of one process make at once share one transaction."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(eq=False)
class Save(Generic[T]):
    """One caller's events, and what became of them: their positions or the error."""

    events: Sequence[T]
    positions: list[int] | None = None
    error: BaseException | None = None
    leads: bool = False
    woken: threading.Event = field(default_factory=threading.Event)


class GroupCommit(Generic[T]):
    """Coalesces concurrent saves into groups written by one ``write`` call each.

    Every save joins a queue. A save that finds no group being written leads: it takes the
    queue (at most ``max_saves``), writes it as one group, then hands the lead to the first
    save that queued meanwhile. Nothing waits for company: a lone writer's group is its own
    save, and under load the saves that queue while one group commits form the next. With
    the event table's lock only one transaction writes at a time anyway; a group pays for
    its lock, its round trips and its commit once for all its saves.

    ``write`` sets each save's positions, or its error when that save alone failed (a
    conflict); an exception out of ``write`` fails the whole group.
    """

    def __init__(self, write: Callable[[list[Save[T]]], None], max_saves: int = 64) -> None:
        self._write = write
        self._max_saves = max_saves
        self._lock = threading.Lock()
        self._queue: list[Save[T]] = []
        self._writing = False

    def submit(self, events: Sequence[T]) -> list[int]:
        save: Save[T] = Save(events)
        with self._lock:
            self._queue.append(save)
            if not self._writing:
                self._writing = save.leads = True
        if not save.leads:
            save.woken.wait()  # till its group is written, or it is handed the lead
        if save.leads:
            self._lead()
        if save.error is not None:
            raise copy.copy(save.error)  # each thread raises its own exception object
        assert save.positions is not None
        return save.positions

    def _lead(self) -> None:
        with self._lock:
            group = self._queue[: self._max_saves]
            del self._queue[: self._max_saves]
        try:
            self._write(group)
        except BaseException as error:  # noqa: BLE001 - every save of the group gets it
            for save in group:
                save.positions, save.error = None, error
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].woken.set()
                else:
                    self._writing = False
            for save in group[1:]:
                save.woken.set()

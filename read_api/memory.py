"""Answers kept in the read API's own memory, dropped as soon as the log says that a read
model they were made from changed their workspace.

A hit costs no I/O. Every projection's commit announces the workspaces it changed (see
``projections.runtime.announce``), and the position watcher hands each announcement here
before it moves that projection's position on: a client whose ``min_position`` a read
model has reached can no longer find an answer made before it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from uuid import UUID

MAX_BYTES = 64 * 1024 * 1024
MAX_CHANGES = 100_000  # last changes remembered, before they are forgotten


@dataclass(frozen=True)
class Ticket:
    """Taken before an answer is read, so that one read before a change is not kept after."""

    epoch: int
    change: int


@dataclass(frozen=True)
class _Entry:
    serving: tuple[str, ...]
    value: bytes


class Memory:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.keeping = True  # False while what the log announces cannot be heard
        self._entries: OrderedDict[tuple[UUID, Hashable], _Entry] = OrderedDict()
        self._keys: dict[UUID, set[Hashable]] = {}
        self._change = 0  # numbers every change announced
        # The number of the last change of each workspace in each read model.
        self._changed_at: dict[tuple[UUID, str], int] = {}
        self._epoch = 0  # numbers the times every answer was dropped

    def get(self, workspace_id: UUID, key: Hashable) -> bytes | None:
        entry = self._entries.get((workspace_id, key))
        return None if entry is None else entry.value

    def ticket(self) -> Ticket:
        return Ticket(self._epoch, self._change)

    def put(
        self,
        workspace_id: UUID,
        key: Hashable,
        serving: tuple[str, ...],
        value: bytes,
        ticket: Ticket,
    ) -> None:
        """Keeps ``value`` unless a change announced since ``ticket`` could make it stale."""
        if (
            not self.keeping
            or ticket.epoch != self._epoch
            or any(
                self._changed_at.get((workspace_id, name), 0) > ticket.change for name in serving
            )
            or len(value) > self.max_bytes // 16
        ):
            return
        self._drop((workspace_id, key))
        self._entries[(workspace_id, key)] = _Entry(serving, value)
        self._keys.setdefault(workspace_id, set()).add(key)
        self.size += len(value)
        while self.size > self.max_bytes:  # the oldest go first
            self._drop(next(iter(self._entries)))

    async def answer(
        self,
        workspace_id: UUID,
        key: Hashable,
        serving: tuple[str, ...],
        make: Callable[[], Awaitable[bytes]],
    ) -> tuple[bytes, bool]:
        """The answer kept under ``key``, else ``make``'s, kept; and whether it was kept."""
        value = self.get(workspace_id, key)
        if value is not None:
            return value, True
        ticket = self.ticket()
        value = await make()
        self.put(workspace_id, key, serving, value, ticket)
        return value, False

    def changed(self, name: str, workspaces: Iterable[UUID] | None) -> None:
        """Read model ``name`` changed these workspaces' rows (None: any workspace's)."""
        if workspaces is None:
            self._epoch += 1
            stale = [pair for pair, entry in self._entries.items() if name in entry.serving]
        else:
            stale = []
            self._change += 1
            if len(self._changed_at) > MAX_CHANGES:
                self._changed_at.clear()
                self._epoch += 1
            for workspace_id in workspaces:
                self._changed_at[(workspace_id, name)] = self._change
                for key in self._keys.get(workspace_id, ()):
                    if name in self._entries[(workspace_id, key)].serving:
                        stale.append((workspace_id, key))
        for pair in stale:
            self._drop(pair)

    def forget(self) -> None:
        """Drops every answer: what the log said may have been missed."""
        self._epoch += 1
        self._entries.clear()
        self._keys.clear()
        self.size = 0

    def _drop(self, pair: tuple[UUID, Hashable]) -> None:
        entry = self._entries.pop(pair, None)
        if entry is None:
            return
        self.size -= len(entry.value)
        keys = self._keys[pair[0]]
        keys.discard(pair[1])
        if not keys:
            del self._keys[pair[0]]

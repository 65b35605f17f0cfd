"""A projection run as N partitions by workspace: which partition an event of the log goes
to, read from its stored JSON without decoding the rest."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from projections.decoding import domain_event


class PartitionCountError(Exception):
    """The projection runs as another number of partitions than this runner's: it stops
    applying events (another count's runner would apply them a second time)."""


def partition_of(workspace_id: UUID | None, count: int) -> int:
    """The partition a workspace's events go to: CRC-32 of its id's 16 bytes, modulo the
    count, the same in every process and release. Events without a workspace (users,
    sessions) go to partition 0, so each event has exactly one partition."""
    return 0 if workspace_id is None else zlib.crc32(workspace_id.bytes) % count


class _UUIDHex(msgspec.Struct):
    data: str = msgspec.field(name="_data_")


class _Scope(msgspec.Struct):
    """The one field of a stored event's JSON a partition needs, read without the rest."""

    workspace_id: _UUIDHex | msgspec.UnsetType | None = msgspec.UNSET


def stored_workspace(stored: dict[str, Any]) -> UUID | None:
    """The workspace of a row of the log. Read from its JSON alone where it is there (a
    fraction of a full decode); an event stored without the field (an upcaster may add it)
    is decoded in full."""
    try:
        scope = msgspec.json.decode(stored["state"], type=_Scope)
    except msgspec.DecodeError:
        scope = _Scope()
    if scope.workspace_id is None:
        return None
    if isinstance(scope.workspace_id, _UUIDHex):
        try:
            return UUID(scope.workspace_id.data)
        except ValueError:
            pass
    workspace_id = getattr(domain_event(stored), "workspace_id", None)
    return workspace_id if isinstance(workspace_id, UUID) else None


@dataclass(frozen=True, order=True)
class Partition:
    """Partition ``index`` of ``count`` of a projection: the events of the workspaces that
    ``partition_of`` gives it, with its own tracked position."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Partition:
        """``"1/3"``: the second of three (partitions count from 0)."""
        index, slash, count = text.partition("/")
        if not (slash and index.isdigit() and count.isdigit()):
            raise ValueError(f"a partition is INDEX/COUNT, like 0/3, not {text!r}")
        partition = cls(int(index), int(count))
        if not 0 <= partition.index < partition.count:
            raise ValueError(
                f"partition {text} is not one of 0/{count} to {int(count) - 1}/{count}"
            )
        return partition

    def key(self, name: str) -> str:
        """Its row in ``projection_positions``: ``transactions#1/3``."""
        return f"{name}#{self.index}/{self.count}"

    def owns(self, stored: dict[str, Any]) -> bool:
        return partition_of(stored_workspace(stored), self.count) == self.index


def partitions_of(count: int) -> list[Partition]:
    return [Partition(index, count) for index in range(count)]

"""An import: one statement file's lines, which became transactions, which were already
there, which were refused and why."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_ids


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A line of a statement as its parser read it; ``line`` is where it starts in the file.
    Slotted: a 100,000-line file's lines are all in memory at once (~2x smaller)."""

    line: int
    date: date
    amount: Decimal
    description: str
    merchant: str | None = None
    fitid: str | None = None
    category: str | None = None
    notes: str | None = None
    currency: str | None = None
    tags: tuple[str, ...] = ()
    time: time | None = None  # the local time of day, where the file gives one

    def __post_init__(self) -> None:
        # Bank files carry stray control bytes (tabs in memos, a NUL, an EOF mark); text
        # reaches the log without them, as text through the API must.
        for name in ("description", "merchant", "fitid", "category", "currency"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, bank_text(value))
        if self.notes is not None:
            object.__setattr__(self, "notes", bank_text(self.notes, multiline=True))
        object.__setattr__(self, "tags", tuple(bank_text(tag) for tag in self.tags))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_CONTROL_IN_MULTILINE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]+")


def bank_text(text: str, multiline: bool = False) -> str:
    """Text from a statement file with each run of control characters (and any lone
    surrogate) made one space; in notes, tab and newline stay."""
    if multiline:
        return _CONTROL_IN_MULTILINE.sub(" ", text).strip()
    return " ".join(part.strip() for part in _CONTROL.split(text) if part.strip())


def content_key(line: StatementLine) -> str:
    """What makes two lines the same when the bank gave no FITID. Not the time: a file
    imported before times were read must still match itself read again with them."""
    text = " ".join(line.description.split()).casefold()
    return hashlib.sha256(f"{line.date}|{line.amount.normalize()}|{text}".encode()).hexdigest()[:32]


def external_ids(lines: list[StatementLine]) -> list[str]:
    """A FITID where the bank gave one; else the content key and its occurrence in the file,
    so two identical coffees on one day are two transactions, but the same file twice is one
    set of them."""
    seen: dict[str, int] = {}
    keys = []
    for line in lines:
        if line.fitid:
            keys.append(f"fitid:{line.fitid}")
            continue
        key = content_key(line)
        seen[key] = seen.get(key, 0) + 1
        keys.append(f"content:{key}:{seen[key]}")
    return keys


def imported_transaction_ids(
    workspace_id: UUID, account_id: UUID, external_ids: Iterable[str]
) -> list[UUID]:
    """Each line's transaction id: ``natural_id(workspace_id, account_id, "import", key)``."""
    return natural_ids((workspace_id, account_id, "import"), external_ids)


class Import(Tracked):
    class Completed(Tracked.Created):
        account_id: UUID
        file_name: str
        format: str
        imported: int
        skipped: tuple[dict[str, Any], ...]  # {"line", "transaction_id", "reason"}
        rejected: tuple[dict[str, Any], ...]  # {"line", "reason"}

    @event(Completed)
    def __init__(
        self,
        workspace_id: UUID,
        account_id: UUID,
        file_name: str,
        format: str,
        imported: int,
        skipped: tuple[dict[str, Any], ...],
        rejected: tuple[dict[str, Any], ...],
    ) -> None:
        self.workspace_id = workspace_id
        self.account_id = account_id
        self.file_name = file_name
        self.format = format
        self.imported = imported
        self.skipped = tuple(skipped)
        self.rejected = tuple(rejected)

    @classmethod
    def complete(
        cls,
        import_id: UUID,
        workspace_id: UUID,
        account_id: UUID,
        file_name: str,
        format: str,
        imported: int,
        skipped: list[dict[str, Any]],
        rejected: list[dict[str, Any]],
        by: Actor,
    ) -> Import:
        return cls._create(
            cls.Completed,
            id=import_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            account_id=account_id,
            file_name=file_name,
            format=format,
            imported=imported,
            skipped=tuple(skipped),
            rejected=tuple(rejected),
        )


class ImportProfile(Tracked):
    """A saved way to read one bank's CSV files: a ``CsvProfile``'s settings under a name."""

    class Saved(Tracked.Created):
        name: str
        settings: dict[str, Any]

    @event(Saved)
    def __init__(self, workspace_id: UUID, name: str, settings: dict[str, Any]) -> None:
        self.workspace_id = workspace_id
        self.name = name
        self.settings = dict(settings)
        self.removed = False

    @classmethod
    def save(
        cls, profile_id: UUID, workspace_id: UUID, name: str, settings: dict[str, Any], by: Actor
    ) -> ImportProfile:
        return cls._create(
            cls.Saved,
            id=profile_id,
            workspace_id=workspace_id,
            name=name,
            settings=settings,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Changed(Tracked.Event):
        name: str
        settings: dict[str, Any]

    def change(self, name: str, settings: dict[str, Any], by: Actor) -> None:
        if (name, settings) != (self.name, self.settings):
            self._trigger(self.Changed, by, name=name, settings=settings)

    @event(Changed)
    def _changed(self, name: str, settings: dict[str, Any]) -> None:
        self.name = name
        self.settings = dict(settings)

    class Removed(Tracked.Event):
        pass

    def remove(self, by: Actor) -> None:
        self._trigger(self.Removed, by)

    @event(Removed)
    def _removed(self) -> None:
        self.removed = True

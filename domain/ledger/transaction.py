"""A transaction: a signed amount on an account at a date, described and categorised."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from eventsourcing.utils import get_topic

from domain.base import (
    Actor,
    DomainError,
    InvalidInputError,
    NotFoundError,
    Tracked,
    check_supported_date,
)
from domain.ledger.categories import legacy_category_id
from domain.money import IMPORTED_PLACES, check_amount, decimal_places

MAX_TAGS = 20
MAX_TAG_LENGTH = 50
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 5 * 1_048_576
MEDIA_TYPES = {  # what a file starts with, and what it is
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}


def check_tags(tags: tuple[str, ...]) -> None:
    if len(tags) > MAX_TAGS or not all(1 <= len(tag) <= MAX_TAG_LENGTH for tag in tags):
        raise DomainError(f"up to {MAX_TAGS} tags of 1 to {MAX_TAG_LENGTH} characters each", "tags")


def sniff_media_type(content: bytes) -> str | None:
    """A receipt's type from its first bytes; what the client calls it does not count."""
    return next((kind for magic, kind in MEDIA_TYPES.items() if content.startswith(magic)), None)


class CategorizedBy(StrEnum):
    """Who chose a transaction's category; a user's choice over an automatic one is a
    correction, and later transactions of that merchant learn from it."""

    USER = "user"
    RULE = "rule"
    LEARNED = "learned"


@dataclass(frozen=True)
class TransactionDetails:
    """What a client says about a transaction; amounts are negative for money going out."""

    account_id: UUID
    date: date
    amount: Decimal
    currency: str
    description: str
    merchant: str | None
    category_id: UUID | None
    tags: tuple[str, ...]
    notes: str | None
    time: time | None = None  # the local time of day, when known (no zone: the workspace's)

    def check(self, places: int | None = None) -> None:
        """``places``: the decimals the amount may have where the currency's minor unit does
        not bound it (an imported amount, see ``IMPORTED_PLACES``)."""
        check_amount(self.amount, self.currency, places=places)
        check_supported_date(self.date, "date")
        if self.amount == 0:
            raise DomainError("a transaction moves money: the amount cannot be zero", "amount")
        check_tags(self.tags)
        check_time_of_day(self.time)


def check_time_of_day(value: time | None) -> None:
    """A wall-clock time to the second: a zone or a fraction would make two equal times
    unequal, and neither is anything a statement or a person means by it."""
    if value is not None and (value.tzinfo is not None or value.microsecond):
        raise InvalidInputError("a local time of day, HH:MM or HH:MM:SS", "time")


@dataclass(frozen=True)
class Categorization:
    """How a category was chosen when the user did not choose it."""

    by: CategorizedBy
    confidence: Decimal | None = None


@dataclass(frozen=True)
class Origin:
    """Where a transaction came from, when not from a client's single command."""

    transfer_id: UUID | None = None
    counter_account_id: UUID | None = None
    external_id: str | None = None  # a statement's FITID, or the import's content key
    import_id: UUID | None = None


@dataclass(frozen=True)
class Attachment:
    id: UUID
    file_name: str
    media_type: str
    size: int
    sha256: str  # where its content is kept


@dataclass(frozen=True)
class SplitPart:
    category_id: UUID | None
    amount: Decimal
    notes: str | None


class Transaction(Tracked):
    workspace_id: UUID  # always in one

    class Recorded(Tracked.Created):
        class_version = 3

        account_id: UUID
        date: date
        amount: Decimal
        currency: str
        description: str
        merchant: str | None
        category_id: UUID | None
        tags: tuple[str, ...]
        notes: str | None
        categorized_by: str | None
        confidence: Decimal | None
        transfer_id: UUID | None
        counter_account_id: UUID | None
        external_id: str | None
        import_id: UUID | None
        time: time | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _upcast_category(state)
            state.update(
                confidence=None,
                transfer_id=None,
                counter_account_id=None,
                external_id=None,
                import_id=None,
            )

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["time"] = None  # recorded before times of day were kept

    @event(Recorded)
    def __init__(
        self,
        workspace_id: UUID,
        account_id: UUID,
        date: date,
        amount: Decimal,
        currency: str,
        description: str,
        merchant: str | None,
        category_id: UUID | None,
        tags: tuple[str, ...],
        notes: str | None,
        categorized_by: str | None,
        confidence: Decimal | None,
        transfer_id: UUID | None,
        counter_account_id: UUID | None,
        external_id: str | None,
        import_id: UUID | None,
        time: time | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.details = TransactionDetails(
            account_id,
            date,
            amount,
            currency,
            description,
            merchant,
            category_id,
            tuple(tags),
            notes,
            time,
        )
        self.categorized_by = categorized_by
        self.confidence = confidence
        self.user_corrected = False
        self.origin = Origin(transfer_id, counter_account_id, external_id, import_id)
        self.splits: tuple[SplitPart, ...] = ()
        self.attachments: dict[UUID, Attachment] = {}
        self.reconciled = False
        self.deleted = False

    @classmethod
    def record(
        cls,
        transaction_id: UUID,
        workspace_id: UUID,
        details: TransactionDetails,
        by: Actor,
        categorization: Categorization | None = None,
        origin: Origin = Origin(),
    ) -> Transaction:
        recording = _recording(workspace_id, details, by, categorization, origin)
        return cls._create(cls.Recorded, id=transaction_id, **recording)

    @classmethod
    def recorded(
        cls,
        transaction_id: UUID,
        workspace_id: UUID,
        details: TransactionDetails,
        by: Actor,
        categorization: Categorization | None = None,
        origin: Origin = Origin(),
    ) -> Transaction.Recorded:
        """The event ``record`` makes, after the same checks, without making the aggregate
        (``mutate(None)`` makes it, as a replay does): an import of many lines keeps only
        their events, and building each aggregate cost three times its event."""
        return cls.Recorded(
            originator_topic=get_topic(cls),
            originator_id=transaction_id,
            originator_version=cls.INITIAL_VERSION,
            timestamp=cls.Recorded.create_timestamp(),
            **_recording(workspace_id, details, by, categorization, origin),
        )

    @property
    def is_transfer(self) -> bool:
        return self.origin.transfer_id is not None

    class Amended(Tracked.Event):
        """Carries every editable field as it is after the change."""

        class_version = 3

        account_id: UUID
        date: date
        amount: Decimal
        currency: str
        description: str
        merchant: str | None
        category_id: UUID | None
        tags: tuple[str, ...]
        notes: str | None
        categorized_by: str | None
        time: time | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            _upcast_category(state)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["time"] = None  # amended before times of day were kept

    def amend(self, details: TransactionDetails, by: Actor) -> None:
        """A user's change; a changed category becomes the user's choice."""
        self.check_not_deleted()
        # An imported amount finer than the minor unit may come back unchanged with the rest.
        unchanged = (details.amount, details.currency) == (
            self.details.amount,
            self.details.currency,
        )
        details.check(IMPORTED_PLACES if unchanged else None)
        if self.is_transfer and (
            details.account_id != self.details.account_id
            or details.amount != self.details.amount
            or details.currency != self.details.currency
        ):
            raise DomainError(
                "a transfer leg's account and amount change with its transfer: "
                "delete the transfer and record it again",
                "amount",
            )
        if self.splits and details.amount != self.details.amount:
            raise DomainError("the transaction is split: change the split with it", "amount")
        if details == self.details:
            return
        categorized_by = self.categorized_by
        if details.category_id != self.details.category_id:
            categorized_by = None if details.category_id is None else CategorizedBy.USER.value
        self._trigger(self.Amended, by, **_fields(details), categorized_by=categorized_by)

    @event(Amended)
    def _amended(
        self,
        account_id: UUID,
        date: date,
        amount: Decimal,
        currency: str,
        description: str,
        merchant: str | None,
        category_id: UUID | None,
        tags: tuple[str, ...],
        notes: str | None,
        categorized_by: str | None,
        time: time | None,
    ) -> None:
        if category_id != self.details.category_id:
            self._note_categorization(categorized_by, None)
        self.details = TransactionDetails(
            account_id,
            date,
            amount,
            currency,
            description,
            merchant,
            category_id,
            tuple(tags),
            notes,
            time,
        )

    class Categorized(Tracked.Event):
        """The category alone changed: in bulk, by a merge, or by what was learned."""

        category_id: UUID | None
        categorized_by: str | None
        confidence: Decimal | None

    def categorize(
        self, category_id: UUID | None, by: Actor, categorization: Categorization | None = None
    ) -> None:
        self.check_not_deleted()
        if category_id == self.details.category_id:
            return
        if categorization is None:
            categorization = Categorization(CategorizedBy.USER)
        self._trigger(
            self.Categorized,
            by,
            category_id=category_id,
            categorized_by=categorization.by.value if category_id else None,
            confidence=categorization.confidence,
        )

    @event(Categorized)
    def _categorized(
        self, category_id: UUID | None, categorized_by: str | None, confidence: Decimal | None
    ) -> None:
        self._note_categorization(categorized_by, confidence)
        self.details = replace(self.details, category_id=category_id)

    def _note_categorization(self, categorized_by: str | None, confidence: Decimal | None) -> None:
        """Who chose the new category; a user's choice over an automatic one is a correction."""
        automatic = (CategorizedBy.RULE.value, CategorizedBy.LEARNED.value)
        if self.categorized_by in automatic and categorized_by == CategorizedBy.USER.value:
            self.user_corrected = True
        self.categorized_by = categorized_by
        self.confidence = confidence

    class Split(Tracked.Event):
        """The parts, each with its category; none means the transaction is whole again."""

        parts: tuple[dict[str, Any], ...]

    def split(self, parts: tuple[SplitPart, ...], by: Actor) -> None:
        self.check_not_deleted()
        if self.is_transfer:
            raise DomainError("a transfer cannot be split", "splits")
        if len(parts) == 1:
            raise DomainError("a split has two parts or more; send none to undo it", "splits")
        # Parts of an imported 115.8331 may be as fine as it is, and no finer.
        places = decimal_places(self.details.amount)
        for part in parts:
            check_amount(part.amount, self.details.currency, "splits", places)
            if part.amount == 0 or (part.amount > 0) != (self.details.amount > 0):
                raise DomainError("each part moves money the same way as the transaction", "splits")
        total = sum((part.amount for part in parts), Decimal(0))
        if parts and total != self.details.amount:
            raise DomainError(
                f"the parts add up to {total}, the transaction is {self.details.amount}", "splits"
            )
        if parts != self.splits:
            self._trigger(self.Split, by, parts=tuple(asdict(part) for part in parts))

    @event(Split)
    def _split(self, parts: tuple[dict[str, Any], ...]) -> None:
        self.splits = tuple(SplitPart(**part) for part in parts)

    class Attached(Tracked.Event):
        """A receipt or other file; its content is kept apart, by its SHA-256."""

        attachment_id: UUID
        file_name: str
        media_type: str
        size: int
        sha256: str

    def attach(self, attachment: Attachment, by: Actor) -> None:
        self.check_not_deleted()
        if attachment.id in self.attachments:
            return  # a retry of the same idempotent command
        if len(self.attachments) >= MAX_ATTACHMENTS:
            raise DomainError(f"a transaction keeps up to {MAX_ATTACHMENTS} files", "file")
        if attachment.media_type not in MEDIA_TYPES.values():
            raise DomainError("a JPEG, PNG or PDF file", "file")
        if not 0 < attachment.size <= MAX_ATTACHMENT_BYTES:
            raise DomainError(f"a file of 1 to {MAX_ATTACHMENT_BYTES} bytes", "file")
        fields = asdict(attachment)
        self._trigger(self.Attached, by, attachment_id=fields.pop("id"), **fields)

    @event(Attached)
    def _attached(
        self, attachment_id: UUID, file_name: str, media_type: str, size: int, sha256: str
    ) -> None:
        self.attachments[attachment_id] = Attachment(
            attachment_id, file_name, media_type, size, sha256
        )

    class Detached(Tracked.Event):
        attachment_id: UUID

    def detach(self, attachment_id: UUID, by: Actor) -> None:
        if attachment_id not in self.attachments:
            raise NotFoundError("no such attachment")
        self._trigger(self.Detached, by, attachment_id=attachment_id)

    @event(Detached)
    def _detached(self, attachment_id: UUID) -> None:
        del self.attachments[attachment_id]

    class Reconciled(Tracked.Event):
        """A bank statement confirms the transaction: matched by a reconciliation (with the
        line that matched), or confirmed by a person (without)."""

        reconciliation_id: UUID | None
        statement_date: date | None
        statement_amount: Decimal | None

    def reconcile(
        self,
        by: Actor,
        reconciliation_id: UUID | None = None,
        statement_date: date | None = None,
        statement_amount: Decimal | None = None,
    ) -> None:
        self.check_not_deleted()
        if not self.reconciled:
            self._trigger(
                self.Reconciled,
                by,
                reconciliation_id=reconciliation_id,
                statement_date=statement_date,
                statement_amount=statement_amount,
            )

    @event(Reconciled)
    def _reconciled(
        self,
        reconciliation_id: UUID | None,
        statement_date: date | None,
        statement_amount: Decimal | None,
    ) -> None:
        self.reconciled = True

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        self.check_not_deleted()
        self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

    class Restored(Tracked.Event):
        pass

    def restore(self, by: Actor) -> None:
        if not self.deleted:
            raise DomainError("the transaction is not deleted")
        self._trigger(self.Restored, by)

    @event(Restored)
    def _restored(self) -> None:
        self.deleted = False

    def check_not_deleted(self) -> None:
        if self.deleted:
            raise DomainError("the transaction is deleted; restore it first")


def _upcast_category(state: dict[str, Any]) -> None:
    """Version 1 kept the category as free text."""
    name = state.pop("category")
    state["category_id"] = legacy_category_id(state["workspace_id"], name) if name else None
    state["categorized_by"] = CategorizedBy.USER.value if name else None


def _recording(
    workspace_id: UUID,
    details: TransactionDetails,
    by: Actor,
    categorization: Categorization | None,
    origin: Origin,
) -> dict[str, Any]:
    """A recording's fields, checked."""
    # A statement's amount is kept as the bank wrote it; a typed one is in minor units.
    details.check(IMPORTED_PLACES if origin.import_id is not None else None)
    if categorization is None and details.category_id is not None:
        categorization = Categorization(CategorizedBy.USER)
    return {
        "workspace_id": workspace_id,
        "actor_id": by.actor_id,
        "correlation_id": by.correlation_id,
        **_fields(details),
        "categorized_by": categorization and categorization.by.value,
        "confidence": categorization and categorization.confidence,
        **_fields(origin),
    }


def _fields(value: TransactionDetails | Origin) -> dict[str, Any]:
    """A details' or an origin's fields, as they are: ``asdict`` deep-copies every UUID,
    Decimal and date in them, which was most of what recording an imported line cost."""
    return {name: getattr(value, name) for name in _FIELD_NAMES[type(value)]}


_FIELD_NAMES = {kind: tuple(f.name for f in fields(kind)) for kind in (TransactionDetails, Origin)}

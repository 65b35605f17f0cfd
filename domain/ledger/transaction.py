"""A transaction: a signed amount on an account at a date, described and categorised."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked
from domain.money import check_amount


@dataclass(frozen=True)
class TransactionDetails:
    """What a client says about a transaction; amounts are negative for money going out."""

    account_id: UUID
    date: date
    amount: Decimal
    currency: str
    description: str
    merchant: str | None
    category: str | None
    tags: tuple[str, ...]
    notes: str | None

    def check(self) -> None:
        check_amount(self.amount, self.currency)
        if self.amount == 0:
            raise DomainError("a transaction moves money: the amount cannot be zero", "amount")


class Transaction(Tracked):
    class Recorded(Tracked.Created):
        account_id: UUID
        date: date
        amount: Decimal
        currency: str
        description: str
        merchant: str | None
        category: str | None
        tags: tuple[str, ...]
        notes: str | None

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
        category: str | None,
        tags: tuple[str, ...],
        notes: str | None,
    ) -> None:
        self.workspace_id = workspace_id
        self.details = TransactionDetails(
            account_id, date, amount, currency, description, merchant, category, tuple(tags), notes
        )
        self.deleted = False

    @classmethod
    def record(
        cls, transaction_id: UUID, workspace_id: UUID, details: TransactionDetails, by: Actor
    ) -> Transaction:
        details.check()
        return cls._create(
            cls.Recorded,
            id=transaction_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            **asdict(details),
        )

    class Amended(Tracked.Event):
        """Carries every editable field as it is after the change."""

        account_id: UUID
        date: date
        amount: Decimal
        currency: str
        description: str
        merchant: str | None
        category: str | None
        tags: tuple[str, ...]
        notes: str | None

    def amend(self, details: TransactionDetails, by: Actor) -> None:
        self.check_not_deleted()
        details.check()
        if details != self.details:
            self._trigger(self.Amended, by, **asdict(details))

    @event(Amended)
    def _amended(
        self,
        account_id: UUID,
        date: date,
        amount: Decimal,
        currency: str,
        description: str,
        merchant: str | None,
        category: str | None,
        tags: tuple[str, ...],
        notes: str | None,
    ) -> None:
        self.details = TransactionDetails(
            account_id, date, amount, currency, description, merchant, category, tuple(tags), notes
        )

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

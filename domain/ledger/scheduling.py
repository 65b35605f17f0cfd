"""The Scheduling application: schedules, and posting their due occurrences to the ledger."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.base import (
    Actor,
    CentsourceApplication,
    DomainError,
    NotFoundError,
    check_version,
)
from domain.ledger.application import Ledger
from domain.ledger.schedules import Schedule, ScheduleTerms, occurrence_transaction_id
from domain.ledger.transaction import TransactionDetails


class Scheduling(CentsourceApplication):
    def create_schedule(
        self,
        schedule_id: UUID,
        workspace_id: UUID,
        terms: ScheduleTerms,
        account_id: UUID,
        currency: str,
        from_recurring: UUID | None,
        by: Actor,
    ) -> tuple[Schedule, int]:
        existing = self.find(Schedule, schedule_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0  # a retry of the same idempotent command
        schedule = Schedule.create(
            schedule_id, workspace_id, terms, account_id, currency, from_recurring, by
        )
        return schedule, self.save_all(schedule)

    def get_schedule(
        self, workspace_id: UUID, schedule_id: UUID, expected_version: int | None = None
    ) -> Schedule:
        schedule = self.find(Schedule, schedule_id)
        if schedule is None or schedule.workspace_id != workspace_id or schedule.deleted:
            raise NotFoundError("no such schedule")
        check_version(schedule, expected_version)
        return schedule

    def save_schedule(self, schedule: Schedule) -> tuple[Schedule, int]:
        return schedule, self.save_all(schedule)

    def post_due(
        self, schedule_id: UUID, after: date | None, today: date, ledger: Ledger, by: Actor
    ) -> list[UUID]:
        """Records each occurrence after ``after`` (the last day a caller looked; None: from
        the first) up to ``today`` (the workspace's date, by the caller's clock) as a
        transaction whose id derives from the schedule and the date: one already recorded is
        left alone, so a restart or a replay posts nothing twice. Returns those recorded now."""
        schedule = self.find(Schedule, schedule_id)
        if schedule is None or schedule.deleted or not schedule.auto_post:
            return []
        posted = []
        for day in schedule.occurrences(today):
            if after is not None and day <= after:
                continue
            transaction_id = occurrence_transaction_id(schedule.id, day)
            details = TransactionDetails(
                account_id=schedule.account_id,
                date=day,
                amount=schedule.amount,
                currency=schedule.currency,
                description=schedule.name,
                merchant=schedule.merchant,
                category_id=None,
                tags=("scheduled",),
                notes=None,
            )
            try:
                _, _, position = ledger.record_transaction(
                    transaction_id, schedule.workspace_id, details, by, schedule.category
                )
            except DomainError:
                # Another poster recorded it first (the same id, once), or the account has
                # closed since: the process goes on with the next one.
                continue
            if position:
                posted.append(transaction_id)
        return posted

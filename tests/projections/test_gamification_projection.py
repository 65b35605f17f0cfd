"""The local day each typed-in expense was logged on, in its workspace's time zone as it was
when it was logged, however many of a batch's expenses wait for their zones together."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from domain.base import Actor
from domain.engagement.streaks import local_day
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.settings import Settings
from projections import runtime
from projections.gamification.projector import GamificationProjection
from tests.projections.processes import query

BY = Actor(uuid4(), "tests")


def test_expenses_logged_around_a_change_of_zone_in_one_batch_count_in_their_own_zones(
    own_schema: Settings,
) -> None:
    database.create_schema(own_schema)
    env = database.event_store_env(own_schema)
    workspaces, ledger = Workspaces(env), Ledger(env)
    workspace, _ = workspaces.create_workspace(uuid4(), "Home", "EUR", BY)
    other, _ = workspaces.create_workspace(uuid4(), "Away", "EUR", BY)
    account, _ = ledger.open_account(
        uuid4(), workspace.id, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )
    elsewhere, _ = ledger.open_account(
        uuid4(), other.id, "Cash", AccountType.CASH, "EUR", Decimal(0), BY
    )

    def expense(account_id: UUID, workspace_id: UUID) -> datetime:
        details = TransactionDetails(
            account_id, date(2026, 3, 1), Decimal("-2.50"), "EUR", "Coffee", None, None, (), None
        )
        transaction, _, _ = ledger.record_transaction(uuid4(), workspace_id, details, BY)
        return transaction.created_on

    # 26 hours apart: a moment is never on the same date in both.
    workspaces.change_settings(workspace.id, "EUR", "Etc/GMT+12", "MONDAY", BY)
    before = expense(account.id, workspace.id)
    workspaces.change_settings(workspace.id, "EUR", "Pacific/Kiritimati", "MONDAY", BY)
    after = expense(account.id, workspace.id)
    away = expense(elsewhere.id, other.id)  # a workspace still in UTC
    workspaces.close()
    ledger.close()

    asyncio.run(runtime.catch_up_once(own_schema, GamificationProjection()))  # one batch

    days = set(query(own_schema, "SELECT workspace_id, user_id, day FROM gamification_log_days"))
    assert days == {
        (workspace.id, BY.actor_id, local_day(before, "Etc/GMT+12")),
        (workspace.id, BY.actor_id, local_day(after, "Pacific/Kiritimati")),
        (other.id, BY.actor_id, local_day(away, "UTC")),
    }

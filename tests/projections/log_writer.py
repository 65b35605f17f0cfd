"""Writes many events straight through the domain applications, as the command API would."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from domain.base import Actor
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.settings import Settings

CATEGORIES = [uuid4(), uuid4(), uuid4()]
CORRECTED = uuid4()


def write_history(settings: Settings, transactions: int, seed: int = 1) -> tuple[UUID, Decimal]:
    """A workspace with ``transactions`` transactions, some amended or deleted.

    Returns the workspace id and the exact net of what is left, as the books should show it.
    """
    database.create_schema(settings)
    env = database.event_store_env(settings)
    rng = random.Random(seed)
    by = Actor(uuid4(), "bulk-load")
    workspaces, ledger = Workspaces(env), Ledger(env)
    try:
        workspace, _ = workspaces.create_workspace(uuid4(), "Bulk", "EUR", by)
        account, _ = ledger.open_account(
            uuid4(), workspace.id, "Checking", AccountType.CHECKING, "EUR", Decimal("0"), by
        )
        net = Decimal(0)
        batch: list[Transaction] = []
        for number in range(transactions):
            amount = Decimal(rng.randint(-20000, 5000)) / 100 or Decimal("0.01")
            details = TransactionDetails(
                account_id=account.id,
                date=date(2026, rng.randint(1, 6), rng.randint(1, 28)),
                amount=amount,
                currency="EUR",
                description=f"purchase {number}",
                merchant=None,
                category_id=rng.choice([*CATEGORIES, None]),
                tags=(),
                notes=None,
            )
            transaction = Transaction.record(uuid4(), workspace.id, details, by)
            if number % 10 == 0:  # every tenth is corrected
                amount = amount - Decimal("1.00") or Decimal("0.01")
                transaction.amend(replace(details, amount=amount, category_id=CORRECTED), by)
            if number % 25 == 0:  # and some are deleted
                transaction.delete(by)
            else:
                net += amount
            batch.append(transaction)
            if len(batch) == 100:  # many events per commit: how a bulk load goes fast
                ledger.save(*batch)
                batch = []
        ledger.save(*batch)
        return workspace.id, net
    finally:
        workspaces.close()
        ledger.close()

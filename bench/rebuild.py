"""Times rebuilding every read model from position 0 over a generated log (1,000,000 events).
Run: `.venv/bin/python bench/rebuild.py [--events N] [--workspaces N] [--json FILE]`.

Uses the services named by CENTSOURCE_*_URL (else embedded ones) and a schema of its own,
dropped at the end. The log is made through the domain applications, so its events are the
real ones: workspaces with members' accounts, categories, a monthly budget and a goal each,
then a year of transactions per workspace (expenses at a few dozen merchants, salaries), of
which some are categorized again, amended or deleted later. Transactions are saved like an
import's (ImportChunks: many events per commit), the rest one command at a time. Then every
read model is rebuilt the way `centsource projections rebuild all` does it (fresh tables in
schemas of their own, filled together from one read of the log, then swapped in), and timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from services import services_and_schema

from domain.base import Actor
from domain.budgeting.application import Budgeting
from domain.budgeting.budget import BudgetTerms
from domain.budgeting.periods import PeriodKind
from domain.goals.application import Goals
from domain.goals.goal import GoalType
from domain.ledger.account import AccountType
from domain.ledger.application import Ledger
from domain.ledger.import_chunks import ImportChunks
from domain.ledger.transaction import Transaction, TransactionDetails
from domain.workspaces.application import Workspaces
from infra import database
from infra.settings import Settings
from projections import registry, runtime

EVENTS = 1_000_000
WORKSPACES = 200
EVENTS_PER_COMMIT = 5_000
CATEGORIES = (
    "Food & Drink",
    "Transport",
    "Housing",
    "Utilities",
    "Health",
    "Entertainment",
    "Shopping",
    "Pets",
    "Hobbies",
)
MERCHANTS = 40
TARGET_SECONDS = 180.0


@dataclass
class Household:
    """A workspace's ids, as the generator needs them."""

    workspace_id: UUID
    by: Actor
    accounts: list[UUID]
    categories: list[UUID]
    merchants: list[str] = field(default_factory=list)


def setup(settings: Settings, count: int, rng: random.Random) -> list[Household]:
    """Each workspace by its commands: created, two accounts, categories, a budget, a goal."""
    env = database.event_store_env(settings)
    workspaces, ledger = Workspaces(env), Ledger(env)
    budgeting, goals = Budgeting(env), Goals(env)
    households = []
    start = date.today().replace(day=1) - timedelta(days=365)
    try:
        for number in range(count):
            by = Actor(uuid4(), f"bench-rebuild-{number}")
            workspace, _ = workspaces.create_workspace(uuid4(), f"Home {number}", "EUR", by)
            accounts = [
                ledger.open_account(uuid4(), workspace.id, name, kind, "EUR", Decimal(1000), by)[
                    0
                ].id
                for name, kind in (("Checking", AccountType.CHECKING), ("Card", AccountType.CASH))
            ]
            # The system set, and a few of the household's own (two commands).
            ledger.add_category(workspace.id, "Pets", None, by)
            ledger.add_category(workspace.id, "Hobbies", None, by)
            categories = [
                category.id
                for category in ledger.categories(workspace.id, by).all()
                if category.parent_id is None and category.name in CATEGORIES
            ]
            terms = BudgetTerms(
                name="Month",
                kind=PeriodKind.MONTHLY,
                start=start,
                end=None,
                currency="EUR",
                amount=Decimal(1500),
                category_ids=tuple(categories[:3]),
            )
            budgeting.create_budget(uuid4(), workspace.id, terms, by)
            goals.create_goal(
                uuid4(),
                workspace.id,
                "Holiday",
                GoalType.SAVINGS,
                Decimal(3000),
                "EUR",
                None,
                None,
                None,
                by,
            )
            merchants = [f"Merchant {rng.randrange(MERCHANTS * 5)}" for _ in range(MERCHANTS)]
            households.append(Household(workspace.id, by, accounts, categories, merchants))
    finally:
        for app in (workspaces, ledger, budgeting, goals):
            app.close()
    return households


def details(household: Household, day: date, rng: random.Random) -> TransactionDetails:
    salary = rng.random() < 0.03
    cents = rng.randrange(250_000, 400_000) if salary else -rng.randrange(150, 20_000)
    merchant = "Employer" if salary else rng.choice(household.merchants)
    return TransactionDetails(
        account_id=household.accounts[0 if salary or rng.random() < 0.7 else 1],
        date=day,
        amount=Decimal(cents) / 100,
        currency="EUR",
        description=f"{merchant.upper()} {rng.randrange(10_000)}",
        merchant=merchant,
        category_id=None if salary else rng.choice(household.categories),
        tags=(),
        notes=None,
    )


def transactions(settings: Settings, households: list[Household], events: int) -> int:
    """Transactions until the log holds ``events``: each recorded, some (about 1 in 8)
    changed later (categorized again, amended, deleted). Saved as an import saves them."""
    rng = random.Random(15)  # the same log every run
    env = database.event_store_env(settings)
    ledger = Ledger(env)
    chunks = ImportChunks(ledger)
    chunks.max_events = EVENTS_PER_COMMIT
    head = asyncio.run(runtime.positions(settings))[0]
    made, today = head, date.today()
    try:
        while made < events:
            household = rng.choice(households)
            by = household.by
            day = today - timedelta(days=rng.randrange(365))
            transaction_id = uuid5(household.workspace_id, f"bench-{made}")
            recorded = Transaction.recorded(
                transaction_id, household.workspace_id, details(household, day, rng), by
            )
            chunks.add(recorded)
            made += 1
            if rng.random() < 0.125:
                transaction: Transaction = recorded.mutate(None)  # type: ignore[assignment]
                change = rng.random()
                if change < 0.5:
                    transaction.categorize(rng.choice(household.categories), by)
                elif change < 0.9:
                    transaction.amend(details(household, day, rng), by)
                else:
                    transaction.delete(by)
                for event in transaction.collect_events():
                    chunks.add(event)
                    made += 1
            if chunks.full:
                chunks.save()
        if chunks.stored:
            chunks.save()
    finally:
        ledger.close()
    return int(asyncio.run(runtime.positions(settings))[0])


def rebuild_all(settings: Settings) -> float:
    """Seconds `centsource projections rebuild all` takes: the read models shared among
    one process per core, each replaying its share together (the log read once in each),
    then each swapped in."""
    known = registry.build(settings)

    async def live_tables() -> None:  # as the projector's first start leaves them, at 0
        conn = await runtime.open_connection(settings)
        try:
            await runtime.create_read_model_tables(
                conn, {name: known[name].tables for name in registry.READ_MODELS}
            )
        finally:
            await conn.close()

    asyncio.run(live_tables())
    started = time.perf_counter()
    registry.rebuild_read_models(settings, list(registry.READ_MODELS))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=EVENTS, help="the log's length")
    parser.add_argument("--workspaces", type=int, default=WORKSPACES)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON here")
    arguments = parser.parse_args()
    figures: dict[str, Any] = {}
    with services_and_schema() as settings:
        print(
            f"centsource rebuild bench ({os.cpu_count()} cores), schema {settings.database_schema}"
        )
        started = time.perf_counter()
        households = setup(settings, arguments.workspaces, random.Random(15))
        head = transactions(settings, households, arguments.events)
        generated = time.perf_counter() - started
        print(f"  generated {head:,} events in {generated:,.0f} s ({head / generated:,.0f}/s)")
        total = rebuild_all(settings)
        # The target is for 1,000,000 events; a shorter log's figure is scaled to say so.
        scaled = total * EVENTS / head
        print(
            f"  rebuild of every read model: {total:,.1f} s for {head:,} events, "
            f"~{scaled:,.0f} s per {EVENTS:,} at this rate (target {TARGET_SECONDS:.0f} s)"
        )
        figures = {
            "events": head,
            "generate_s": round(generated, 1),
            "rebuild_1m_s": round(total, 1),
        }
    if arguments.json:
        with open(arguments.json, "w") as out:
            json.dump(figures, out, indent=2)


if __name__ == "__main__":
    main()

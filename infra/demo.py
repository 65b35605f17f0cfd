"""``centsource demo``: a household's last four months, loaded through the command API.

Every request carries an Idempotency-Key, so loading the demo twice changes nothing.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import msgspec

EMAIL = "demo@centsource.example"
PASSWORD = "Demo-pass-2026"  # noqa: S105 - the published demo account's password

MONTHLY = [
    (1, "3200.00", "Salary", "Acme GmbH", "income"),
    (3, "-1150.00", "Rent", "Hausverwaltung Schmidt", "housing"),
    (5, "-89.90", "Electricity and gas", "Stadtwerke", "utilities"),
    (6, "-39.99", "Internet", "Telekom", "utilities"),
    (8, "-12.99", "Streaming", "Netflix", "entertainment"),
    (15, "-49.00", "Monthly transit pass", "BVG", "transport"),
]
GROCERS = ["REWE", "Aldi", "Lidl", "Edeka"]
EATING_OUT = [("Café Einstein", "-4.80"), ("Pizzeria Napoli", "-28.50"), ("Sushi Bar", "-41.20")]


def _months(today: date, count: int) -> list[date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def demo_transactions(today: date) -> list[dict[str, Any]]:
    rng = random.Random(2026)  # noqa: S311 - demo data, not secrets
    rows: list[dict[str, Any]] = []
    for month in _months(today, 4):
        for day, amount, description, merchant, category in MONTHLY:
            rows.append(_row(month.replace(day=day), amount, description, merchant, category))
        for week in range(4):
            grocer = rng.choice(GROCERS)
            spent = Decimal(rng.randint(3500, 14000)) / 100
            rows.append(
                _row(month.replace(day=2 + week * 7), f"-{spent}", "Groceries", grocer, "groceries")
            )
        for _ in range(6):
            merchant, amount_text = rng.choice(EATING_OUT)
            rows.append(
                _row(
                    month.replace(day=rng.randint(1, 28)),
                    amount_text,
                    "Eating out",
                    merchant,
                    "food_and_drink",
                )
            )
    return [row for row in rows if row["date"] <= today.isoformat()]


def _row(day: date, amount: str, description: str, merchant: str, category: str) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "amount": amount,
        "currency": "EUR",
        "description": description,
        "merchant": merchant,
        "category": category,
        "tags": ["demo"],
    }


class LoadedDemo(msgspec.Struct, kw_only=True, frozen=True):
    workspace_id: str
    transactions: int
    position: int  # of the last transaction: reads that pass it as min_position see them all
    system_role: str  # ADMIN when the demo user was the database's first sign-up


def load_demo(command_url: str) -> LoadedDemo:
    """Signs up (or logs in) the demo user and records the household, all idempotently."""
    with httpx.Client(base_url=command_url, timeout=30) as client:
        signup = client.post(
            "/api/auth/signup",
            json={"email": EMAIL, "password": PASSWORD, "name": "Demo Household"},
        )
        if signup.status_code not in (201, 409):
            signup.raise_for_status()
        login = client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        def post(path: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
            idempotency_key = "demo-" + hashlib.sha256(key.encode()).hexdigest()[:32]
            response = client.post(path, json=body, headers={"Idempotency-Key": idempotency_key})
            response.raise_for_status()
            result: dict[str, Any] = response.json()
            return result

        workspace = post(
            "/api/workspaces", "workspace", {"name": "Household", "base_currency": "EUR"}
        )
        base = f"/api/workspaces/{workspace['id']}"
        checking = post(
            f"{base}/accounts",
            "checking",
            {
                "name": "Checking",
                "type": "CHECKING",
                "currency": "EUR",
                "opening_balance": "2450.00",
            },
        )
        post(
            f"{base}/accounts",
            "savings",
            {"name": "Savings", "type": "SAVINGS", "currency": "EUR", "opening_balance": "8000.00"},
        )
        position = 0
        transactions = demo_transactions(date.today())
        for number, row in enumerate(transactions):
            # The key is the row's content, so a demo loaded on another day adds only new rows.
            key = f"{row['date']}-{row['description']}-{row['merchant']}-{number % 7}"
            position = max(
                position,
                post(f"{base}/transactions", key, {**row, "account_id": checking["id"]})[
                    "position"
                ],
            )
        me = client.get("/api/auth/me")
        me.raise_for_status()
    return LoadedDemo(
        workspace_id=workspace["id"],
        transactions=len(transactions),
        position=position,
        system_role=me.json()["system_role"],
    )

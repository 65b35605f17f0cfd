"""Budgets and alert rules as they stand, and every crossing their watch recorded."""

from __future__ import annotations

import json
from typing import Any

from domain.budgeting.alerts import AlertRule
from domain.budgeting.budget import Budget
from projections.budgets.view import TABLES
from projections.runtime import Cursor, Projection, handles


class BudgetsProjection(Projection):
    name = "budgets"
    tables = TABLES

    @handles(Budget.Created, Budget.Changed)
    async def on_budget_saved(self, cur: Cursor, event: Any, position: int) -> None:
        terms = event.terms
        await cur.execute(
            "INSERT INTO budgets (id, workspace_id, name, kind, start_date, end_date, currency, "
            "amount, category_ids, category_limits, rollover, active, thresholds, version, "
            "created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, "
            "start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date, "
            "currency = EXCLUDED.currency, amount = EXCLUDED.amount, "
            "category_ids = EXCLUDED.category_ids, category_limits = EXCLUDED.category_limits, "
            "rollover = EXCLUDED.rollover, active = EXCLUDED.active, "
            "thresholds = EXCLUDED.thresholds, version = EXCLUDED.version, "
            "updated_at = EXCLUDED.updated_at",
            (
                event.originator_id,
                event.workspace_id,
                terms["name"],
                terms["kind"],
                terms["start"],
                terms["end"],
                terms["currency"],
                terms["amount"],
                list(terms["category_ids"]),
                json.dumps({c: str(v) for c, v in terms["category_limits"].items()}),
                terms["rollover"],
                terms["active"],
                list(terms["thresholds"]),
                event.originator_version,
                event.timestamp,
                event.timestamp,
            ),
        )

    @handles(Budget.Deleted)
    async def on_budget_deleted(self, cur: Cursor, event: Budget.Deleted, position: int) -> None:
        await cur.execute(
            "UPDATE budgets SET deleted = true, version = %s, updated_at = %s WHERE id = %s",
            (event.originator_version, event.timestamp, event.originator_id),
        )

    @handles(Budget.ThresholdReached, Budget.Exceeded, Budget.ThresholdCleared)
    async def on_budget_crossing(self, cur: Cursor, event: Any, position: int) -> None:
        kind = {
            Budget.ThresholdReached: "THRESHOLD_REACHED",
            Budget.Exceeded: "EXCEEDED",
            Budget.ThresholdCleared: "CLEARED",
        }[type(event)]
        threshold = getattr(event, "threshold", getattr(event, "level", 100))
        await cur.execute(
            "INSERT INTO budgets_crossings (position, budget_id, workspace_id, kind, period_start, "
            "category_id, threshold, spent, limit_amount, occurred_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                position,
                event.originator_id,
                event.workspace_id,
                kind,
                event.period_start,
                event.category_id,
                threshold,
                event.spent,
                event.limit,
                event.timestamp,
            ),
        )

    @handles(AlertRule.Created, AlertRule.Changed)
    async def on_alert_rule_saved(self, cur: Cursor, event: Any, position: int) -> None:
        terms = {**event.terms, "threshold": str(event.terms["threshold"])}
        await cur.execute(
            "INSERT INTO budgets_alert_rules (id, workspace_id, budget_id, terms, created_at) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET "
            "budget_id = EXCLUDED.budget_id, terms = EXCLUDED.terms",
            (
                event.originator_id,
                event.workspace_id,
                terms["budget_id"],
                json.dumps(terms, default=str),
                event.timestamp,
            ),
        )

    @handles(AlertRule.Deleted)
    async def on_alert_rule_deleted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE budgets_alert_rules SET deleted = true WHERE id = %s", (event.originator_id,)
        )

    @handles(AlertRule.Triggered)
    async def on_alert_triggered(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE budgets_alert_rules SET triggered_count = triggered_count + 1, "
            "last_triggered_at = %s, triggered = true WHERE id = %s",
            (event.timestamp, event.originator_id),
        )

    @handles(AlertRule.Cleared)
    async def on_alert_cleared(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE budgets_alert_rules SET triggered = false WHERE id = %s", (event.originator_id,)
        )

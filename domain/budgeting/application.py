"""The Budgeting application: budgets, alert rules, and the crossings the budget_watch reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    NotFoundError,
    check_version,
    natural_id,
)
from domain.budgeting.alerts import AlertRule, AlertTerms
from domain.budgeting.budget import TOTAL, Budget, BudgetKeys, BudgetTerms
from domain.budgeting.periods import Period

# The budget_watch process is the actor of the crossings it records.
WATCH_ACTOR_ID = natural_id("process", "budget_watch")

Spending = Mapping[UUID | None, Decimal]  # spent per category (None: uncategorized)


def spent_under(
    spending: Spending, parents: Mapping[UUID, UUID], categories: tuple[UUID, ...]
) -> Decimal:
    """What went out under these categories and their subcategories (all, when none named)."""
    if not categories:
        return sum(spending.values(), Decimal(0))
    wanted = set(categories)
    return sum(
        (
            spent
            for category, spent in spending.items()
            if category is not None and (category in wanted or parents.get(category) in wanted)
        ),
        Decimal(0),
    )


class Budgeting(CentsourceApplication):
    def create_budget(
        self, budget_id: UUID, workspace_id: UUID, terms: BudgetTerms, by: Actor
    ) -> tuple[Budget, int]:
        existing = self.find(Budget, budget_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0  # a retry of the same idempotent command
        budget = Budget.create(budget_id, workspace_id, terms, by)
        keys = self._keys(workspace_id, by)
        keys.claim(terms.key, budget_id, by)
        return budget, self.save_all(budget, keys)

    def change_budget(
        self,
        workspace_id: UUID,
        budget_id: UUID,
        terms: BudgetTerms,
        expected_version: int | None,
        by: Actor,
    ) -> tuple[Budget, int]:
        budget = self.get_budget(workspace_id, budget_id, expected_version)
        before = budget.terms.key
        budget.change(terms, by)
        keys = self._keys(workspace_id, by)
        if terms.key != before:
            keys.claim(terms.key, budget_id, by)
            keys.release(before, by)
        return budget, self.save_all(budget, keys)

    def delete_budget(self, workspace_id: UUID, budget_id: UUID, by: Actor) -> tuple[Budget, int]:
        budget = self.get_budget(workspace_id, budget_id)
        budget.delete(by)
        keys = self._keys(workspace_id, by)
        keys.release(budget.terms.key, by)
        return budget, self.save_all(budget, keys)

    def get_budget(
        self, workspace_id: UUID, budget_id: UUID, expected_version: int | None = None
    ) -> Budget:
        budget = self.find(Budget, budget_id)
        if budget is None or budget.workspace_id != workspace_id or budget.deleted:
            raise NotFoundError("no such budget")
        check_version(budget, expected_version)
        return budget

    def _keys(self, workspace_id: UUID, by: Actor) -> BudgetKeys:
        keys = self.find(BudgetKeys, BudgetKeys.id_for(workspace_id))
        return keys if keys is not None else BudgetKeys.start(workspace_id, by)

    # Alert rules

    def create_alert_rule(
        self, rule_id: UUID, workspace_id: UUID, terms: AlertTerms, by: Actor
    ) -> tuple[AlertRule, int]:
        existing = self.find(AlertRule, rule_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0
        if terms.budget_id is not None:
            self.get_budget(workspace_id, terms.budget_id)
        rule = AlertRule.create(rule_id, workspace_id, terms, by)
        return rule, self.save_all(rule)

    def change_alert_rule(
        self, workspace_id: UUID, rule_id: UUID, terms: AlertTerms, by: Actor
    ) -> tuple[AlertRule, int]:
        rule = self.get_alert_rule(workspace_id, rule_id)
        if terms.budget_id is not None:
            self.get_budget(workspace_id, terms.budget_id)
        rule.change(terms, by)
        return rule, self.save_all(rule)

    def delete_alert_rule(
        self, workspace_id: UUID, rule_id: UUID, by: Actor
    ) -> tuple[AlertRule, int]:
        rule = self.get_alert_rule(workspace_id, rule_id)
        rule.delete(by)
        return rule, self.save_all(rule)

    def get_alert_rule(self, workspace_id: UUID, rule_id: UUID) -> AlertRule:
        rule = self.find(AlertRule, rule_id)
        if rule is None or rule.workspace_id != workspace_id or rule.deleted:
            raise NotFoundError("no such alert rule")
        return rule

    # What the budget_watch reports

    def watch(
        self,
        budget_id: UUID,
        alert_rule_ids: list[UUID],
        period: Period,
        spending: Spending,
        previous: Spending | None,
        parents: Mapping[UUID, UUID],
        correlation_id: str,
    ) -> int:
        """Records the crossings this period's spending makes, on the budget and on the alert
        rules that watch it; what was already announced is not announced again."""
        by = Actor(WATCH_ACTOR_ID, correlation_id)
        for attempt in range(3):
            budget = self.find(Budget, budget_id)
            if budget is None:
                return 0
            terms = budget.terms
            # An inactive budget is not watched: neither it nor its alert rules announce.
            found = (self.find(AlertRule, i) for i in alert_rule_ids if terms.active)
            rules = [rule for rule in found if rule is not None]
            for scope in budget.scopes:
                categories = terms.category_ids if scope == TOTAL else (UUID(scope),)
                before = None if previous is None else spent_under(previous, parents, categories)
                budget.observe(
                    period,
                    scope,
                    spent_under(spending, parents, categories),
                    budget.limit(scope, before),
                    by,
                )
            total_before = (
                None if previous is None else spent_under(previous, parents, terms.category_ids)
            )
            total_limit = budget.limit(TOTAL, total_before)
            for rule in rules:
                if (
                    rule.workspace_id != budget.workspace_id
                    or rule.terms.budget_id not in (None, budget_id)
                    or not rule.terms.watches_budgets  # it counts on its own: watch_spending
                ):
                    continue
                watched = rule.terms.category_ids or terms.category_ids
                rule.observe(
                    budget_id,
                    terms.name,
                    period,
                    spent_under(spending, parents, watched),
                    rule.terms.limit(total_limit),
                    terms.currency,
                    by,
                )
            try:
                return self.save_all(budget, *rules)
            except ConflictError:
                if attempt == 2:
                    raise
        return 0

    def watch_spending(
        self,
        rule_id: UUID,
        label: str,
        period: Period,
        spending: Spending,
        parents: Mapping[UUID, UUID],
        currency: str,
        correlation_id: str,
    ) -> int:
        """Records whether an alert rule of no budget triggers, or clears, on the spending
        under its categories (all, when none named) in the period; once, like any rule."""
        by = Actor(WATCH_ACTOR_ID, correlation_id)
        for attempt in range(3):
            rule = self.find(AlertRule, rule_id)
            if rule is None or rule.terms.watches_budgets:
                return 0
            spent = spent_under(spending, parents, rule.terms.category_ids)
            rule.observe(None, label, period, spent, rule.terms.threshold, currency, by)
            try:
                return self.save_all(rule)
            except ConflictError:
                if attempt == 2:
                    raise
        return 0

    def triggered_alone(self, rule_id: UUID) -> list[date]:
        """Starts of the periods where a rule of no budget stands triggered (a change of the
        rule may clear them)."""
        rule = self.find(AlertRule, rule_id)
        return [] if rule is None else rule.triggered_periods(None)

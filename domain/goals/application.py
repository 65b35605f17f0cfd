"""The Goals application: goals, their contributions, and completions the watch reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from domain.base import Actor, CentsourceApplication, DomainError, NotFoundError
from domain.budgeting.application import WATCH_ACTOR_ID
from domain.goals.goal import Goal, GoalType


class Goals(CentsourceApplication):
    def create_goal(
        self,
        goal_id: UUID,
        workspace_id: UUID,
        name: str,
        type: GoalType,
        target_amount: Decimal,
        currency: str,
        target_date: date | None,
        account_id: UUID | None,
        already: Decimal | None,
        by: Actor,
    ) -> tuple[Goal, int]:
        """``already``: what is put by before the goal, its first contribution (today)."""
        existing = self.find(Goal, goal_id)
        if existing is not None and existing.workspace_id == workspace_id:
            return existing, 0  # a retry of the same idempotent command
        goal = Goal.create(
            goal_id, workspace_id, name, type, target_amount, currency, target_date, account_id, by
        )
        if already is not None:
            if goal.tracked:
                raise DomainError(
                    "a goal that follows balances starts where they are", "current_amount"
                )
            goal.contribute(already, date.today(), "put by before the goal", by)
        return goal, self.save_all(goal)

    def get_goal(self, workspace_id: UUID, goal_id: UUID) -> Goal:
        goal = self.find(Goal, goal_id)
        if goal is None or goal.workspace_id != workspace_id or goal.deleted:
            raise NotFoundError("no such goal")
        return goal

    def save_goal(self, goal: Goal) -> tuple[Goal, int]:
        return goal, self.save_all(goal)

    def observe(self, goal_id: UUID, current: Decimal, correlation_id: str) -> int:
        goal = self.find(Goal, goal_id)
        if goal is None:
            return 0
        goal.observe(current, Actor(WATCH_ACTOR_ID, correlation_id))
        return self.save_all(goal)

"""Serves the goals projection: goals and their progress."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from projections.goals import view
from projections.goals.model import GoalList, GoalProgress, GoalType, GoalView
from projections.insights import rows
from read_api.access import read_access

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
SERVING = ("goals", "ledger")  # balances and net worth come from the ledger projection


@get(f"{WORKSPACE}/goals")
async def list_goals(
    request: Request[Any, Any, State],
    workspace_id: FromPath[UUID],
    type: FromQuery[GoalType | None] = None,
    completed: FromQuery[bool | None] = None,
) -> GoalList:
    """Each with where it stands today; ``type`` and ``completed`` narrow the list."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        goals = await view.list_goals(
            conn, workspace_id, type, completed, await rows.today(conn, workspace_id)
        )
    return GoalList(data=goals)


@get(f"{WORKSPACE}/goals/{{goal_id:uuid}}")
async def get_goal(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID], goal_id: FromPath[UUID]
) -> GoalView:
    await read_access(request, workspace_id, "goals")
    async with request.app.state.pool.connection() as conn:
        goal = await view.get_goal(conn, workspace_id, goal_id)
    if goal is None:
        raise NotFoundException("no such goal")
    return goal


@get(f"{WORKSPACE}/goals/{{goal_id:uuid}}/progress")
async def goal_progress(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID], goal_id: FromPath[UUID]
) -> GoalProgress:
    """Percent, remaining, the monthly contribution needed by the target date and the one of
    the last 90 days, the completion date that pace gives, and ON_TRACK / BEHIND_SCHEDULE /
    COMPLETED."""
    await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        goal = await view.get_goal(conn, workspace_id, goal_id)
        if goal is None:
            raise NotFoundException("no such goal")
        return await view.progress(conn, goal, await rows.today(conn, workspace_id))

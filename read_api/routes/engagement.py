"""Serves the engagement projection: challenge templates and my challenges with their
progress, bucket summaries, reflections, the persona and the coach."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.exceptions import ValidationException
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from domain.engagement.catalogue import challenge_templates
from projections.engagement import coach, view
from projections.engagement.model import (
    BucketMapView,
    ChallengeList,
    CoachAnswer,
    CoachInputs,
    PersonaView,
    ReflectionPage,
    Summary,
    TemplateList,
    TemplateOut,
)
from projections.insights import rows
from read_api.access import read_access

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
SERVING = ("engagement", "transactions", "ledger")
Month = Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM")]


def _refused(field: str, message: str) -> ValidationException:
    return ValidationException(message, extra=[{"key": field, "message": message}])


@get("/api/challenge-templates")
async def list_challenge_templates(
    request: Request[Any, Any, State],
    category: FromQuery[Annotated[str, QueryParameter(max_length=50)] | None] = None,
    difficulty: FromQuery[Annotated[str, QueryParameter(max_length=20)] | None] = None,
) -> TemplateList:
    """Every challenge template, or those of a ``category`` and ``difficulty`` (EASY, MEDIUM,
    HARD)."""
    await read_access(request, None, "engagement")
    return TemplateList(
        data=[
            TemplateOut(
                id=t.id,
                slug=t.slug,
                title=t.title,
                challenge_type=t.challenge_type,
                category=t.category,
                metric_key=t.metric_key,
                target_value=f"{t.target_value:f}",
                unit=t.unit,
                reward_points=t.reward_points,
                difficulty=t.difficulty,
            )
            for t in challenge_templates()
            if (category is None or t.category == category)
            and (difficulty is None or t.difficulty == difficulty.upper())
        ]
    )


@post("/api/coach/suggestions", status_code=200)
async def coach_suggestions(
    request: Request[Any, Any, State], data: JSONBody[CoachInputs]
) -> CoachAnswer:
    """Suggestions from normalized inputs (each 0 to 1; the four shares add up to at most 1;
    any other field is 400), each with the rule that fired and its adjustments. Saves
    nothing."""
    await read_access(request, None, "engagement")
    problem = coach.shares_problem(data)
    if problem is not None:
        raise _refused("needs_share", problem)
    return coach.suggest(data)


class EngagementController(Controller):
    path = "/api/workspaces/{workspace_id:uuid}"

    @get("/challenges")
    async def list_challenges(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID], month: Month = None
    ) -> ChallengeList:
        """My challenges (of ``month`` when given), newest month first, with their progress:
        reported for manual ones, computed from the ledger for the others."""
        reader = await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            today, _ = await rows.settings(conn, workspace_id)
            found = await view.challenges(
                conn, workspace_id, reader.principal.actor_id, month, today
            )
        return ChallengeList(data=found)

    @get("/engagement/buckets")
    async def get_buckets(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> BucketMapView:
        """Every spending category with its bucket, and whether that is its default."""
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            return await view.bucket_map(conn, workspace_id)

    @get("/summaries/weekly/{year:int}/{week:int}")
    async def weekly_summary(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        year: FromPath[int],
        week: FromPath[int],
    ) -> Summary:
        """The ISO week (Monday to Sunday): spent in total and per bucket, in the base
        currency, and the days holding a transaction."""
        if not 1900 <= year <= 2200:
            raise _refused("year", "a year from 1900 to 2200")
        try:
            start, end = view.week_bounds(year, week)
        except ValueError:
            raise _refused("week", f"{year} has no ISO week {week}") from None
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            return await view.summary(conn, workspace_id, f"{year}-W{week:02d}", start, end)

    @get("/summaries/monthly/{month:str}")
    async def monthly_summary(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID], month: FromPath[str]
    ) -> Summary:
        """The calendar month ``YYYY-MM``, as the weekly summary."""
        if len(month) != 7 or not month[:4].isdigit() or month[4] != "-" or not month[5:].isdigit():
            raise _refused("month", "a month as YYYY-MM")
        if not (1900 <= int(month[:4]) <= 2200 and 1 <= int(month[5:]) <= 12):
            raise _refused("month", "a month from 1900-01 to 2200-12")
        start, end = view.month_of(month)
        await read_access(request, workspace_id, SERVING)
        async with request.app.state.pool.connection() as conn:
            return await view.summary(conn, workspace_id, month, start, end)

    @get("/reflections")
    async def list_reflections(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        page: Annotated[int, QueryParameter(ge=1, le=10_000_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> ReflectionPage:
        """My reflections, newest first, with their score and feedback."""
        reader = await read_access(request, workspace_id, "engagement")
        async with request.app.state.pool.connection() as conn:
            return await view.reflections(
                conn, workspace_id, reader.principal.actor_id, page, page_size
            )

    @get("/persona")
    async def get_persona(
        self, request: Request[Any, Any, State], workspace_id: FromPath[UUID]
    ) -> PersonaView:
        """Squirrel, Owl, Fox or Peacock from the last three complete months, every score,
        the inputs and the reasons; my override when I chose one."""
        reader = await read_access(request, workspace_id, (*SERVING, "budgets"))
        async with request.app.state.pool.connection() as conn:
            today, _ = await rows.settings(conn, workspace_id)
            return await view.persona_of(conn, workspace_id, reader.principal.actor_id, today)

    @get("/coach/suggestions")
    async def my_coach_suggestions(
        self,
        request: Request[Any, Any, State],
        workspace_id: FromPath[UUID],
        risk_profile: Annotated[float, QueryParameter(ge=0, le=1)] = 0.5,
    ) -> CoachAnswer:
        """The coach on this month's figures: budgets used, spending shares by bucket, goals'
        progress (``risk_profile`` 0 cautious to 1 bold)."""
        await read_access(request, workspace_id, (*SERVING, "budgets", "goals"))
        async with request.app.state.pool.connection() as conn:
            today, _ = await rows.settings(conn, workspace_id)
            inputs = await view.coach_inputs(conn, workspace_id, today, risk_profile)
        return coach.suggest(inputs)

"""Serves the gamification projection: the badge catalogue, and a member's points, level,
streaks, badges and the workspace's leaderboard."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from domain.engagement.catalogue import badges
from projections.gamification import view
from projections.gamification.model import BadgeList, BadgeOut, Gamification
from read_api.access import min_position_asked, read_access
from read_api.consistency import PositionWatcher

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
# Points and badges are recorded by the engagement watch after what earned them: an answer
# waits for the watch to pass the client's position, then for the read model to hold what
# the watch recorded by then.
SERVING = ("gamification", "transactions", "engagement_watch")


@get("/api/badges")
async def list_badges(request: Request[Any, Any, State]) -> BadgeList:
    """Every badge that can be earned: id, slug, title, description, criteria, points."""
    await read_access(request, None, "gamification")
    return BadgeList(
        data=[
            BadgeOut(
                id=b.id,
                slug=b.slug,
                title=b.title,
                description=b.description,
                criteria=b.criteria,
                points=b.points,
            )
            for b in badges()
        ]
    )


@get(f"{WORKSPACE}/gamification")
async def get_gamification(
    request: Request[Any, Any, State], workspace_id: FromPath[UUID]
) -> Gamification:
    """My points, level and the next, logging and no-spend streaks (current and longest),
    badges earned (when and why), my latest points, and the members' leaderboard."""
    reader = await read_access(request, workspace_id, SERVING)
    async with request.app.state.pool.connection() as conn:
        if min_position_asked(request):
            await _awards_recorded(request, conn)
        return await view.gamification(conn, workspace_id, reader.principal.actor_id)


async def _awards_recorded(request: Request[Any, Any, State], conn: Any) -> None:
    """The watch has passed the client's position: whatever it awarded for it is in the log
    by now, so the read model is waited for up to the log's head."""
    row = await (
        await conn.execute(
            "SELECT coalesce(max(notification_id), 0) AS head FROM centsource_events"
        )
    ).fetchone()
    watcher: PositionWatcher = request.app.state.positions
    settings = request.app.state.settings
    if not await watcher.wait(("gamification",), int(row["head"]), settings.min_position_timeout):
        raise HTTPException(
            "the points and badges are not recorded yet; retry shortly",
            status_code=503,
            headers={"Retry-After": "1"},
        )
    request.scope["state"]["projection_position"] = watcher.position("gamification")

"""Engagement over HTTP: points and badges awarded once (also when the watch handles the log
again), challenges' lifecycle, bucket summaries, reflections, persona and coach."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from domain.engagement.catalogue import challenge_templates
from domain.ledger.categories import system_category_id
from infra.settings import Settings
from projections import runtime
from projections.engagement_watch.projector import EngagementWatch
from tests.api import Api
from tests.projections.processes import head, query


def template_id(slug: str) -> str:
    return str(next(t.id for t in challenge_templates() if t.slug == slug))


def today_utc() -> date:
    return datetime.now(UTC).date()


def awards(settings: Settings, workspace: str) -> int:
    """PointsAwarded and BadgeEarned events of the workspace in the log."""
    return int(
        query(
            settings,
            "SELECT count(*) FROM centsource_events e WHERE (e.topic LIKE %s OR e.topic LIKE %s) "
            "AND convert_from(e.state, %s) LIKE %s",
            "%Points.Awarded",
            "%Badge.Earned",
            "UTF8",
            f"%{UUID(workspace).hex}%",
        )[0][0]
    )


class Household:
    def __init__(self, api: Api, settings: Settings) -> None:
        self.api, self.settings = api, settings
        self.user = api.user("Ada")
        self.workspace = api.workspace(self.user)
        self.account = api.account(self.user, self.workspace)
        self.base = f"/api/workspaces/{self.workspace}"

    def gamification(self, position: int) -> Any:
        return self.api.read(self.user, f"{self.base}/gamification", position)


@pytest.fixture(scope="module")
def home(command_client: TestClient[Any], read_client: TestClient[Any], settings: Settings) -> Any:
    return Household(Api(command_client, read_client), settings)


def test_points_are_awarded_once_with_a_daily_cap_and_a_replay_awards_nothing_more(
    home: Household, settings: Settings
) -> None:
    api, user = home.api, home.user
    before = head(settings)
    day = today_utc().isoformat()
    for amount in ("-3.00", "-4.00", "-5.00", "-6.00", "-7.00", "-8.00"):
        api.record(user, home.workspace, home.account, amount=amount, date=day)
    last = api.record(
        user, home.workspace, home.account, amount="1000.00", description="Summary line 1", date=day
    )
    got = home.gamification(last["position"])
    # 5 transactions a day earn a point each (7 were typed), and the first transaction's badge 10.
    assert got["points"] == 15
    assert [b["slug"] for b in got["badges"]] == ["first_transaction"]
    assert got["badges"][0]["points"] == 10
    assert got["level"] == {"level": 1, "title": "Starter", "min_points": 0}
    assert got["next_level"] == {
        "level": 2,
        "title": "Consistency Builder",
        "min_points": 100,
        "points_needed": 85,
    }
    assert got["streaks"]["logging"] == {"current": 1, "longest": 1}
    assert sorted(p["reason"] for p in got["recent_points"]) == [
        "badge:first_transaction",
        *["transaction_logged"] * 5,
    ]
    assert got["leaderboard"] == [
        {"rank": 1, "user_id": user.id, "name": "Ada", "points": 15, "level": 1}
    ]
    recorded = awards(settings, home.workspace)
    assert recorded == 7  # 6 PointsAwarded, 1 BadgeEarned

    # The watch, started afresh, handles the log again from before these events: nothing more.
    async def replay() -> None:
        watch = EngagementWatch(settings)
        conn = await runtime.open_connection(settings)
        try:
            await conn.execute(
                "UPDATE projection_positions SET position = %s WHERE name = 'engagement_watch'",
                (before,),
            )
            await conn.commit()
            await runtime.catch_up(conn, watch)
        finally:
            await watch.close()
            await conn.close()

    asyncio.run(replay())
    assert awards(settings, home.workspace) == recorded
    assert home.gamification(head(settings))["points"] == 15


def test_the_badge_catalogue_and_templates_are_served_as_data(home: Household) -> None:
    badges = home.api.read(home.user, "/api/badges")["data"]
    slugs = {b["slug"] for b in badges}
    assert {
        "first_transaction",
        "logging_streak_7",
        "logging_streak_30",
        "budget_kept_month",
        "goal_completed",
        "no_spend_day",
        "no_spend_weekend",
        "receipts_10",
        "first_import",
        "month_under_budgets",
    } <= slugs
    assert set(badges[0]) == {"id", "slug", "title", "description", "criteria", "points"}
    easy = home.api.read(
        home.user, "/api/challenge-templates", difficulty="EASY", category="saving"
    )
    assert [t["slug"] for t in easy["data"]] == ["pack_lunch_10"]
    assert easy["data"][0]["target_value"] == "10"
    assert home.api.reads.get("/api/badges").status_code == 401


def test_a_challenge_is_accepted_once_progresses_from_the_ledger_and_is_claimed_once(
    home: Household,
) -> None:
    api, user, base = home.api, home.user, home.base
    month = today_utc().strftime("%Y-%m")
    post = api.commands.post
    accepted = post(
        f"{base}/challenges",
        json={"template_id": template_id("categorize_30"), "month": month},
        headers=user.headers,
    )
    assert accepted.status_code == 201, accepted.text
    challenge = accepted.json()
    again = post(
        f"{base}/challenges",
        json={"template_id": template_id("categorize_30"), "month": month},
        headers=user.headers,
    )
    assert again.status_code == 409
    assert (
        post(
            f"{base}/challenges",
            json={"template_id": template_id("categorize_30"), "month": "2001-01"},
            headers=user.headers,
        ).status_code
        == 422
    )
    unknown = post(
        f"{base}/challenges",
        json={"template_id": str(UUID(int=7)), "month": month},
        headers=user.headers,
    )
    assert unknown.status_code == 404
    extra = post(
        f"{base}/challenges",
        json={"template_id": template_id("categorize_30"), "month": month, "x": 1},
        headers=user.headers,
    )
    assert extra.status_code == 400
    # A computed challenge takes no reported progress; it is not complete, so no claim.
    path = f"{base}/challenges/{challenge['id']}"
    assert (
        post(f"{path}/progress", json={"current_progress": 3}, headers=user.headers).status_code
        == 422
    )
    early = post(f"{path}/claim", headers=user.headers)
    assert early.status_code == 422, early.text
    listed = api.read(user, f"{base}/challenges", head(home.settings), month=month)["data"]
    [mine] = [c for c in listed if c["id"] == challenge["id"]]
    groceries = str(system_category_id(UUID(home.workspace), "groceries"))
    # This month's transactions so far carry no category.
    assert (mine["status"], mine["target_value"], mine["unit"]) == ("ACTIVE", "30", "transactions")
    assert (mine["current_progress"], mine["percent"]) == ("0", 0.0)
    logging = post(
        f"{base}/challenges",
        json={"template_id": template_id("log_a_week"), "month": month},
        headers=user.headers,
    ).json()
    day = today_utc().isoformat()
    for n in range(3):
        done = api.record(
            user,
            home.workspace,
            home.account,
            amount="-2.00",
            date=day,
            description=f"Categorized {n}",
            category_id=groceries,
        )
    listed = api.read(user, f"{base}/challenges", done["position"], month=month)["data"]
    progress = {c["id"]: (c["current_progress"], c["percent"]) for c in listed}
    assert progress[challenge["id"]] == ("3", 10.0)
    assert progress[logging["id"]] == ("1", 14.3)  # today holds expenses: 1 day of 7

    # A manual challenge: progress reported, complete at its target, claimed once.
    manual = post(
        f"{base}/challenges",
        json={"template_id": template_id("read_a_money_book"), "month": month},
        headers=user.headers,
    ).json()
    mpath = f"{base}/challenges/{manual['id']}"
    assert post(f"{mpath}/claim", headers=user.headers).status_code == 422
    for bad in ({"current_progress": -1}, {"current_progress": 1.5}, {"progress": 1}):
        assert post(f"{mpath}/progress", json=bad, headers=user.headers).status_code == 400
    reported = post(f"{mpath}/progress", json={"current_progress": 1}, headers=user.headers)
    assert reported.status_code == 200
    assert reported.json()["current_progress"] == "1"
    claimed = post(f"{mpath}/claim", headers=user.headers)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["claimed"] is True
    assert post(f"{mpath}/claim", headers=user.headers).status_code == 409
    got = home.gamification(claimed.json()["position"])
    assert (got["recent_points"][0]["amount"], got["recent_points"][0]["source_id"]) == (
        40,
        manual["id"],
    )
    after = api.read(user, f"{base}/challenges", claimed.json()["position"], month=month)["data"]
    assert {c["slug"]: c["status"] for c in after}["read_a_money_book"] == "CLAIMED"

    # Another member sees none of it: my challenge is 404 to them.
    other = api.user("Bob")
    assert post(f"{mpath}/claim", headers=other.headers).status_code == 404


def test_bucket_summaries_sum_exactly_and_follow_the_workspace_map(home: Household) -> None:
    api, user, base, ws = home.api, home.user, home.base, UUID(home.workspace)
    record = api.record
    cat = {
        s: str(system_category_id(ws, s))
        for s in ("groceries", "restaurants", "education", "doctor", "coffee_shops")
    }
    day = "2025-06-11"  # a Wednesday of ISO week 24
    record(
        user,
        home.workspace,
        home.account,
        amount="-40.10",
        description="Summary line 2",
        date=day,
        category_id=cat["groceries"],
    )
    record(
        user,
        home.workspace,
        home.account,
        amount="-12.35",
        date=day,
        category_id=cat["restaurants"],
    )
    record(
        user,
        home.workspace,
        home.account,
        amount="-30.00",
        date="2025-06-12",
        category_id=cat["education"],
    )
    record(
        user,
        home.workspace,
        home.account,
        amount="-55.55",
        date="2025-06-15",
        category_id=cat["doctor"],
    )
    record(
        user,
        home.workspace,
        home.account,
        amount="-4.20",
        description="Summary line 3",
        date="2025-06-15",
    )
    record(
        user,
        home.workspace,
        home.account,
        amount="2000.00",
        description="Summary line 4",
        date="2025-06-16",
    )
    last = record(
        user,
        home.workspace,
        home.account,
        amount="-9.99",
        date="2025-06-30",
        category_id=cat["coffee_shops"],
    )
    week = api.read(user, f"{base}/summaries/weekly/2025/24", last["position"])
    assert week["start"], week["end"] == ("2025-06-09", "2025-06-15")
    assert week["buckets"] == {
        "needs": "40.10",
        "wants": "12.35",
        "culture": "30.00",
        "unexpected": "55.55",
        "unassigned": "4.20",
    }
    assert (week["total_spent"], week["expenses"], week["logging_days"]) == ("142.20", 5, 3)
    # Coffee shops become needs here: the month follows the map.
    changed = api.commands.put(
        f"{base}/engagement/buckets",
        json={"buckets": {cat["coffee_shops"]: "needs", cat["restaurants"]: None}},
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    month = api.read(user, f"{base}/summaries/monthly/2025-06", changed.json()["position"])
    assert month["buckets"]["needs"] == "50.09"
    assert month["buckets"]["wants"] == "12.35"
    assert (month["total_spent"], month["logging_days"]) == ("152.19", 5)
    # Refused: a category of no workspace, a bucket that is none, weeks and months that are none.
    bad = api.commands.put(
        f"{base}/engagement/buckets",
        json={"buckets": {str(UUID(int=5)): "needs"}},
        headers=user.headers,
    )
    assert bad.status_code == 404
    assert (
        api.commands.put(
            f"{base}/engagement/buckets",
            json={"buckets": {cat["doctor"]: "luxury"}},
            headers=user.headers,
        ).status_code
        == 400
    )
    for path in ("weekly/2025/54", "weekly/9999/1", "monthly/2025-13", "monthly/June"):
        got = api.reads.get(f"{base}/summaries/{path}", headers=user.headers)
        assert got.status_code in (400, 404), (path, got.status_code)


def test_reflections_are_scored_by_their_rules(home: Household) -> None:
    api, user, base = home.api, home.user, home.base
    good = api.commands.post(
        f"{base}/reflections",
        json={
            "phase": "WEEKLY",
            "category": "Restaurants",
            "reflection_text": "I spent 85.50 on restaurants this week, mostly lunches near the "
            "office because I did not plan my meals. Groceries stayed on budget.",
            "confidence_rating": 4,
            "intended_action": "Cook lunch every Sunday for the week",
        },
        headers=user.headers,
    )
    assert good.status_code == 201, good.text
    assert good.json()["quality_score"] == 90  # length 20 + category 20 + amount 20 + action 30
    poor = api.commands.post(
        f"{base}/reflections",
        json={"phase": "MONTHLY", "reflection_text": "meh", "confidence_rating": 2},
        headers=user.headers,
    )
    assert poor.json()["quality_score"] == 0
    assert len(poor.json()["feedback"]) == 4
    for bad in (
        {"phase": "WEEKLY", "reflection_text": "x", "confidence_rating": 6},
        {"phase": "DAILY", "reflection_text": "x", "confidence_rating": 3},
        {"phase": "WEEKLY", "reflection_text": "a\x00b", "confidence_rating": 3},
        {"phase": "WEEKLY", "reflection_text": "x", "confidence_rating": 3, "mood": "ok"},
    ):
        refused = api.commands.post(f"{base}/reflections", json=bad, headers=user.headers)
        assert refused.status_code == 400, bad
    listed = api.read(user, f"{base}/reflections", poor.json()["position"])
    assert [r["quality_score"] for r in listed["data"]] == [0, 90]
    assert listed["meta"]["total"] == 2


def test_the_persona_scores_the_last_three_months_and_can_be_overridden(
    api: Api, settings: Settings
) -> None:
    user = api.user("Sam")
    ws = api.workspace(user)
    account = api.account(user, ws)
    first = (today_utc().replace(day=1) - timedelta(days=1)).replace(day=1)
    restaurants = str(system_category_id(UUID(ws), "restaurants"))
    api.record(user, ws, account, amount="3000.00", date=first.isoformat())
    api.record(user, ws, account, amount="-600.00", date=first.isoformat())
    for day in range(2, 6):
        last = api.record(
            user,
            ws,
            account,
            amount="-25.00",
            date=first.replace(day=day).isoformat(),
            category_id=restaurants,
        )
    base = f"/api/workspaces/{ws}"
    got = api.read(user, f"{base}/persona", last["position"])
    # income 3000, spent 700: savings 76.67 % (S = 1); no budgets (A = 0.5); wants 100/700
    # (D = 0.2857); 4 small wants purchases of 5 expenses (I = 1). Squirrel 0.6 + 0.4 x 0.7143,
    # Owl 0.3 + 0.2, Fox 0.4 + 0.3 + 0.3 x 0.2857, Peacock 0.5 x 0.2857 + 0.3.
    assert got["inputs"]["savings_rate"] == "0.7667"
    assert got["inputs"]["discretionary_share"] == "0.1429"
    assert got["inputs"]["impulse_share"] == "0.8000"
    assert got["scores"] == [
        {"persona": "SQUIRREL", "score": 89},
        {"persona": "OWL", "score": 50},
        {"persona": "FOX", "score": 79},
        {"persona": "PEACOCK", "score": 44},
    ]
    assert (got["persona"], got["derived"], got["overridden"]) == ("SQUIRREL", "SQUIRREL", False)
    assert len(got["reasons"]) == 4
    chosen = api.commands.put(f"{base}/persona", json={"persona": "OWL"}, headers=user.headers)
    assert chosen.status_code == 200
    got = api.read(user, f"{base}/persona", chosen.json()["position"])
    assert (got["persona"], got["derived"], got["overridden"]) == ("OWL", "SQUIRREL", True)
    assert (
        api.commands.put(
            f"{base}/persona", json={"persona": "CAT"}, headers=user.headers
        ).status_code
        == 400
    )


def test_the_coach_applies_its_rules_and_refuses_extra_fields(home: Household) -> None:
    api, user = home.api, home.user
    inputs = {
        "budget_used_ratio": 0.95,
        "needs_share": 0.4,
        "wants_share": 0.35,
        "culture_share": 0.02,
        "unexpected_share": 0.2,
        "savings_goal_progress": 0.3,
        "prev_w_adj": 0.1,
        "prev_c_adj": 0,
        "prev_s_adj": 0,
        "risk_profile": 0,
    }
    got = api.reads.post("/api/coach/suggestions", json=inputs, headers=user.headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["rules_fired"] == ["OVER_BUDGET", "WANTS_HIGH", "UNEXPECTED_HIGH"]
    # wants: (-0.10 - 0.05) halved (last change 0.10); savings +0.05 x 1.5 (cautious).
    assert body["adjustments"] == {"w_adj": -0.08, "c_adj": -0.05, "s_adj": 0.08}
    calm = {
        **inputs,
        "budget_used_ratio": 0.5,
        "wants_share": 0.2,
        "unexpected_share": 0.1,
        "savings_goal_progress": 0.9,
        "culture_share": 0.1,
    }
    assert api.reads.post("/api/coach/suggestions", json=calm, headers=user.headers).json()[
        "rules_fired"
    ] == ["ON_TRACK"]
    for bad in (
        {**inputs, "mood": 1},
        {**inputs, "wants_share": 1.5},
        {**inputs, "needs_share": 0.9},
    ):
        assert (
            api.reads.post("/api/coach/suggestions", json=bad, headers=user.headers).status_code
            == 400
        )
    mine = api.read(user, f"{home.base}/coach/suggestions", head(home.settings))
    assert mine["inputs"]["risk_profile"] == 0.5
    assert mine["rules_fired"]

"""Tables of the engagement projection, and the answers the read API builds from them and
from the lines insights read."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.engagement.buckets import DEFAULT_BUCKETS, bucket_of
from domain.engagement.challenges import MonthLine, computed_progress, month_bounds, status_of
from domain.money import money_text
from projections.engagement import coach, persona, summaries
from projections.engagement.model import (
    BucketEntry,
    BucketMapView,
    ChallengeView,
    CoachInputs,
    PersonaInputs,
    PersonaView,
    ReflectionPage,
    ReflectionView,
    Summary,
)
from projections.goals import view as goals_view
from projections.insights import health_rows, rows
from projections.insights.anomalies import expenses
from projections.insights.stats import sums
from projections.ledger import view as ledger_view
from projections.pages import PageMeta

Conn = psycopg.AsyncConnection[dict[str, Any]]

TABLES = (
    """CREATE TABLE IF NOT EXISTS engagement_challenges (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        template_id uuid NOT NULL,
        slug text NOT NULL,
        title text NOT NULL,
        metric_key text NOT NULL,
        target_value numeric NOT NULL,
        unit text NOT NULL,
        reward_points integer NOT NULL,
        category_id uuid,
        month text NOT NULL,
        accepted_on date NOT NULL,
        accepted_at timestamptz NOT NULL,
        progress numeric NOT NULL DEFAULT 0,
        claimed_at timestamptz,
        version integer NOT NULL
    )""",
    # Not by month: an index row has a size limit, a text column has none.
    "CREATE INDEX IF NOT EXISTS engagement_challenges_of_member "
    "ON engagement_challenges (workspace_id, user_id)",
    """CREATE TABLE IF NOT EXISTS engagement_buckets (
        workspace_id uuid NOT NULL,
        category_id uuid NOT NULL,
        bucket text NOT NULL,
        PRIMARY KEY (workspace_id, category_id)
    )""",
    """CREATE TABLE IF NOT EXISTS engagement_reflections (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        phase text NOT NULL,
        category text,
        reflection_text text NOT NULL,
        confidence_rating integer NOT NULL,
        intended_action text,
        quality_score integer NOT NULL,
        feedback jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        position bigint NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS engagement_reflections_by_member "
    "ON engagement_reflections (workspace_id, user_id, position)",
    """CREATE TABLE IF NOT EXISTS engagement_personas (
        workspace_id uuid NOT NULL,
        user_id uuid NOT NULL,
        persona text,
        PRIMARY KEY (workspace_id, user_id)
    )""",
)


async def overrides(conn: Conn, workspace_id: UUID) -> dict[UUID, str]:
    found = await (
        await conn.execute(
            "SELECT category_id, bucket FROM engagement_buckets WHERE workspace_id = %s",
            (workspace_id,),
        )
    ).fetchall()
    return {row["category_id"]: row["bucket"] for row in found}


async def bucket_map(conn: Conn, workspace_id: UUID) -> BucketMapView:
    """Every category with its bucket; ``is_default`` where no member chose one for it."""
    chosen = await overrides(conn, workspace_id)
    nodes = await rows.category_tree(conn, workspace_id)
    names = await rows.category_names(conn, workspace_id)
    parents = {c.id: c.parent_id for c in nodes}
    slugs = {c.id: c.slug for c in nodes}
    entries = [
        BucketEntry(
            category_id=c.id,
            category=names.get(c.id, ""),
            bucket=bucket_of(c.id, parents, slugs, chosen),
            is_default=c.id not in chosen,
        )
        for c in nodes
        if c.id in chosen
        or c.slug not in ("income", "salary", "interest_income", "refunds", "transfers")
    ]
    return BucketMapView(data=sorted(entries, key=lambda e: (e.category.casefold(), e.category_id)))


async def _conversion(conn: Conn, workspace_id: UUID) -> ledger_view.Conversion:
    base = await ledger_view.base_currency(conn, workspace_id)
    return ledger_view.Conversion(await ledger_view.Rates.load(conn, workspace_id), base)


async def summary(conn: Conn, workspace_id: UUID, period: str, start: date, end: date) -> Summary:
    lines = await rows.lines(conn, workspace_id, start, end)
    return summaries.summary(
        period,
        lines,
        await _conversion(conn, workspace_id),
        await rows.category_tree(conn, workspace_id),
        await overrides(conn, workspace_id),
        start,
        end,
    )


async def challenges(
    conn: Conn, workspace_id: UUID, user_id: UUID, month: str | None, today: date
) -> list[ChallengeView]:
    found = await (
        await conn.execute(
            "SELECT * FROM engagement_challenges WHERE workspace_id = %s AND user_id = %s "
            "AND (%s::text IS NULL OR month = %s) ORDER BY month DESC, accepted_at, id",
            (workspace_id, user_id, month, month),
        )
    ).fetchall()
    if not found:
        return []
    base = await ledger_view.base_currency(conn, workspace_id)
    parents = {c.id: c.parent_id for c in await rows.category_tree(conn, workspace_id)}
    lines_of: dict[str, list[MonthLine]] = {}
    views = []
    for row in found:
        progress = Decimal(row["progress"])
        if row["metric_key"] != "manual" and row["claimed_at"] is None:
            if row["month"] not in lines_of:
                first, last = month_bounds(row["month"])
                lines_of[row["month"]] = [
                    MonthLine(ln.transaction_id, ln.date, ln.amount, ln.category_id, ln.transfer)
                    for ln in await rows.lines(conn, workspace_id, first, last)
                    if ln.currency == base
                ]
            progress = computed_progress(
                row["metric_key"],
                lines_of[row["month"]],
                row["month"],
                row["accepted_on"],
                today,
                row["category_id"],
                parents,
            )
        views.append(_challenge(row, progress, today, base))
    return views


def _challenge(row: dict[str, Any], progress: Decimal, today: date, base: str) -> ChallengeView:
    target = Decimal(row["target_value"])
    over = month_bounds(row["month"])[1] < today
    percent = min(progress * 100 / target, Decimal(100)) if target else Decimal(100)
    money = row["unit"] == "currency"
    return ChallengeView(
        id=row["id"],
        template_id=row["template_id"],
        slug=row["slug"],
        title=row["title"],
        metric_key=row["metric_key"],
        category_id=row["category_id"],
        month=row["month"],
        accepted_on=row["accepted_on"],
        target_value=money_text(target, base) if money else f"{target.normalize():f}",
        unit=base if money else row["unit"],
        reward_points=row["reward_points"],
        current_progress=money_text(progress, base) if money else f"{progress.normalize():f}",
        percent=float(round(percent, 1)),
        status=status_of(row["metric_key"], progress, target, row["claimed_at"] is not None, over),
        claimed_at=row["claimed_at"],
        version=row["version"],
    )


async def reflections(
    conn: Conn, workspace_id: UUID, user_id: UUID, page: int, page_size: int
) -> ReflectionPage:
    total_row = await (
        await conn.execute(
            "SELECT count(*) AS n FROM engagement_reflections WHERE workspace_id = %s "
            "AND user_id = %s",
            (workspace_id, user_id),
        )
    ).fetchone()
    found = await (
        await conn.execute(
            "SELECT id, phase, category, reflection_text, confidence_rating, intended_action, "
            "quality_score, feedback, recorded_at FROM engagement_reflections "
            "WHERE workspace_id = %s AND user_id = %s ORDER BY position DESC "
            "LIMIT %s OFFSET %s",
            (workspace_id, user_id, page_size, (page - 1) * page_size),
        )
    ).fetchall()
    return ReflectionPage(
        data=[ReflectionView(**row) for row in found],
        meta=PageMeta.of(page, page_size, total_row["n"] if total_row else 0),
    )


def persona_window(today: date) -> tuple[date, date]:
    """The three complete calendar months before the month holding ``today``."""
    end = today.replace(day=1) - timedelta(days=1)
    start = (end.replace(day=1) - timedelta(days=62)).replace(day=1)
    return start, end


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else (part / whole).quantize(Decimal("0.0001"))


async def persona_of(conn: Conn, workspace_id: UUID, user_id: UUID, today: date) -> PersonaView:
    start, end = persona_window(today)
    lines = await rows.lines(conn, workspace_id, start, end)
    conversion = await _conversion(conn, workspace_id)
    totals = sums(lines, conversion, start, end)
    income, spent = totals.income.total, totals.expenses.total
    savings_rate = _ratio(income - spent, income)
    periods = await health_rows.budget_periods(conn, workspace_id, start, end)
    adherence = _ratio(
        Decimal(sum(1 for p in periods if p.spent <= p.limit)), Decimal(len(periods))
    )
    nodes = await rows.category_tree(conn, workspace_id)
    chosen = await overrides(conn, workspace_id)
    buckets, count = summaries.bucket_sums(lines, conversion, nodes, chosen, start, end)
    total = sum(buckets.values(), Decimal(0))
    discretionary = _ratio(buckets["wants"] + buckets["culture"], total)
    parents = {c.id: c.parent_id for c in nodes}
    slugs = {c.id: c.slug for c in nodes}
    impulses = sum(
        1
        for e in expenses(lines, conversion)
        if e.size < persona.IMPULSE_UNDER
        and bucket_of(e.line.category_id, parents, slugs, chosen) == "wants"
    )
    impulse = _ratio(Decimal(impulses), Decimal(count))
    scores = persona.persona_scores(savings_rate, adherence, discretionary, impulse)
    derived = persona.leading(scores) if lines else None
    row = await (
        await conn.execute(
            "SELECT persona FROM engagement_personas WHERE workspace_id = %s AND user_id = %s",
            (workspace_id, user_id),
        )
    ).fetchone()
    override = None if row is None else row["persona"]

    def text(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:f}"

    return PersonaView(
        persona=override or derived,
        derived=derived,
        overridden=override is not None,
        scores=scores,
        reasons=persona.reasons(savings_rate, adherence, discretionary, impulse),
        inputs=PersonaInputs(
            start=start,
            end=end,
            savings_rate=text(savings_rate),
            budget_adherence=text(adherence),
            discretionary_share=text(discretionary),
            impulse_share=text(impulse),
        ),
    )


async def coach_inputs(
    conn: Conn, workspace_id: UUID, today: date, risk_profile: float
) -> CoachInputs:
    """This month's figures as the coach takes them: the active budgets' current periods
    (mean of spent / limit, each at most 1), the month's spending by bucket (shares of
    what was spent), the open goals' mean progress (each at most 1); no earlier change."""
    current = await health_rows.current_budget_periods(conn, workspace_id, today)
    used = [min(p.spent / p.limit, Decimal(1)) if p.limit > 0 else Decimal(1) for p, _ in current]
    used_ratio = sum(used, Decimal(0)) / len(used) if used else Decimal(0)
    first = today.replace(day=1)
    lines = await rows.lines(conn, workspace_id, first, today)
    buckets, _ = summaries.bucket_sums(
        lines,
        await _conversion(conn, workspace_id),
        await rows.category_tree(conn, workspace_id),
        await overrides(conn, workspace_id),
        first,
        today,
    )
    total = sum(buckets.values(), Decimal(0))

    def share(name: str) -> float:
        return float(round(buckets[name] / total, 4)) if total else 0.0

    goals = await goals_view.list_goals(conn, workspace_id, None, False, today)
    progress = [min(Decimal(str(g.percent)) / 100, Decimal(1)) for g in goals]
    return CoachInputs(
        budget_used_ratio=float(round(used_ratio, 4)),
        needs_share=share("needs"),
        wants_share=share("wants"),
        culture_share=share("culture"),
        unexpected_share=share("unexpected"),
        savings_goal_progress=float(round(sum(progress, Decimal(0)) / len(progress), 4))
        if progress
        else 0.0,
        risk_profile=risk_profile,
    )


def week_bounds(year: int, week: int) -> tuple[date, date]:
    """The ISO week: Monday to Sunday. ValueError for a week the year does not have."""
    start = date.fromisocalendar(year, week, 1)
    return start, start + timedelta(days=6)


def month_of(text: str) -> tuple[date, date]:
    year, month = int(text[:4]), int(text[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


__all__ = ["DEFAULT_BUCKETS", "coach"]

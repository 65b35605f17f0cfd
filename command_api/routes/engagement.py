"""Engagement: challenges (accept, report progress, claim), the workspace's buckets,
reflections and persona overrides. Points and badges are the engagement watch's to record."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from command_api.access import Access
from command_api.challenge_progress import month_lines
from command_api.context import new_id
from domain.base import Actor, NotFoundError
from domain.engagement.application import Engagement
from domain.engagement.buckets import MAX_ENTRIES, Bucket
from domain.engagement.catalogue import challenge_template
from domain.engagement.challenges import MAX_MANUAL_PROGRESS, Challenge, computed_progress
from domain.engagement.persona import Persona
from domain.engagement.reflections import ACTION_MAX, TEXT_MAX, Phase
from domain.ledger.application import Ledger
from domain.ledger.categories import system_category_id
from domain.workspaces.application import Workspaces
from infra.tokens import Principal

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
CHALLENGE = f"{WORKSPACE}/challenges/{{challenge_id:uuid}}"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _today(workspaces: Workspaces, workspace_id: UUID) -> date:
    zone = workspaces.get_workspace(workspace_id).timezone
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


class ChallengeOut(msgspec.Struct, kw_only=True):
    id: UUID
    template_id: UUID
    slug: str
    title: str
    metric_key: str
    month: str
    accepted_on: date
    target_value: str
    unit: str
    reward_points: int
    current_progress: str | None  # a manual one's; computed ones are read from the ledger
    claimed: bool
    version: int
    position: int


def _challenge_out(c: Challenge, position: int) -> ChallengeOut:
    return ChallengeOut(
        id=c.id,
        template_id=c.template_id,
        slug=c.slug,
        title=c.title,
        metric_key=c.metric_key,
        month=c.month,
        accepted_on=c.accepted_on,
        target_value=f"{c.target_value:f}",
        unit=c.unit,
        reward_points=c.reward_points,
        current_progress=f"{c.progress:f}" if c.manual or c.claimed else None,
        claimed=c.claimed,
        version=c.version,
        position=position,
    )


class AcceptChallenge(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    template_id: UUID
    month: Annotated[str, Meta(pattern=MONTH, examples=["2026-03"])]


@post(f"{WORKSPACE}/challenges", sync_to_thread=True, access=Access.VIEWER, status_code=201)
def accept_challenge(
    workspace_id: FromPath[UUID],
    data: JSONBody[AcceptChallenge],
    engagement: NamedDependency[Engagement],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> ChallengeOut:
    """The template for a month, this one or the next (one per template and month: 409); an
    unknown template is 404."""
    template = challenge_template(data.template_id)
    if template is None:
        raise NotFoundError("no such challenge template", "template_id")
    category_id = (
        None
        if template.category_slug is None
        else system_category_id(workspace_id, template.category_slug)
    )
    challenge, position = engagement.accept_challenge(
        workspace_id,
        principal.actor_id,
        template,
        category_id,
        data.month,
        _today(workspaces, workspace_id),
        actor,
    )
    return _challenge_out(challenge, position)


class ReportProgress(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    current_progress: Annotated[int, Meta(ge=0, le=MAX_MANUAL_PROGRESS)]


@post(f"{CHALLENGE}/progress", sync_to_thread=True, access=Access.VIEWER, status_code=200)
def report_progress(
    workspace_id: FromPath[UUID],
    challenge_id: FromPath[UUID],
    data: JSONBody[ReportProgress],
    engagement: NamedDependency[Engagement],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> ChallengeOut:
    """Manual challenges only: a computed one is 422."""
    challenge = engagement.get_challenge(workspace_id, principal.actor_id, challenge_id)
    challenge.report_progress(data.current_progress, _today(workspaces, workspace_id), actor)
    return _challenge_out(*engagement.save_challenge(challenge))


@post(f"{CHALLENGE}/claim", access=Access.VIEWER, status_code=200)
async def claim_challenge(
    workspace_id: FromPath[UUID],
    challenge_id: FromPath[UUID],
    engagement: NamedDependency[Engagement],
    workspaces: NamedDependency[Workspaces],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ChallengeOut:
    """The reward, once the challenge is complete: before that 422, a second claim 409. The
    points follow from the engagement watch (``PointsAwarded``, reason challenge_claimed)."""
    challenge = await asyncio.to_thread(
        engagement.get_challenge, workspace_id, principal.actor_id, challenge_id
    )
    workspace = await asyncio.to_thread(workspaces.get_workspace, workspace_id)
    today = datetime.now(UTC).astimezone(ZoneInfo(workspace.timezone)).date()
    progress = challenge.progress
    if not challenge.manual and not challenge.claimed:
        lines, parents = await month_lines(
            request.app.state.pool, workspace_id, workspace.base_currency, challenge.month
        )
        progress = computed_progress(
            challenge.metric_key,
            lines,
            challenge.month,
            challenge.accepted_on,
            today,
            challenge.category_id,
            parents,
        )
    challenge.claim(progress, today, actor)
    return _challenge_out(*await asyncio.to_thread(engagement.save_challenge, challenge))


class ChangeBuckets(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Category id → ``needs``, ``wants``, ``culture``, ``unexpected``, or null for its
    default again."""

    buckets: Annotated[dict[UUID, Bucket | None], Meta(min_length=1, max_length=MAX_ENTRIES)]


class BucketsOut(msgspec.Struct, kw_only=True):
    buckets: dict[UUID, str]  # what members chose; other categories keep their defaults
    version: int
    position: int


@put(f"{WORKSPACE}/engagement/buckets", sync_to_thread=True, access=Access.EDITOR)
def change_buckets(
    workspace_id: FromPath[UUID],
    data: JSONBody[ChangeBuckets],
    engagement: NamedDependency[Engagement],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> BucketsOut:
    """Another workspace's category, or none, is 404 naming it."""
    known = ledger.categories(workspace_id, actor).categories
    for category_id in data.buckets:
        if category_id not in known:
            raise NotFoundError("no such category", f"buckets.{category_id}")
    bucket_map, position = engagement.change_buckets(workspace_id, data.buckets, actor)
    return BucketsOut(
        buckets=dict(bucket_map.buckets), version=bucket_map.version, position=position
    )


class RecordReflection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    phase: Phase
    category: Annotated[str, Meta(min_length=1, max_length=100)] | None = None
    reflection_text: Annotated[str, Meta(min_length=1, max_length=TEXT_MAX, pattern=r"\S")]
    confidence_rating: Annotated[int, Meta(ge=1, le=5)]
    intended_action: Annotated[str, Meta(max_length=ACTION_MAX)] | None = None


class ReflectionOut(msgspec.Struct, kw_only=True):
    id: UUID
    phase: str
    category: str | None
    reflection_text: str
    confidence_rating: int
    intended_action: str | None
    quality_score: int
    feedback: list[str]
    position: int


@post(f"{WORKSPACE}/reflections", sync_to_thread=True, access=Access.VIEWER, status_code=201)
def record_reflection(
    workspace_id: FromPath[UUID],
    data: JSONBody[RecordReflection],
    engagement: NamedDependency[Engagement],
    ledger: NamedDependency[Ledger],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> ReflectionOut:
    """Stored with its ``quality_score`` and ``feedback`` (rules in docs/engagement.md)."""
    names = frozenset(c.name for c in ledger.categories(workspace_id, actor).all())
    reflection, position = engagement.record_reflection(
        new_id(request, principal, "reflection"),
        workspace_id,
        principal.actor_id,
        data.phase,
        data.category,
        data.reflection_text,
        data.confidence_rating,
        data.intended_action,
        names,
        actor,
    )
    return ReflectionOut(
        id=reflection.id,
        phase=reflection.phase,
        category=reflection.category,
        reflection_text=reflection.reflection_text,
        confidence_rating=reflection.confidence_rating,
        intended_action=reflection.intended_action,
        quality_score=reflection.quality_score,
        feedback=list(reflection.feedback),
        position=position,
    )


class ChoosePersona(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    persona: Persona | None  # null: the derived persona again


class PersonaOut(msgspec.Struct, kw_only=True):
    persona: str | None
    version: int
    position: int


@put(f"{WORKSPACE}/persona", sync_to_thread=True, access=Access.VIEWER)
def choose_persona(
    workspace_id: FromPath[UUID],
    data: JSONBody[ChoosePersona],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> PersonaOut:
    choice, position = engagement.choose_persona(
        workspace_id, principal.actor_id, data.persona, actor
    )
    return PersonaOut(persona=choice.persona, version=choice.version, position=position)

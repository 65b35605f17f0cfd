"""Consented research: consent, data mode, and what a consented participant sends (survey
responses scored against their instrument, usage events, progress snapshots, challenge
metrics). Before consent, or after withdrawing it, every one of these but consent is 403."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Meta

from command_api.access import Access
from command_api.context import new_id
from domain.base import Actor, InvalidInputError
from domain.engagement.application import Engagement
from domain.engagement.catalogue import instrument
from domain.engagement.research import DataMode, Participant, score_responses
from infra.tokens import Principal

# Names and keys are identifiers, not prose: nothing free-form reaches the export.
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Scalar = int | float | bool | Slug | None
ContextMap = Annotated[dict[Slug, Scalar], Meta(max_length=30)]
Numbers = Annotated[dict[Slug, int | float], Meta(min_length=1, max_length=50)]
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class Consent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    consented: bool  # false withdraws: later exports leave the participant out
    age_confirmed: bool = False
    data_mode: DataMode = DataMode.SCORES_ONLY
    participant_code: Annotated[str, Meta(pattern=r"^[A-Za-z0-9-]{4,32}$")]
    allow_research_export: bool = False
    study_version: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,32}$")]


class ConsentOut(msgspec.Struct, kw_only=True):
    consented: bool
    data_mode: str
    participant_code: str | None
    allow_research_export: bool
    version: int
    position: int


def _consent_out(p: Participant, position: int) -> ConsentOut:
    return ConsentOut(
        consented=p.consented,
        data_mode=p.data_mode,
        participant_code=p.participant_code,
        allow_research_export=p.allow_research_export,
        version=p.version,
        position=position,
    )


@post("/api/me/research/consent", sync_to_thread=True, access=Access.SIGNED_IN, status_code=200)
def give_consent(
    data: JSONBody[Consent],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> ConsentOut:
    """Consenting needs ``age_confirmed`` (422 otherwise); a code another participant holds
    is 409."""
    participant, position = engagement.consent(
        principal.actor_id,
        data.consented,
        data.age_confirmed,
        data.data_mode,
        data.participant_code,
        data.allow_research_export,
        data.study_version,
        actor,
    )
    return _consent_out(participant, position)


class ChangeDataMode(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    data_mode: DataMode


@patch("/api/me/research/data-mode", sync_to_thread=True, access=Access.SIGNED_IN)
def change_data_mode(
    data: JSONBody[ChangeDataMode],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
) -> ConsentOut:
    return _consent_out(*engagement.change_data_mode(principal.actor_id, data.data_mode, actor))


class Recorded(msgspec.Struct, kw_only=True):
    id: UUID
    kind: str
    data: dict[str, Any]
    position: int


class RecordResponse(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    phase: Slug
    instrument_key: Slug
    response_type: Annotated[str, Meta(pattern=r"^(COMPLETE|PARTIAL)$")] = "COMPLETE"
    responses: Annotated[dict[Slug, int], Meta(min_length=1, max_length=100)]


def _record(
    engagement: Engagement,
    request: Request[Any, Any, State],
    principal: Principal,
    actor: Actor,
    kind: str,
    data: dict[str, Any],
    client_timestamp: datetime | None,
    usage: bool,
) -> Recorded:
    record, position = engagement.record_research(
        new_id(request, principal, f"research-{kind}"),
        principal.actor_id,
        kind,
        data,
        client_timestamp,
        actor,
        usage,
    )
    return Recorded(id=record.id, kind=record.kind, data=record.data, position=position)


@post("/api/me/research/responses", sync_to_thread=True, access=Access.SIGNED_IN, status_code=201)
def record_response(
    data: JSONBody[RecordResponse],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Recorded:
    """Checked against the instrument (an unknown instrument, item or phase, or an answer off
    its scale, is 400 naming it) and scored on save."""
    engagement.consented(principal.actor_id)
    found = instrument(data.instrument_key)
    if found is None:
        raise InvalidInputError("no such instrument", "instrument_key")
    score = score_responses(found, data.phase, data.response_type, data.responses)
    fields = {
        "phase": data.phase,
        "instrument_key": data.instrument_key,
        "response_type": data.response_type,
        "responses": dict(data.responses),
        "score": f"{score:f}",
        "scoring": found.scoring,
    }
    return _record(engagement, request, principal, actor, "response", fields, None, False)


class LogEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    event_name: Slug
    context: ContextMap = msgspec.field(default_factory=dict)
    client_timestamp: datetime


@post("/api/me/events", sync_to_thread=True, access=Access.SIGNED_IN, status_code=201)
def log_event(
    data: JSONBody[LogEvent],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Recorded:
    """A usage event (FULL data mode only): a name and identifiers or numbers as context."""
    fields = {"event_name": data.event_name, "context": dict(data.context)}
    return _record(
        engagement, request, principal, actor, "event", fields, _utc(data.client_timestamp), True
    )


class RecordSnapshot(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    phase: Slug
    taken_on: date
    metrics: Numbers


@post(
    "/api/me/research/progress-snapshots",
    sync_to_thread=True,
    access=Access.SIGNED_IN,
    status_code=201,
)
def record_progress_snapshot(
    data: JSONBody[RecordSnapshot],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Recorded:
    """Figures of the participant's progress on a day (FULL data mode only)."""
    fields = {
        "phase": data.phase,
        "taken_on": data.taken_on.isoformat(),
        "metrics": dict(data.metrics),
    }
    return _record(engagement, request, principal, actor, "progress_snapshot", fields, None, True)


class RecordChallengeMetrics(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    challenge_slug: Slug
    month: Annotated[str, Meta(pattern=MONTH)]
    metrics: Numbers


@post("/api/me/challenge-metrics", sync_to_thread=True, access=Access.SIGNED_IN, status_code=201)
def record_challenge_metrics(
    data: JSONBody[RecordChallengeMetrics],
    engagement: NamedDependency[Engagement],
    principal: NamedDependency[Principal],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Recorded:
    """A challenge's figures for a month (FULL data mode only)."""
    fields = {
        "challenge_slug": data.challenge_slug,
        "month": data.month,
        "metrics": dict(data.metrics),
    }
    return _record(engagement, request, principal, actor, "challenge_metrics", fields, None, True)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidInputError("a time with its offset (…Z or +02:00)", "client_timestamp")
    if not 1900 <= value.year <= 2200:
        raise InvalidInputError("must be from 1900 to 2200", "client_timestamp")
    return value

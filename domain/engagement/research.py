"""Consented research: a participant's consent and data mode, and what they send once they
have consented (survey responses, usage events, progress snapshots, challenge metrics).

Nothing is recorded for a user who has not consented, or has withdrawn: the application
refuses it (403) before an event exists.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, InvalidInputError, Tracked, natural_id
from domain.engagement.catalogue import Instrument


class DataMode(StrEnum):
    FULL = "FULL"  # responses item by item, usage events, snapshots and challenge metrics
    SCORES_ONLY = "SCORES_ONLY"  # only instruments' scores; no usage data is collected


def participant_id(user_id: UUID) -> UUID:
    return natural_id("research-participant", user_id)


def participant_code_id(code: str) -> UUID:
    return natural_id("research-participant-code", code.casefold())


def score_responses(
    instrument: Instrument, phase: str, response_type: str, responses: dict[str, int]
) -> Decimal:
    """Checks the answers against the instrument (400 naming ``responses.<item>``) and scores
    them: a reverse-coded item counts ``min + max - answer``; ``sum`` adds the answers,
    ``mean`` divides that by how many there are (two decimals, half to even). A COMPLETE
    response answers every item; a PARTIAL one at least one."""
    if phase not in instrument.phases:
        raise InvalidInputError(
            f"{instrument.key} is asked in {', '.join(instrument.phases)}", "phase"
        )
    items = {item.id: item for item in instrument.items}
    for key, value in responses.items():
        item = items.get(key)
        if item is None:
            raise InvalidInputError(f"{instrument.key} has no item {key!r}", f"responses.{key}")
        if isinstance(value, bool) or not item.min <= value <= item.max:
            raise InvalidInputError(f"an answer from {item.min} to {item.max}", f"responses.{key}")
    missing = [key for key in items if key not in responses]
    if response_type == "COMPLETE" and missing:
        raise InvalidInputError(f"unanswered: {', '.join(missing)}", "responses")
    if not responses:
        raise InvalidInputError("answer at least one item", "responses")
    total = sum(
        (
            Decimal(items[key].min + items[key].max - value)
            if items[key].reverse_coded
            else Decimal(value)
            for key, value in responses.items()
        ),
        Decimal(0),
    )
    if instrument.scoring == "mean":
        return (total / len(responses)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    return total


class Participant(Tracked):
    """One per user: their consent, as they last gave or withdrew it."""

    class Enrolled(Tracked.Created):
        user_id: UUID

    @event(Enrolled)
    def __init__(self, user_id: UUID) -> None:
        self.workspace_id = None
        self.user_id = user_id
        self.consented = False
        self.data_mode = DataMode.SCORES_ONLY.value
        self.participant_code: str | None = None
        self.allow_research_export = False

    @classmethod
    def enroll(cls, user_id: UUID, by: Actor) -> Participant:
        return cls._create(
            cls.Enrolled,
            id=participant_id(user_id),
            workspace_id=None,
            user_id=user_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Consented(Tracked.Event):
        user_id: UUID
        age_confirmed: bool
        data_mode: str
        participant_code: str
        allow_research_export: bool
        study_version: str

    class Withdrawn(Tracked.Event):
        user_id: UUID

    def consent(
        self,
        consented: bool,
        age_confirmed: bool,
        data_mode: DataMode,
        participant_code: str,
        allow_research_export: bool,
        study_version: str,
        by: Actor,
    ) -> None:
        if not consented:
            if self.consented:
                self._trigger(self.Withdrawn, by, user_id=self.user_id)
            return
        if not age_confirmed:
            raise DomainError("taking part needs you to confirm your age", "age_confirmed")
        self._trigger(
            self.Consented,
            by,
            user_id=self.user_id,
            age_confirmed=age_confirmed,
            data_mode=data_mode.value,
            participant_code=participant_code,
            allow_research_export=allow_research_export,
            study_version=study_version,
        )

    @event(Consented)
    def _consented(
        self,
        user_id: UUID,
        age_confirmed: bool,
        data_mode: str,
        participant_code: str,
        allow_research_export: bool,
        study_version: str,
    ) -> None:
        self.consented = True
        self.data_mode = data_mode
        self.participant_code = participant_code
        self.allow_research_export = allow_research_export

    @event(Withdrawn)
    def _withdrawn(self, user_id: UUID) -> None:
        self.consented = False

    class DataModeChanged(Tracked.Event):
        user_id: UUID
        data_mode: str

    def change_data_mode(self, data_mode: DataMode, by: Actor) -> None:
        if data_mode.value != self.data_mode:
            self._trigger(self.DataModeChanged, by, user_id=self.user_id, data_mode=data_mode.value)

    @event(DataModeChanged)
    def _data_mode_changed(self, user_id: UUID, data_mode: str) -> None:
        self.data_mode = data_mode


class ParticipantCode(Tracked):
    """A participant code, held by the one user who chose it first."""

    class Claimed(Tracked.Created):
        user_id: UUID

    @event(Claimed)
    def __init__(self, user_id: UUID) -> None:
        self.workspace_id = None
        self.user_id = user_id

    @classmethod
    def claim(cls, code: str, user_id: UUID, by: Actor) -> ParticipantCode:
        return cls._create(
            cls.Claimed,
            id=participant_code_id(code),
            workspace_id=None,
            user_id=user_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )


class ResearchRecord(Tracked):
    """Something a consented participant sent: a survey response, a usage event, a progress
    snapshot or challenge metrics (``kind``), with the fields of its kind in ``data``."""

    class Recorded(Tracked.Created):
        user_id: UUID
        kind: str
        data: dict[str, Any]
        client_timestamp: datetime | None

    @event(Recorded)
    def __init__(
        self, user_id: UUID, kind: str, data: dict[str, Any], client_timestamp: datetime | None
    ) -> None:
        self.workspace_id = None
        self.user_id = user_id
        self.kind = kind
        self.data = data
        self.client_timestamp = client_timestamp

    @classmethod
    def record(
        cls,
        record_id: UUID,
        user_id: UUID,
        kind: str,
        data: dict[str, Any],
        client_timestamp: datetime | None,
        by: Actor,
    ) -> ResearchRecord:
        return cls._create(
            cls.Recorded,
            id=record_id,
            workspace_id=None,
            user_id=user_id,
            kind=kind,
            data=data,
            client_timestamp=client_timestamp,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

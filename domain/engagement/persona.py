"""A member's persona override: the persona they say fits them, over the one derived from
their behaviour (``projections/engagement/persona.py``)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, Tracked, natural_id


class Persona(StrEnum):
    SQUIRREL = "SQUIRREL"  # the saver
    OWL = "OWL"  # the planner
    FOX = "FOX"  # the opportunist
    PEACOCK = "PEACOCK"  # the spender


def persona_choice_id(workspace_id: UUID, user_id: UUID) -> UUID:
    return natural_id("persona", workspace_id, user_id)


class PersonaChoice(Tracked):
    class Started(Tracked.Created):
        user_id: UUID

    @event(Started)
    def __init__(self, workspace_id: UUID, user_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.user_id = user_id
        self.persona: str | None = None

    @classmethod
    def start(cls, workspace_id: UUID, user_id: UUID, by: Actor) -> PersonaChoice:
        return cls._create(
            cls.Started,
            id=persona_choice_id(workspace_id, user_id),
            workspace_id=workspace_id,
            user_id=user_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Chosen(Tracked.Event):
        """``persona``: null gives the derived persona back."""

        user_id: UUID
        persona: str | None

    def choose(self, persona: Persona | None, by: Actor) -> None:
        value = None if persona is None else persona.value
        if value != self.persona or self.version == 1:
            self._trigger(self.Chosen, by, user_id=self.user_id, persona=value)

    @event(Chosen)
    def _chosen(self, user_id: UUID, persona: str | None) -> None:
        self.persona = persona

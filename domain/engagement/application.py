"""The Engagement application: notifications' inboxes, points and badges, challenges,
buckets, reflections, personas and consented research."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.base import (
    Actor,
    CentsourceApplication,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    natural_id,
)
from domain.engagement.buckets import Bucket, BucketMap, bucket_map_id
from domain.engagement.catalogue import ChallengeTemplate, badge
from domain.engagement.challenges import Challenge, challenge_id
from domain.engagement.inbox import Inbox
from domain.engagement.persona import Persona, PersonaChoice, persona_choice_id
from domain.engagement.points import Badge, Points, badge_award_id, points_id
from domain.engagement.reflections import Phase, Reflection
from domain.engagement.research import (
    DataMode,
    Participant,
    ParticipantCode,
    ResearchRecord,
    participant_code_id,
    participant_id,
)

# The engagement_watch process is the actor of the points and badges it records.
ENGAGEMENT_WATCH_ACTOR_ID = natural_id("process", "engagement_watch")


@dataclass(frozen=True)
class PointsDue:
    workspace_id: UUID
    user_id: UUID
    amount: int
    reason: str
    source_id: UUID

    @property
    def id(self) -> UUID:
        return points_id(self.workspace_id, self.user_id, self.reason, self.source_id)


@dataclass(frozen=True)
class BadgeDue:
    workspace_id: UUID
    user_id: UUID
    slug: str
    reason: str
    source_id: UUID | None

    @property
    def id(self) -> UUID:
        return badge_award_id(self.workspace_id, self.user_id, self.slug)


class Engagement(CentsourceApplication):
    def inbox(self, user_id: UUID, by: Actor) -> Inbox:
        inbox = self.find(Inbox, Inbox.id_for(user_id))
        return inbox if inbox is not None else Inbox.open(user_id, by)

    def mark_read(self, user_id: UUID, notification_ids: list[UUID], by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.mark_read(notification_ids, by)
        return self.save_all(inbox)

    def mark_all_read(self, user_id: UUID, by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.mark_all_read(by)
        return self.save_all(inbox)

    def dismiss(self, user_id: UUID, notification_ids: list[UUID], by: Actor) -> int:
        inbox = self.inbox(user_id, by)
        inbox.dismiss(notification_ids, by)
        return self.save_all(inbox)

    # Points and badges: recorded by the engagement watch only.

    def award(self, due: Sequence[PointsDue | BadgeDue], correlation_id: str) -> int:
        """Records what is due and not recorded yet, in one transaction; a badge brings its
        catalogue points (reason ``badge:<slug>``, source the badge award). Awards already in
        the log are skipped, so handling a batch twice records nothing new. 0: nothing new."""
        by = Actor(ENGAGEMENT_WATCH_ACTOR_ID, correlation_id)
        unique: dict[UUID, PointsDue | BadgeDue] = {}
        for item in due:
            unique.setdefault(item.id, item)
            if isinstance(item, BadgeDue):
                points = self._badge_points(item)
                unique.setdefault(points.id, points)
        present = self.existing_ids(list(unique))
        new: list[Aggregate] = []
        for award_id, item in unique.items():
            if award_id in present:
                continue
            if isinstance(item, PointsDue):
                new.append(
                    Points.award(
                        item.workspace_id,
                        item.user_id,
                        item.amount,
                        item.reason,
                        item.source_id,
                        by,
                    )
                )
            else:
                definition = badge(item.slug)
                new.append(
                    Badge.earn(
                        item.workspace_id,
                        item.user_id,
                        definition.id,
                        item.slug,
                        definition.points,
                        item.reason,
                        item.source_id,
                        by,
                    )
                )
        return self.save_all(*new) if new else 0

    @staticmethod
    def _badge_points(item: BadgeDue) -> PointsDue:
        return PointsDue(
            item.workspace_id,
            item.user_id,
            badge(item.slug).points,
            f"badge:{item.slug}",
            item.id,
        )

    # Challenges.

    def accept_challenge(
        self,
        workspace_id: UUID,
        user_id: UUID,
        template: ChallengeTemplate,
        category_id: UUID | None,
        month: str,
        today: date,
        by: Actor,
    ) -> tuple[Challenge, int]:
        if self.find(Challenge, challenge_id(workspace_id, user_id, template.id, month)):
            raise ConflictError("you have accepted this challenge for that month already")
        challenge = Challenge.accept(workspace_id, user_id, template, category_id, month, today, by)
        return challenge, self.save_all(challenge)

    def get_challenge(self, workspace_id: UUID, user_id: UUID, challenge_id: UUID) -> Challenge:
        """Only its member's: another member's challenge is 404, like another workspace's."""
        challenge = self.find(Challenge, challenge_id)
        if challenge is None or challenge.workspace_id != workspace_id:
            raise NotFoundError("no such challenge")
        if challenge.user_id != user_id:
            raise NotFoundError("no such challenge")
        return challenge

    def save_challenge(self, challenge: Challenge) -> tuple[Challenge, int]:
        return challenge, self.save_all(challenge)

    # Buckets, reflections, persona.

    def change_buckets(
        self, workspace_id: UUID, buckets: Mapping[UUID, Bucket | None], by: Actor
    ) -> tuple[BucketMap, int]:
        found = self.find(BucketMap, bucket_map_id(workspace_id))
        bucket_map = found if found is not None else BucketMap.start(workspace_id, by)
        bucket_map.change(buckets, by)
        return bucket_map, self.save_all(bucket_map)

    def record_reflection(
        self,
        reflection_id: UUID,
        workspace_id: UUID,
        user_id: UUID,
        phase: Phase,
        category: str | None,
        text: str,
        confidence_rating: int,
        intended_action: str | None,
        known_names: frozenset[str],
        by: Actor,
    ) -> tuple[Reflection, int]:
        existing = self.find(Reflection, reflection_id)
        if existing is not None:
            if existing.workspace_id != workspace_id or existing.user_id != user_id:
                raise ConflictError("that id is taken")
            return existing, 0  # a retry of the same idempotent command
        reflection = Reflection.record(
            reflection_id,
            workspace_id,
            user_id,
            phase,
            category,
            text,
            confidence_rating,
            intended_action,
            known_names,
            by,
        )
        return reflection, self.save_all(reflection)

    def choose_persona(
        self, workspace_id: UUID, user_id: UUID, persona: Persona | None, by: Actor
    ) -> tuple[PersonaChoice, int]:
        found = self.find(PersonaChoice, persona_choice_id(workspace_id, user_id))
        choice = found if found is not None else PersonaChoice.start(workspace_id, user_id, by)
        choice.choose(persona, by)
        return choice, self.save_all(choice)

    # Research.

    def participant(self, user_id: UUID) -> Participant | None:
        return self.find(Participant, participant_id(user_id))

    def consent(
        self,
        user_id: UUID,
        consented: bool,
        age_confirmed: bool,
        data_mode: DataMode,
        participant_code: str,
        allow_research_export: bool,
        study_version: str,
        by: Actor,
    ) -> tuple[Participant, int]:
        found = self.participant(user_id)
        participant = found if found is not None else Participant.enroll(user_id, by)
        aggregates: list[Aggregate] = [participant]
        if consented:
            holder = self.find(ParticipantCode, participant_code_id(participant_code))
            if holder is None:
                aggregates.append(ParticipantCode.claim(participant_code, user_id, by))
            elif holder.user_id != user_id:
                raise ConflictError("that participant code is taken; choose another")
        participant.consent(
            consented,
            age_confirmed,
            data_mode,
            participant_code,
            allow_research_export,
            study_version,
            by,
        )
        return participant, self.save_all(*aggregates)

    def consented(self, user_id: UUID) -> Participant:
        """The participant, when they have consented; 403 for anyone else."""
        participant = self.participant(user_id)
        if participant is None or not participant.consented:
            raise ForbiddenError("nothing is collected before you consent to the study")
        return participant

    def change_data_mode(
        self, user_id: UUID, data_mode: DataMode, by: Actor
    ) -> tuple[Participant, int]:
        participant = self.consented(user_id)
        participant.change_data_mode(data_mode, by)
        return participant, self.save_all(participant)

    def record_research(
        self,
        record_id: UUID,
        user_id: UUID,
        kind: str,
        data: dict[str, Any],
        client_timestamp: datetime | None,
        by: Actor,
        usage: bool,
    ) -> tuple[ResearchRecord, int]:
        """``usage``: usage data (events, snapshots, metrics), collected in FULL mode only."""
        participant = self.consented(user_id)
        if usage and participant.data_mode != DataMode.FULL.value:
            raise ForbiddenError("your data mode collects survey scores only")
        existing = self.find(ResearchRecord, record_id)
        if existing is not None:
            if existing.user_id != user_id:
                raise ConflictError("that id is taken")
            return existing, 0
        record = ResearchRecord.record(record_id, user_id, kind, data, client_timestamp, by)
        return record, self.save_all(record)


def decimal_text(value: Decimal) -> str:
    return format(value, "f")

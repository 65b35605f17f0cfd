"""Members' challenges, the workspace's buckets, reflections and persona overrides."""

from __future__ import annotations

import json
from typing import Any

from domain.engagement.buckets import BucketMap
from domain.engagement.challenges import Challenge
from domain.engagement.persona import PersonaChoice
from domain.engagement.reflections import Reflection
from projections.engagement.view import TABLES
from projections.runtime import Cursor, Projection, handles


class EngagementProjection(Projection):
    name = "engagement"
    tables = TABLES

    @handles(Challenge.Accepted)
    async def on_challenge_accepted(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO engagement_challenges (id, workspace_id, user_id, template_id, slug, "
            "title, metric_key, target_value, unit, reward_points, category_id, month, "
            "accepted_on, accepted_at, version) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                event.user_id,
                event.template_id,
                event.slug,
                event.title,
                event.metric_key,
                event.target_value,
                event.unit,
                event.reward_points,
                event.category_id,
                event.month,
                event.accepted_on,
                event.timestamp,
                event.originator_version,
            ),
        )

    @handles(Challenge.ProgressReported)
    async def on_progress_reported(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE engagement_challenges SET progress = %s, version = %s WHERE id = %s",
            (event.current_progress, event.originator_version, event.originator_id),
        )

    @handles(Challenge.Claimed)
    async def on_challenge_claimed(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE engagement_challenges SET progress = %s, claimed_at = %s, version = %s "
            "WHERE id = %s",
            (event.progress, event.timestamp, event.originator_version, event.originator_id),
        )

    @handles(BucketMap.Changed)
    async def on_buckets_changed(self, cur: Cursor, event: Any, position: int) -> None:
        for category, bucket in event.buckets.items():
            if bucket is None:
                await cur.execute(
                    "DELETE FROM engagement_buckets WHERE workspace_id = %s AND category_id = %s",
                    (event.workspace_id, category),
                )
            else:
                await cur.execute(
                    "INSERT INTO engagement_buckets (workspace_id, category_id, bucket) "
                    "VALUES (%s, %s, %s) ON CONFLICT (workspace_id, category_id) "
                    "DO UPDATE SET bucket = excluded.bucket",
                    (event.workspace_id, category, bucket),
                )

    @handles(Reflection.Recorded)
    async def on_reflection_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO engagement_reflections (id, workspace_id, user_id, phase, category, "
            "reflection_text, confidence_rating, intended_action, quality_score, feedback, "
            "recorded_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.workspace_id,
                event.user_id,
                event.phase,
                event.category,
                event.reflection_text,
                event.confidence_rating,
                event.intended_action,
                event.quality_score,
                json.dumps(list(event.feedback)),
                event.timestamp,
                position,
            ),
        )

    @handles(PersonaChoice.Chosen)
    async def on_persona_chosen(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO engagement_personas (workspace_id, user_id, persona) VALUES (%s, %s, %s) "
            "ON CONFLICT (workspace_id, user_id) DO UPDATE SET persona = excluded.persona",
            (event.workspace_id, event.user_id, event.persona),
        )

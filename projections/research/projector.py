"""Participants' consent as it stands, and the records they sent while consenting."""

from __future__ import annotations

import json
from typing import Any

from domain.engagement.research import Participant, ResearchRecord
from projections.research.view import TABLES
from projections.runtime import Cursor, Projection, handles


class ResearchProjection(Projection):
    name = "research"
    tables = TABLES

    @handles(Participant.Consented)
    async def on_consented(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO research_participants (user_id, participant_code, consented, "
            "data_mode, allow_export, study_version, consented_at) "
            "VALUES (%s, %s, true, %s, %s, %s, %s) ON CONFLICT (user_id) DO UPDATE SET "
            "participant_code = excluded.participant_code, consented = true, "
            "data_mode = excluded.data_mode, allow_export = excluded.allow_export, "
            "study_version = excluded.study_version, consented_at = excluded.consented_at",
            (
                event.user_id,
                event.participant_code,
                event.data_mode,
                event.allow_research_export,
                event.study_version,
                event.timestamp,
            ),
        )

    @handles(Participant.Withdrawn)
    async def on_withdrawn(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE research_participants SET consented = false WHERE user_id = %s",
            (event.user_id,),
        )

    @handles(Participant.DataModeChanged)
    async def on_data_mode_changed(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "UPDATE research_participants SET data_mode = %s WHERE user_id = %s",
            (event.data_mode, event.user_id),
        )

    @handles(ResearchRecord.Recorded)
    async def on_recorded(self, cur: Cursor, event: Any, position: int) -> None:
        await cur.execute(
            "INSERT INTO research_records (id, user_id, kind, data, client_timestamp, "
            "recorded_at, position) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.originator_id,
                event.user_id,
                event.kind,
                json.dumps(event.data, default=str),
                event.client_timestamp,
                event.timestamp,
                position,
            ),
        )

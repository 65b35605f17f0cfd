"""Tables of the research projection, and the export: one JSON line per record of each
consented participant who allows export, named by participant code only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import psycopg

Conn = psycopg.AsyncConnection[dict[str, Any]]

TABLES = (
    """CREATE TABLE IF NOT EXISTS research_participants (
        user_id uuid PRIMARY KEY,
        participant_code text NOT NULL,
        consented boolean NOT NULL,
        data_mode text NOT NULL,
        allow_export boolean NOT NULL,
        study_version text NOT NULL,
        consented_at timestamptz NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS research_records (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        kind text NOT NULL,
        data jsonb NOT NULL,
        client_timestamp timestamptz,
        recorded_at timestamptz NOT NULL,
        position bigint NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS research_records_by_user ON research_records (user_id, position)",
)
# What a SCORES_ONLY participant's export keeps of a response: no item-level answers.
SCORE_FIELDS = ("phase", "instrument_key", "response_type", "score")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def export_lines(conn: Conn) -> AsyncIterator[bytes]:
    """Participants first (code, study version, data mode, when they consented), then each
    one's records oldest first. Nothing names a user, an email or a name; the user id stays
    here. A participant in SCORES_ONLY mode is exported with their instruments' scores only."""
    participants = await (
        await conn.execute(
            "SELECT user_id, participant_code, data_mode, study_version, consented_at "
            "FROM research_participants WHERE consented AND allow_export "
            "ORDER BY participant_code"
        )
    ).fetchall()
    for p in participants:
        yield _line(
            {
                "record": "participant",
                "participant_code": p["participant_code"],
                "study_version": p["study_version"],
                "data_mode": p["data_mode"],
                "consented_at": _time(p["consented_at"]),
            }
        )
    for p in participants:
        records = await (
            await conn.execute(
                "SELECT kind, data, client_timestamp, recorded_at FROM research_records "
                "WHERE user_id = %s ORDER BY position",
                (p["user_id"],),
            )
        ).fetchall()
        for r in records:
            data = dict(r["data"])
            if p["data_mode"] != "FULL":
                if r["kind"] != "response":
                    continue
                data = {key: data[key] for key in SCORE_FIELDS if key in data}
            yield _line(
                {
                    "record": r["kind"],
                    "participant_code": p["participant_code"],
                    **data,
                    "client_timestamp": _time(r["client_timestamp"]),
                    "recorded_at": _time(r["recorded_at"]),
                }
            )


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode() + b"\n"

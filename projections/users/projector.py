"""Keeps users' names and system roles, and sessions' ends (logout, refresh, new password)."""

from __future__ import annotations

from domain.identity.session import Session
from domain.identity.user import User
from projections.runtime import Cursor, Projection, handles
from projections.users.view import TABLES


class UsersProjection(Projection):
    name = "users"
    tables = TABLES

    @handles(User.SignedUp)
    async def on_user_signed_up(self, cur: Cursor, event: User.SignedUp, position: int) -> None:
        await cur.execute(
            "INSERT INTO users (id, name, email) VALUES (%s, %s, %s)",
            (event.originator_id, event.name, event.email),
        )

    @handles(User.DeviceRegistered)
    async def on_user_device_registered(
        self, cur: Cursor, event: User.DeviceRegistered, position: int
    ) -> None:
        await cur.execute(
            "INSERT INTO users (id, name) VALUES (%s, 'Anonymous')", (event.originator_id,)
        )

    @handles(User.CredentialsAttached)
    async def on_user_credentials_attached(
        self, cur: Cursor, event: User.CredentialsAttached, position: int
    ) -> None:
        await cur.execute(
            "UPDATE users SET name = %s, email = %s WHERE id = %s",
            (event.name, event.email, event.originator_id),
        )

    @handles(User.Renamed)
    async def on_user_renamed(self, cur: Cursor, event: User.Renamed, position: int) -> None:
        await cur.execute(
            "UPDATE users SET name = %s WHERE id = %s", (event.name, event.originator_id)
        )

    @handles(User.SystemRoleChanged)
    async def on_user_system_role_changed(
        self, cur: Cursor, event: User.SystemRoleChanged, position: int
    ) -> None:
        await cur.execute(
            "UPDATE users SET system_role = %s WHERE id = %s", (event.role, event.originator_id)
        )

    @handles(User.PasswordChanged, User.PasswordReset)
    async def on_user_password_changed(
        self, cur: Cursor, event: User.PasswordChanged | User.PasswordReset, position: int
    ) -> None:
        """Every session started before the new password ends with it."""
        await cur.execute(
            "UPDATE users_sessions SET ended_at = %s"
            " WHERE user_id = %s AND started_at < %s AND ended_at IS NULL",
            (event.timestamp, event.originator_id, event.sessions_valid_from),
        )

    @handles(Session.Started)
    async def on_session_started(self, cur: Cursor, event: Session.Started, position: int) -> None:
        await cur.execute(
            "INSERT INTO users_sessions (id, user_id, started_at) VALUES (%s, %s, %s)",
            (event.originator_id, event.user_id, event.timestamp),
        )

    @handles(Session.Ended)
    async def on_session_ended(self, cur: Cursor, event: Session.Ended, position: int) -> None:
        await cur.execute(
            "UPDATE users_sessions SET ended_at = %s WHERE id = %s",
            (event.timestamp, event.originator_id),
        )

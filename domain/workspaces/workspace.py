"""A workspace: its name and settings, its members with their roles, and pending invitations."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID
from zoneinfo import available_timezones

from eventsourcing.domain import event

from domain.base import (
    Actor,
    ConflictError,
    DomainError,
    ForbiddenError,
    NotFoundError,
    Tracked,
    hash_secret,
    natural_id,
    normalize_email,
)
from domain.money import check_currency

MAX_MEMBERS = 50
DEFAULT_TIMEZONE = "UTC"
DEFAULT_WEEK_START = "MONDAY"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


class Role(StrEnum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    ADMIN = "ADMIN"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        return self.rank >= required.rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class Invitation:
    email: str
    role: Role
    token_hash: str
    expires_at: datetime


class Workspace(Tracked):
    class Created(Tracked.Created):
        name: str
        base_currency: str
        creator_id: UUID

    @event(Created)
    def __init__(self, name: str, base_currency: str, creator_id: UUID) -> None:
        self.workspace_id = self.id  # a workspace's own events belong to it
        self.name = name
        self.base_currency = base_currency
        self.timezone = DEFAULT_TIMEZONE
        self.week_start = DEFAULT_WEEK_START
        self.members: dict[UUID, Role] = {creator_id: Role.ADMIN}
        self.invitations: dict[UUID, Invitation] = {}
        self.deleted = False

    @classmethod
    def create(cls, workspace_id: UUID, name: str, base_currency: str, by: Actor) -> Workspace:
        check_currency(base_currency, "base_currency")
        return cls._create(
            cls.Created,
            id=workspace_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            name=name.strip(),
            base_currency=base_currency,
            creator_id=by.actor_id,
        )

    def check_access(self, user_id: UUID, required: Role) -> Role:
        """Non-members must not learn that the workspace exists; members lacking the role may."""
        role = self.members.get(user_id)
        if role is None or self.deleted:
            raise NotFoundError("no such workspace")
        return check_role(role, required)

    class Renamed(Tracked.Event):
        name: str

    def rename(self, name: str, by: Actor) -> None:
        if name.strip() != self.name:
            self._trigger(self.Renamed, by, name=name.strip())

    @event(Renamed)
    def _renamed(self, name: str) -> None:
        self.name = name

    class SettingsChanged(Tracked.Event):
        base_currency: str
        timezone: str
        week_start: str

    def change_settings(
        self, base_currency: str, timezone: str, week_start: str, by: Actor
    ) -> None:
        check_currency(base_currency, "base_currency")
        if timezone not in _TIMEZONES:
            raise DomainError(f"{timezone!r} is not an IANA time zone", "timezone")
        if week_start not in WEEKDAYS:
            raise DomainError(f"week_start must be one of {', '.join(WEEKDAYS)}", "week_start")
        if (base_currency, timezone, week_start) != (
            self.base_currency,
            self.timezone,
            self.week_start,
        ):
            self._trigger(
                self.SettingsChanged,
                by,
                base_currency=base_currency,
                timezone=timezone,
                week_start=week_start,
            )

    @event(SettingsChanged)
    def _settings_changed(self, base_currency: str, timezone: str, week_start: str) -> None:
        self.base_currency = base_currency
        self.timezone = timezone
        self.week_start = week_start

    class Deleted(Tracked.Event):
        pass

    def delete(self, by: Actor) -> None:
        """Soft: the events stay, but nobody can use or see the workspace any more."""
        self._trigger(self.Deleted, by)

    @event(Deleted)
    def _deleted(self) -> None:
        self.deleted = True

    class MemberInvited(Tracked.Event):
        invitation_id: UUID
        email: str
        role: str
        token_hash: str
        expires_at: datetime

    def invite(
        self,
        email: str,
        role: Role,
        token_secret: str,
        expires_at: datetime,
        existing_user_id: UUID | None,
        by: Actor,
    ) -> UUID:
        """Invites an email; returns the invitation's id."""
        email = email.strip()
        if existing_user_id in self.members:
            raise ConflictError("this person is a member already", "email")
        if any(_same_email(i.email, email) for i in self.invitations.values()):
            raise ConflictError("this email has a pending invitation", "email")
        if len(self.members) + len(self.invitations) >= MAX_MEMBERS:
            raise DomainError(
                f"a workspace has at most {MAX_MEMBERS} members and pending invitations"
            )
        invitation_id = natural_id("invitation", self.id, normalize_email(email), self.version)
        self._trigger(
            self.MemberInvited,
            by,
            invitation_id=invitation_id,
            email=email,
            role=role.value,
            token_hash=hash_secret(token_secret),
            expires_at=expires_at,
        )
        return invitation_id

    @event(MemberInvited)
    def _member_invited(
        self, invitation_id: UUID, email: str, role: str, token_hash: str, expires_at: datetime
    ) -> None:
        self.invitations[invitation_id] = Invitation(email, Role(role), token_hash, expires_at)

    def check_invitation(
        self, invitation_id: UUID, token_secret: str, email: str | None, now: datetime
    ) -> Invitation:
        """The invitation a token names, for the person it was sent to."""
        invitation = self.invitations.get(invitation_id)
        if (
            invitation is None
            or self.deleted
            or not hmac.compare_digest(invitation.token_hash, hash_secret(token_secret))
        ):
            raise NotFoundError("no such invitation; it may have been revoked or answered")
        if email is None or not _same_email(invitation.email, email):
            raise ForbiddenError("this invitation was sent to another email")
        if now >= invitation.expires_at:
            raise DomainError("this invitation has expired; ask for a new one", "token")
        return invitation

    class InvitationAccepted(Tracked.Event):
        invitation_id: UUID
        user_id: UUID
        role: str

    def accept_invitation(
        self, invitation_id: UUID, token_secret: str, email: str | None, now: datetime, by: Actor
    ) -> Role:
        invitation = self.check_invitation(invitation_id, token_secret, email, now)
        if by.actor_id in self.members:
            raise ConflictError("you are a member already")
        self._trigger(
            self.InvitationAccepted,
            by,
            invitation_id=invitation_id,
            user_id=by.actor_id,
            role=invitation.role.value,
        )
        return invitation.role

    @event(InvitationAccepted)
    def _invitation_accepted(self, invitation_id: UUID, user_id: UUID, role: str) -> None:
        del self.invitations[invitation_id]
        self.members[user_id] = Role(role)

    class InvitationDeclined(Tracked.Event):
        invitation_id: UUID

    def decline_invitation(
        self, invitation_id: UUID, token_secret: str, email: str | None, now: datetime, by: Actor
    ) -> None:
        self.check_invitation(invitation_id, token_secret, email, now)
        self._trigger(self.InvitationDeclined, by, invitation_id=invitation_id)

    @event(InvitationDeclined)
    def _invitation_declined(self, invitation_id: UUID) -> None:
        del self.invitations[invitation_id]

    class InvitationRevoked(Tracked.Event):
        invitation_id: UUID

    def revoke_invitation(self, invitation_id: UUID, by: Actor) -> None:
        if invitation_id not in self.invitations:
            raise NotFoundError("no such pending invitation")
        self._trigger(self.InvitationRevoked, by, invitation_id=invitation_id)

    @event(InvitationRevoked)
    def _invitation_revoked(self, invitation_id: UUID) -> None:
        del self.invitations[invitation_id]

    class MemberRoleChanged(Tracked.Event):
        user_id: UUID
        role: str

    def change_role(self, user_id: UUID, role: Role, by: Actor) -> None:
        current = self._member(user_id)
        if current is Role.ADMIN and role is not Role.ADMIN:
            self._check_not_last_admin(user_id, "be demoted")
        if role is not current:
            self._trigger(self.MemberRoleChanged, by, user_id=user_id, role=role.value)

    @event(MemberRoleChanged)
    def _member_role_changed(self, user_id: UUID, role: str) -> None:
        self.members[user_id] = Role(role)

    class MemberRemoved(Tracked.Event):
        user_id: UUID

    def remove_member(self, user_id: UUID, by: Actor) -> None:
        self._member(user_id)
        self._check_not_last_admin(user_id, "be removed")
        self._trigger(self.MemberRemoved, by, user_id=user_id)

    @event(MemberRemoved)
    def _member_removed(self, user_id: UUID) -> None:
        del self.members[user_id]

    class MemberLeft(Tracked.Event):
        user_id: UUID

    def leave(self, by: Actor) -> None:
        self._member(by.actor_id)
        self._check_not_last_admin(by.actor_id, "leave")
        self._trigger(self.MemberLeft, by, user_id=by.actor_id)

    @event(MemberLeft)
    def _member_left(self, user_id: UUID) -> None:
        del self.members[user_id]

    def _member(self, user_id: UUID) -> Role:
        role = self.members.get(user_id)
        if role is None:
            raise NotFoundError("no such member", "user_id")
        return role

    def _check_not_last_admin(self, user_id: UUID, cannot: str) -> None:
        admins = [member for member, role in self.members.items() if role is Role.ADMIN]
        if admins == [user_id]:
            raise DomainError(
                f"the last ADMIN cannot {cannot}; make another member ADMIN first", "user_id"
            )


def check_role(role: Role, required: Role) -> Role:
    if not role.allows(required):
        raise ForbiddenError(f"this needs the {required.value} role; you are {role.value}")
    return role


def _same_email(a: str, b: str) -> bool:
    return normalize_email(a) == normalize_email(b)


_TIMEZONES = frozenset(available_timezones())

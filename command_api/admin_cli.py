"""``centsource admin grant|revoke EMAIL``: system roles from the host's shell."""

from __future__ import annotations

from uuid import uuid4

from domain.base import Actor, DomainError, natural_id
from domain.identity.application import Identity
from domain.identity.user import SystemRole
from infra import database
from infra.passwords import Argon2Hasher
from infra.settings import Settings

# Events the operator causes from the shell name this actor.
OPERATOR_ID = natural_id("operator")


def change_system_role(settings: Settings, email: str, grant: bool) -> None:
    database.create_schema(settings)
    identity = Identity(database.event_store_env(settings), Argon2Hasher(), settings.secret)
    role = SystemRole.ADMIN if grant else SystemRole.USER
    try:
        user, _ = identity.change_system_role(email, role, Actor(OPERATOR_ID, f"cli-{uuid4()}"))
    except DomainError as error:
        raise SystemExit(error.detail) from None
    finally:
        identity.close()
    print(f"{user.email} is now {user.system_role.value}")

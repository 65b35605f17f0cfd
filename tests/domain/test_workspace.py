"""Who may do what in a workspace."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.base import Actor, DomainError, ForbiddenError, NotFoundError
from domain.workspaces.workspace import Role, Workspace


def test_the_creator_of_a_workspace_is_its_admin() -> None:
    creator = Actor(uuid4(), "c")
    workspace = Workspace.create(uuid4(), "Home", "EUR", creator)
    assert workspace.members == {creator.actor_id: Role.ADMIN}
    assert workspace.check_access(creator.actor_id, Role.ADMIN) is Role.ADMIN


def test_a_non_member_is_told_the_workspace_does_not_exist() -> None:
    workspace = Workspace.create(uuid4(), "Home", "EUR", Actor(uuid4(), "c"))
    with pytest.raises(NotFoundError):
        workspace.check_access(uuid4(), Role.VIEWER)


def test_a_member_lacking_the_role_is_forbidden() -> None:
    viewer = uuid4()
    workspace = Workspace.create(uuid4(), "Home", "EUR", Actor(uuid4(), "c"))
    workspace.members[viewer] = Role.VIEWER
    with pytest.raises(ForbiddenError, match="EDITOR"):
        workspace.check_access(viewer, Role.EDITOR)
    assert workspace.check_access(viewer, Role.VIEWER) is Role.VIEWER


def test_a_workspace_needs_an_iso_currency() -> None:
    with pytest.raises(DomainError, match="ISO 4217"):
        Workspace.create(uuid4(), "Home", "EURO", Actor(uuid4(), "c"))

"""Categories: add, rename, archive and unarchive, merge (moving transactions by events)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import UNSET, Meta, UnsetType

from command_api.access import Access
from command_api.transaction_index import transactions_in_category
from domain.base import Actor
from domain.ledger.application import Ledger
from domain.ledger.categories import Categories

WORKSPACE = "/api/workspaces/{workspace_id:uuid}"
CATEGORY = f"{WORKSPACE}/categories/{{category_id:uuid}}"
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"\S")]


class CategoryOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    parent_id: UUID | None
    system: bool
    archived: bool
    position: int


class AddCategory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    parent_id: UUID | None = None


@post(f"{WORKSPACE}/categories", sync_to_thread=True, access=Access.EDITOR, status_code=201)
def add_category(
    workspace_id: FromPath[UUID],
    data: JSONBody[AddCategory],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> CategoryOut:
    """A custom category, or a subcategory of a top-level one (system or custom)."""
    categories, category_id, position = ledger.add_category(
        workspace_id, data.name, data.parent_id, actor
    )
    return _category_out(categories, category_id, position)


class ChangeCategory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    archived: bool | UnsetType = UNSET


@patch(CATEGORY, sync_to_thread=True, access=Access.EDITOR)
def change_category(
    workspace_id: FromPath[UUID],
    category_id: FromPath[UUID],
    data: JSONBody[ChangeCategory],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
) -> CategoryOut:
    """Rename, archive (hidden from pickers, its history stays) or unarchive."""
    categories, position = None, 0
    if data.name is not UNSET:
        categories, position = ledger.rename_category(workspace_id, category_id, data.name, actor)
    if data.archived is not UNSET:
        categories, archived_at = ledger.archive_category(
            workspace_id, category_id, data.archived, actor
        )
        position = archived_at or position
    if categories is None:  # nothing to change: answer the category as it is
        categories = ledger.categories(workspace_id, actor)
        categories.get_active(category_id)
    return _category_out(categories, category_id, position)


class MergeCategory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    target_id: UUID


class Merged(msgspec.Struct, kw_only=True):
    source_id: UUID
    target_id: UUID
    moved_transactions: int
    position: int


@post(f"{CATEGORY}/merge", access=Access.EDITOR, status_code=200)
async def merge_category(
    workspace_id: FromPath[UUID],
    category_id: FromPath[UUID],
    data: JSONBody[MergeCategory],
    ledger: NamedDependency[Ledger],
    actor: NamedDependency[Actor],
    request: Request[Any, Any, State],
) -> Merged:
    """The category's transactions move to the target, each by a ``Categorized`` event saved
    with the merge; the category is archived, and references to it land on the target."""
    candidates = await transactions_in_category(request.app.state.pool, workspace_id, category_id)
    _, moved, position = await asyncio.to_thread(
        ledger.merge_categories, workspace_id, category_id, data.target_id, candidates, actor
    )
    return Merged(
        source_id=category_id, target_id=data.target_id, moved_transactions=moved, position=position
    )


def _category_out(categories: Categories, category_id: UUID, position: int) -> CategoryOut:
    category = categories.get(category_id)
    return CategoryOut(
        id=category.id,
        name=category.name,
        parent_id=category.parent_id,
        system=category.slug is not None,
        archived=category.archived,
        position=position,
    )

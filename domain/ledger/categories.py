"""A workspace's categories: the system set every workspace starts with, and its own."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, ConflictError, DomainError, NotFoundError, Tracked, natural_id

# (slug, name, parent slug): two levels, parents and their children, no deeper.
SYSTEM_CATEGORIES: tuple[tuple[str, str, str | None], ...] = (
    ("food_and_drink", "Food & Drink", None),
    ("groceries", "Groceries", "food_and_drink"),
    ("restaurants", "Restaurants", "food_and_drink"),
    ("coffee_shops", "Coffee Shops", "food_and_drink"),
    ("transport", "Transport", None),
    ("fuel", "Fuel", "transport"),
    ("public_transport", "Public Transport", "transport"),
    ("taxi_and_rideshare", "Taxi & Rideshare", "transport"),
    ("parking", "Parking", "transport"),
    ("housing", "Housing", None),
    ("rent", "Rent", "housing"),
    ("mortgage", "Mortgage", "housing"),
    ("home_maintenance", "Home Maintenance", "housing"),
    ("utilities", "Utilities", None),
    ("electricity", "Electricity", "utilities"),
    ("water", "Water", "utilities"),
    ("internet_and_phone", "Internet & Phone", "utilities"),
    ("health", "Health", None),
    ("pharmacy", "Pharmacy", "health"),
    ("doctor", "Doctor", "health"),
    ("fitness", "Fitness", "health"),
    ("entertainment", "Entertainment", None),
    ("streaming", "Streaming", "entertainment"),
    ("movies_and_events", "Movies & Events", "entertainment"),
    ("games", "Games", "entertainment"),
    ("shopping", "Shopping", None),
    ("clothing", "Clothing", "shopping"),
    ("electronics", "Electronics", "shopping"),
    ("household", "Household", "shopping"),
    ("travel", "Travel", None),
    ("flights", "Flights", "travel"),
    ("lodging", "Lodging", "travel"),
    ("education", "Education", None),
    ("personal_care", "Personal Care", None),
    ("gifts_and_donations", "Gifts & Donations", None),
    ("fees_and_charges", "Fees & Charges", None),
    ("bank_fees", "Bank Fees", "fees_and_charges"),
    ("interest_paid", "Interest Paid", "fees_and_charges"),
    ("taxes", "Taxes", None),
    ("income", "Income", None),
    ("salary", "Salary", "income"),
    ("interest_income", "Interest Income", "income"),
    ("refunds", "Refunds", "income"),
    ("transfers", "Transfers", None),
)
TRANSFERS = "transfers"
PATH_SEPARATOR = re.compile(r"\s*(?:>|:)\s*")


def system_category_id(workspace_id: UUID, slug: str) -> UUID:
    return natural_id(workspace_id, "category", slug)


def named_category_id(workspace_id: UUID, parent_id: UUID | None, name: str) -> UUID:
    """The id a category made from a name gets, so that a name maps to one id everywhere."""
    return natural_id(workspace_id, "category", parent_id or "", name.strip().casefold())


@dataclass(frozen=True)
class Category:
    id: UUID
    name: str
    parent_id: UUID | None
    slug: str | None  # system categories only
    archived: bool = False
    merged_into: UUID | None = None


class Categories(Tracked):
    """One per workspace (``natural_id(workspace_id, "categories")``); made at first change.

    Until then the workspace has exactly the system set, which every reader can derive.
    """

    class Started(Tracked.Created):
        pass

    @event(Started)
    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.categories = system_set(workspace_id)

    @staticmethod
    def id_for(workspace_id: UUID) -> UUID:
        return natural_id(workspace_id, "categories")

    @classmethod
    def start(cls, workspace_id: UUID, by: Actor) -> Categories:
        return cls._create(
            cls.Started,
            id=cls.id_for(workspace_id),
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Added(Tracked.Event):
        category_id: UUID
        name: str
        parent_id: UUID | None

    def add(self, name: str, parent_id: UUID | None, by: Actor) -> UUID:
        name = self.check_name(name, parent_id)
        if parent_id is not None:
            parent = self.get(parent_id, "parent_id")
            if parent.parent_id is not None:
                raise DomainError("categories nest two levels deep: pick a top level", "parent_id")
            if parent.archived:
                raise DomainError("the parent category is archived", "parent_id")
        category_id = named_category_id(self.workspace_id or self.id, parent_id, name)
        while category_id in self.categories:  # the name was used before a rename
            category_id = natural_id(category_id, "again")
        self._trigger(self.Added, by, category_id=category_id, name=name, parent_id=parent_id)
        return category_id

    @event(Added)
    def _added(self, category_id: UUID, name: str, parent_id: UUID | None) -> None:
        self.categories[category_id] = Category(category_id, name, parent_id, None)

    class Renamed(Tracked.Event):
        category_id: UUID
        name: str

    def rename(self, category_id: UUID, name: str, by: Actor) -> None:
        category = self.get_active(category_id)
        name = self.check_name(name, category.parent_id, except_id=category_id)
        if name != category.name:
            self._trigger(self.Renamed, by, category_id=category_id, name=name)

    @event(Renamed)
    def _renamed(self, category_id: UUID, name: str) -> None:
        self.categories[category_id] = replace(self.categories[category_id], name=name)

    class Archived(Tracked.Event):
        category_id: UUID

    def archive(self, category_id: UUID, by: Actor) -> None:
        category = self.get_active(category_id)
        if category.slug == TRANSFERS:
            raise DomainError("transfers need their category", "category_id")
        if not category.archived:
            self._trigger(self.Archived, by, category_id=category_id)

    @event(Archived)
    def _archived(self, category_id: UUID) -> None:
        self.categories[category_id] = replace(self.categories[category_id], archived=True)

    class Unarchived(Tracked.Event):
        category_id: UUID

    def unarchive(self, category_id: UUID, by: Actor) -> None:
        category = self.get_active(category_id)
        if category.archived:
            self._trigger(self.Unarchived, by, category_id=category_id)

    @event(Unarchived)
    def _unarchived(self, category_id: UUID) -> None:
        self.categories[category_id] = replace(self.categories[category_id], archived=False)

    class Merged(Tracked.Event):
        """The source's transactions move by their own events, saved with this one."""

        source_id: UUID
        target_id: UUID

    def merge(self, source_id: UUID, target_id: UUID, by: Actor) -> None:
        source = self.get_active(source_id)
        self.get_active(target_id, "target_id")
        if source_id == target_id:
            raise DomainError("a category cannot be merged into itself", "target_id")
        if source.slug == TRANSFERS:
            raise DomainError("transfers need their category", "category_id")
        if any(c.parent_id == source_id and c.merged_into is None for c in self.all()):
            raise DomainError("merge or move its subcategories first", "category_id")
        self._trigger(self.Merged, by, source_id=source_id, target_id=target_id)

    @event(Merged)
    def _merged(self, source_id: UUID, target_id: UUID) -> None:
        self.categories[source_id] = replace(
            self.categories[source_id], archived=True, merged_into=target_id
        )

    def all(self) -> list[Category]:
        return list(self.categories.values())

    def get(self, category_id: UUID, field: str = "category_id") -> Category:
        category = self.categories.get(category_id)
        if category is None:
            raise DomainError("no such category in this workspace", field)
        return category

    def get_active(self, category_id: UUID, field: str = "category_id") -> Category:
        if category_id not in self.categories and field == "category_id":
            raise NotFoundError("no such category")
        category = self.get(category_id, field)
        if category.merged_into is not None:
            raise DomainError("the category was merged into another", field)
        return category

    def current(self, category_id: UUID, field: str = "category_id") -> UUID:
        """Where a category reference points now: a merged category's lands on its target."""
        category = self.get(category_id, field)
        while category.merged_into is not None:
            category = self.categories[category.merged_into]
        return category.id

    def find(self, reference: str) -> UUID | None:
        """A category by name, system slug or ``Parent > Child`` / ``Parent:Child`` path."""
        wanted = reference.strip().casefold()
        for category in self.categories.values():
            if category.merged_into is None and wanted in (
                category.name.casefold(),
                (category.slug or "").casefold(),
            ):
                return category.id
        parts = PATH_SEPARATOR.split(wanted, maxsplit=1)
        if len(parts) == 2:
            parent_id = self.find_top_level(parts[0])
            for category in self.categories.values():
                if (
                    category.parent_id == parent_id
                    and category.merged_into is None
                    and category.name.casefold() == parts[1]
                ):
                    return category.id
        return None

    def find_top_level(self, name: str) -> UUID | None:
        wanted = name.strip().casefold()
        for category in self.categories.values():
            if (
                category.parent_id is None
                and category.merged_into is None
                and wanted in (category.name.casefold(), (category.slug or "").casefold())
            ):
                return category.id
        return None

    def find_or_add(self, reference: str, by: Actor) -> UUID:
        """A name no category has yet becomes a new one (an import keeps a bank file's names)."""
        found = self.find(reference)
        if found is not None:
            return found
        parts = PATH_SEPARATOR.split(reference.strip(), maxsplit=1)
        if len(parts) == 2 and parts[0] and parts[1]:
            parent_id = self.find_top_level(parts[0]) or self.add(parts[0], None, by)
            return self.add(parts[1], parent_id, by)
        return self.add(reference, None, by)

    def name_of(self, category_id: UUID | None) -> str | None:
        """None for none, and for a version-1 free-text category no one has made since."""
        category = self.categories.get(category_id) if category_id else None
        return None if category is None else category.name

    def check_name(self, name: str, parent_id: UUID | None, except_id: UUID | None = None) -> str:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 100:
            raise DomainError("a category name has 1 to 100 characters", "name")
        for category in self.categories.values():
            if (
                category.id != except_id
                and category.parent_id == parent_id
                and category.merged_into is None
                and category.name.casefold() == name.casefold()
            ):
                raise ConflictError(f"a category named {category.name!r} exists here", "name")
        return name


def system_set(workspace_id: UUID) -> dict[UUID, Category]:
    categories: dict[UUID, Category] = {}
    for slug, name, parent in SYSTEM_CATEGORIES:
        category_id = system_category_id(workspace_id, slug)
        parent_id = None if parent is None else system_category_id(workspace_id, parent)
        categories[category_id] = Category(category_id, name, parent_id, slug)
    return categories


def legacy_category_id(workspace_id: UUID, name: str) -> UUID:
    """Where a version-1 event's free-text category points: a system slug or name, else the
    id a category of that name gets when it is made."""
    wanted = name.strip().casefold()
    for slug, system_name, _ in SYSTEM_CATEGORIES:
        if wanted in (slug, system_name.casefold()):
            return system_category_id(workspace_id, slug)
    return named_category_id(workspace_id, None, name)

"""Auto-categorization rules: a workspace's ordered list of "when a transaction looks like
this, give it that category, these tags, this merchant name". The first rule that matches a
transaction applies; the others are not asked."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple
from uuid import UUID

import re2
from eventsourcing.domain import event

from domain.base import Actor, DomainError, NotFoundError, Tracked, natural_id
from domain.ledger.transaction import check_tags

MAX_RULES = 500
MAX_PATTERN = 200
# Patterns run in RE2, whose time is linear in the text: no pattern can stall a process, and
# none is refused for its shape. What one costs per character grows with its compiled program
# ("[^x]{1000}" is short to write but thousands of steps), so the program is bounded too, and
# the memory RE2 may take for it.
MAX_PROGRAM = 2000
_OPTIONS = re2.Options()
_OPTIONS.case_sensitive = False
_OPTIONS.never_capture = True  # only whether it matches counts
_OPTIONS.max_mem = 1 << 20
_OPTIONS.log_errors = False  # a refused pattern is the client's 400, not a line on stderr


class PatternError(DomainError):
    """A pattern the engine cannot take is bad input."""

    status = 400


@dataclass(frozen=True)
class Rule:
    """When all the conditions given hold (text is matched without regard to case, against
    the description and the merchant; amount bounds are on the amount's size), the actions
    given apply."""

    id: UUID
    name: str
    contains: str | None = None
    pattern: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    account_id: UUID | None = None
    category_id: UUID | None = None
    tags: tuple[str, ...] = ()
    merchant: str | None = None

    def check(self) -> None:
        if not 1 <= len(self.name) <= 100:
            raise DomainError("a rule's name has 1 to 100 characters", "name")
        conditions = (self.contains, self.pattern, self.min_amount, self.max_amount)
        if all(c is None for c in (*conditions, self.account_id)):
            raise DomainError("a rule needs a condition", "contains")
        if self.category_id is None and not self.tags and self.merchant is None:
            raise DomainError(
                "a rule needs an action: category_id, tags or merchant", "category_id"
            )
        if self.pattern is not None:
            _check_pattern(self.pattern)
        for field, bound in (("min_amount", self.min_amount), ("max_amount", self.max_amount)):
            if bound is not None and (not bound.is_finite() or bound < 0):
                raise DomainError("an amount bound is a size: zero or more", field)
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.min_amount > self.max_amount
        ):
            raise DomainError("min_amount is over max_amount", "min_amount")
        check_tags(self.tags)

    def matches(
        self, description: str, merchant: str | None, amount: Decimal, account_id: UUID
    ) -> bool:
        texts = (description, merchant or "")
        if self.contains is not None and not any(
            self.contains.casefold() in text.casefold() for text in texts
        ):
            return False
        if self.pattern is not None and not any(_search(self.pattern, text) for text in texts):
            return False
        if self.min_amount is not None and abs(amount) < self.min_amount:
            return False
        if self.max_amount is not None and abs(amount) > self.max_amount:
            return False
        return self.account_id is None or self.account_id == account_id


def first_match(
    rules: list[Rule], description: str, merchant: str | None, amount: Decimal, account_id: UUID
) -> Rule | None:
    return next((r for r in rules if r.matches(description, merchant, amount, account_id)), None)


class _Compiled(NamedTuple):
    regexp: Any  # RE2's, None when refused
    refused: str | None


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> _Compiled:
    """Cached refusals too: a rule saved when patterns were Python's may hold one RE2 refuses
    (a backreference, a lookaround), and it is asked on every transaction recorded."""
    if len(pattern) > MAX_PATTERN:
        return _Compiled(None, f"a pattern has up to {MAX_PATTERN} characters")
    try:
        regexp = re2.compile(pattern.encode("utf-8", "surrogatepass"), _OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        if "too large" in str(reason):
            return _Compiled(None, f"the pattern is too large to run ({reason})")
        return _Compiled(
            None, f"not a pattern RE2 takes: {reason} (it has no backreferences nor lookarounds)"
        )
    if regexp.programsize > MAX_PROGRAM:
        return _Compiled(None, f"the pattern is too large to run ({regexp.programsize} steps)")
    return _Compiled(regexp, None)


def _check_pattern(pattern: str) -> None:
    refused = _compiled(pattern).refused
    if refused is not None:
        raise PatternError(refused, "pattern")


def _search(pattern: str, text: str) -> bool:
    """A pattern RE2 refuses (saved before patterns were RE2's) matches nothing."""
    regexp = _compiled(pattern).regexp
    # Bytes, as RE2 reads them; a lone surrogate (no JSON body holds one) cannot match.
    return regexp is not None and regexp.search(text.encode("utf-8", "surrogatepass")) is not None


class Rules(Tracked):
    """One per workspace (``natural_id(workspace_id, "rules")``), in the order they are asked."""

    class Started(Tracked.Created):
        pass

    @event(Started)
    def __init__(self, workspace_id: UUID) -> None:
        self.workspace_id = workspace_id
        self.rules: list[Rule] = []

    @staticmethod
    def id_for(workspace_id: UUID) -> UUID:
        return natural_id(workspace_id, "rules")

    @classmethod
    def start(cls, workspace_id: UUID, by: Actor) -> Rules:
        return cls._create(
            cls.Started,
            id=cls.id_for(workspace_id),
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
        )

    class Added(Tracked.Event):
        rule: dict[str, Any]
        position: int  # 0 is asked first

    def add(self, rule: Rule, position: int | None, by: Actor) -> None:
        rule.check()
        if len(self.rules) >= MAX_RULES:
            raise DomainError(f"a workspace has up to {MAX_RULES} rules", "name")
        if any(r.id == rule.id for r in self.rules):
            return  # a retry of the same idempotent command
        at = len(self.rules) if position is None else max(0, min(position, len(self.rules)))
        self._trigger(self.Added, by, rule=asdict(rule), position=at)

    @event(Added)
    def _added(self, rule: dict[str, Any], position: int) -> None:
        self.rules.insert(position, _rule(rule))

    class Changed(Tracked.Event):
        rule: dict[str, Any]

    def change(self, rule_id: UUID, changes: dict[str, Any], by: Actor) -> Rule:
        rule = replace(self.get(rule_id), **changes)
        rule.check()
        if rule != self.get(rule_id):
            self._trigger(self.Changed, by, rule=asdict(rule))
        return rule

    @event(Changed)
    def _changed(self, rule: dict[str, Any]) -> None:
        changed = _rule(rule)
        self.rules = [changed if r.id == changed.id else r for r in self.rules]

    class Removed(Tracked.Event):
        rule_id: UUID

    def remove(self, rule_id: UUID, by: Actor) -> None:
        self.get(rule_id)
        self._trigger(self.Removed, by, rule_id=rule_id)

    @event(Removed)
    def _removed(self, rule_id: UUID) -> None:
        self.rules = [r for r in self.rules if r.id != rule_id]

    class Reordered(Tracked.Event):
        rule_ids: tuple[UUID, ...]

    def reorder(self, rule_ids: list[UUID], by: Actor) -> None:
        if sorted(rule_ids) != sorted(r.id for r in self.rules):
            raise DomainError("name every rule of the workspace once", "rule_ids")
        if rule_ids != [r.id for r in self.rules]:
            self._trigger(self.Reordered, by, rule_ids=tuple(rule_ids))

    @event(Reordered)
    def _reordered(self, rule_ids: tuple[UUID, ...]) -> None:
        by_id = {r.id: r for r in self.rules}
        self.rules = [by_id[UUID(str(rule_id))] for rule_id in rule_ids]

    def get(self, rule_id: UUID) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise NotFoundError("no such rule")


def _rule(fields: dict[str, Any]) -> Rule:
    """A rule as an event carries it (JSON gives lists for tuples)."""
    return Rule(**{**fields, "tags": tuple(fields.get("tags", ()))})

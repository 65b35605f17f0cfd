"""Auto-categorization rules' patterns, without any infrastructure: a linear-time engine, so
no pattern can stall the process asking it."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.base import Actor, DomainError
from domain.ledger.rules import MAX_PATTERN, Rule, Rules, first_match

BY = Actor(uuid4(), "correlation-1")
ACCOUNT = uuid4()


def rule(pattern: str) -> Rule:
    return Rule(id=uuid4(), name="r", pattern=pattern, tags=("t",))


def matches(pattern: str, description: str, merchant: str | None = None) -> bool:
    return rule(pattern).matches(description, merchant, Decimal("-1"), ACCOUNT)


def test_patterns_that_backtrack_without_end_in_python_are_answered_correctly() -> None:
    # Python's re takes seconds on the first and minutes on the second: 2**n ways to fail.
    assert not matches("(a|a)*b", "a" * 24)
    assert matches("(a|a)*b", "a" * 24 + "b")
    assert not matches("(a|aa)*c", "a" * 500)
    assert matches("(a|aa)*c", "a" * 500 + "c")
    assert not matches("(a+)+$x", "a" * 500 + "!")
    assert matches("^(a+)+$", "a" * 500)


def test_patterns_match_without_regard_to_case_in_the_description_or_the_merchant() -> None:
    assert matches(r"^shell\b", "SHELL OIL 57444")
    assert matches("netflix|spotify", "PAYPAL *NETFLIX.COM")
    assert matches("CAFÉ", "Le café du coin")
    assert matches("^starbucks$", "SQ *1234", merchant="Starbucks")
    assert not matches(r"^shell\b", "SHELLFISH")


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        (r"(\w)\1", "escape"),  # a backreference
        (r"foo(?=bar)", "perl operator"),  # a lookaround
        ("([", "missing"),
        ("a" * (MAX_PATTERN + 1), f"up to {MAX_PATTERN}"),
        ("[^x]{1000}", "too large"),  # short to write, a program of thousands of steps
        (r"\pL{1000}", "too large"),
    ],
)
def test_a_pattern_the_engine_cannot_take_is_bad_input_naming_the_pattern(
    pattern: str, says: str
) -> None:
    with pytest.raises(DomainError) as refused:
        rule(pattern).check()
    assert (refused.value.status, refused.value.field) == (400, "pattern")
    assert says in refused.value.detail


def test_a_rule_saved_before_with_a_pattern_the_engine_cannot_take_matches_nothing() -> None:
    workspace_id = uuid4()
    rules = Rules.start(workspace_id, BY)
    # Saved when patterns were Python's: the event holds it, and it must load and be asked.
    python_only = rule(r"(o)\1")
    rules._trigger(Rules.Added, BY, rule=asdict(python_only), position=0)
    fallback = Rule(id=uuid4(), name="food", contains="food", tags=("food",))
    rules.add(fallback, None, BY)
    replayed = None
    for stored in rules.collect_events():
        replayed = stored.mutate(replayed)
    assert isinstance(replayed, Rules)
    assert [r.pattern for r in replayed.rules] == [r"(o)\1", None]
    found = first_match(replayed.rules, "FOOD MARKET", None, Decimal("-3"), ACCOUNT)
    assert found == fallback
    with pytest.raises(DomainError) as refused:
        replayed.change(python_only.id, {"name": "renamed"}, BY)
    assert (refused.value.status, refused.value.field) == (400, "pattern")
    fixed = replayed.change(python_only.id, {"pattern": "o{2}"}, BY)
    assert fixed.matches("FOOD", None, Decimal("-3"), ACCOUNT)

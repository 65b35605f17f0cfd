"""A log that holds every event class of the domain, with hostile text in every text field.

The event classes are found by introspection, so a new one is in the log without a change
here; its fields are filled from their annotations. Text is hostile (NUL, lone surrogates,
1 MB, right-to-left, emoji) wherever the domain takes free text; fields the domain holds to a
closed vocabulary (a currency code, a role) get a value of it, as no other can be stored.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import types
import typing
from collections import defaultdict
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper
from eventsourcing.utils import get_topic

import domain
from domain.base import Tracked, build_transcoder
from domain.budgeting import budget as budgets
from domain.budgeting.alerts import AlertTerms, Channel, ThresholdType
from domain.budgeting.periods import PeriodKind
from domain.ledger.exchange_rates import Rate
from domain.ledger.rules import Rule
from domain.ledger.transaction import SplitPart
from domain.workspaces.application import Workspaces
from infra import database
from infra.settings import Settings

MEGABYTE = 1_048_576
HOSTILE = {
    "nul": "before\x00after",
    "surrogate": "lone \ud800 and \udfff surrogates",
    "megabyte": ("a long line of text over and over; " * MEGABYTE)[: MEGABYTE - 3] + "éß€",
    "rtl": "\u202eRTL override \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u202c",
    "emoji": "\U0001f4b8 \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f3f3\ufe0f\u200d\U0001f308",  # noqa: E501
    "mixed": "\x00\ud83d\u202e\U0001f4b8\x1b[31m\x7f\ufeff",
}
# The domain refuses any other value for these: they are codes, not text.
CLOSED: dict[str, str | tuple[str, ...]] = {
    "currency": "EUR",
    "base_currency": "EUR",
    "quote": "USD",
    "kind": PeriodKind.MONTHLY.value,
    "role": "EDITOR",
    "type": "SAVINGS",  # an account type and a goal type
    "frequency": ("IMMEDIATE", "DAILY", "WEEKLY"),  # one a world, in turn
    "threshold_type": ThresholdType.PERCENT.value,
    "categorized_by": "user",
    "format": "csv",
    "week_start": "MONDAY",
    "timezone": "UTC",
    "status": "CONFIRMED",  # a risk review's
}
SMALL_INTS = {"threshold": 80, "level": 80, "size": 1024, "imported": 1}
# Aggregates whose events the others refer to come first.
FIRST = ("Installation", "User", "EmailAddress", "Session", "Workspace", "Account", "Categories")
WHEN = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
DAY = date(2026, 3, 14)


def event_classes() -> list[type[Tracked.Event]]:
    """Every concrete event class of every aggregate in ``domain``, creation events first."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)
    found: dict[str, type[Tracked.Event]] = {}
    stack: list[type] = [Tracked.Event]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        outer = aggregate_of(cls) if cls.__module__.startswith("domain.") else None
        # The aggregate's own class of that name: eventsourcing makes copies of inherited ones.
        if outer is not None and outer is not Tracked and getattr(outer, cls.__name__, None) is cls:
            found[f"{cls.__module__}:{cls.__qualname__}"] = cls
    return sorted((cls for cls in found.values() if _emitted(cls)), key=_order)


def _emitted(cls: type) -> bool:
    """Not the base ``Event``, nor the ``Created`` that eventsourcing gives an aggregate whose
    creation event has a name of its own (``Opened``)."""
    outer = aggregate_of(cls)
    assert outer is not None
    if cls.__name__ == "Event":
        return False
    if cls.__name__ == "Created":
        others = [
            value
            for name, value in vars(outer).items()
            if name != "Created"
            and isinstance(value, type)
            and issubclass(value, Aggregate.Created)
        ]
        return not others
    return True


def aggregate_of(cls: type) -> type[Aggregate] | None:
    if cls.__qualname__.count(".") != 1:
        return None
    outer = getattr(importlib.import_module(cls.__module__), cls.__qualname__.split(".")[0], None)
    return outer if isinstance(outer, type) and issubclass(outer, Aggregate) else None


def _order(cls: type) -> tuple[int, str, int, int]:
    aggregate = cls.__qualname__.split(".")[0]
    rank = FIRST.index(aggregate) if aggregate in FIRST else len(FIRST)
    outer = aggregate_of(cls)
    assert outer is not None
    names = list(vars(outer))
    # Created first, Deleted last, as an aggregate's life goes.
    created = 0 if issubclass(cls, Aggregate.Created) else 2 if cls.__name__ == "Deleted" else 1
    return rank, f"{cls.__module__}.{aggregate}", created, names.index(cls.__name__)


class World:
    """One workspace's worth of events, every text in them ``text``."""

    def __init__(self, text: str, number: int = 0) -> None:
        self.text = text
        self.number = number
        self.ids: defaultdict[str, UUID] = defaultdict(uuid4)
        self.ids["creator_id"] = self.ids["first_admin_id"] = self.ids["user_id"]
        self.versions: defaultdict[UUID, int] = defaultdict(int)

    def events(self) -> list[Any]:
        return [self.event(cls) for cls in event_classes()]

    def event(self, cls: type[Tracked.Event]) -> Any:
        aggregate = aggregate_of(cls)
        assert aggregate is not None
        originator_id = self.ids[_snake(aggregate.__name__) + "_id"]
        if issubclass(cls, Aggregate.Created) and self.versions[originator_id]:
            # A second way to create one (a user signs up, or a device registers): another.
            originator_id = self.ids[f"{cls.__qualname__}_id"]
        self.versions[originator_id] += 1
        fields: dict[str, Any] = {
            "originator_id": originator_id,
            "originator_version": self.versions[originator_id],
            "timestamp": WHEN,
            "workspace_id": self.ids["workspace_id"],
            "actor_id": self.ids["user_id"],
            # A request's id: a megabyte of it in every event would only make the log slow.
            "correlation_id": self.text if len(self.text) < MEGABYTE else "megabyte",
        }
        if issubclass(cls, Aggregate.Created):
            fields["originator_topic"] = get_topic(aggregate)
        hints = typing.get_type_hints(cls)
        for name, hint in hints.items():
            if name in fields or typing.get_origin(hint) is typing.ClassVar:
                continue
            fields[name] = self.value(cls, name, hint)
        if aggregate.__name__ == "Workspace" and "user_id" in fields:
            fields["user_id"] = self.ids["member_id"]  # the creator is a member already
        return cls(**fields)

    def value(self, cls: type, name: str, hint: Any) -> Any:
        if name in CLOSED and hint in (str, str | None):
            closed = CLOSED[name]
            return closed if isinstance(closed, str) else closed[self.number % len(closed)]
        if name == "channels":
            return (Channel.IN_APP.value,)
        if isinstance(hint, types.UnionType):  # X | None: always the X
            [hint] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        origin = typing.get_origin(hint)
        if origin is tuple:
            item = typing.get_args(hint)[0]
            if item is str:
                return (self.text,)
            if item is UUID:
                return (self.ids[name.removesuffix("s")],)
            return tuple(self.sample(cls, name))
        if origin is dict:
            return self.sample(cls, name)
        simple: dict[Any, Any] = {
            str: self.text,
            UUID: self.ids[name],
            Decimal: Decimal("12.34"),
            int: SMALL_INTS.get(name, 0),
            bool: True,
            datetime: WHEN,
            date: DAY,
            time: time(22, 45),
        }
        if hint not in simple:
            raise AssertionError(f"{cls.__qualname__}.{name}: no value for {hint}")
        return simple[hint]

    def sample(self, cls: type, name: str) -> Any:
        """A structured field as the domain writes it, with ``text`` in its text."""
        text, ids = self.text, self.ids
        key = f"{cls.__qualname__.split('.')[0]}.{name}"
        if key == "Budget.terms":
            terms = budgets.BudgetTerms(
                name=text,
                kind=PeriodKind.MONTHLY,
                start=date(2026, 3, 1),
                end=None,
                currency="EUR",
                amount=Decimal(100),
                category_ids=(ids["category_id"],),
                category_limits={ids["category_id"]: Decimal(50)},
            )
            return budgets._fields(terms)
        if key == "AlertRule.terms":
            return asdict(
                AlertTerms(
                    budget_id=ids["budget_id"],
                    threshold_type=ThresholdType.PERCENT,
                    threshold=Decimal(80),
                    channels=(Channel.IN_APP, Channel.EMAIL, Channel.WEBHOOK),
                    message=text,
                )
            )
        if key == "Rules.rule":
            return asdict(
                Rule(
                    id=ids["rule_id"],
                    name=text,
                    contains=text,
                    category_id=ids["category_id"],
                    tags=(text,),
                    merchant=text,
                )
            )
        if key == "Transaction.parts":
            return [asdict(SplitPart(ids["category_id"], Decimal("6.17"), text))] * 2
        if key == "RateSheet.rates":
            return [asdict(Rate(DAY, "EUR", "USD", Decimal("1.0842")))]
        if key == "Import.skipped":
            return [{"line": 1, "transaction_id": ids["transaction_id"], "reason": text}]
        if key == "Import.rejected":
            return [{"line": 2, "reason": text}]
        if key == "ImportProfile.settings":
            return {"delimiter": text, "columns": {text: text}, text: [text]}
        if key == "RiskReview.reasons":
            return [{"code": "NEW_MERCHANT", "weight": 20, "detail": text}]
        if key == "SpendingForecast.categories":
            return [
                {
                    "category_id": str(ids["category_id"]),
                    "amount": "12.34",
                    "average": "10.00",
                    "growth_rate": "2.5",
                    "trend": "UP",
                }
            ]
        if key == "SpendingForecast.history":
            return {"days": 90, "periods_analysed": 3, "average": "10.00", "first_month": text}
        if key == "Report.summary":
            return {
                "total_income": "10.00",
                "total_expenses": "12.34",
                "net": "-2.34",
                "transaction_count": 2,
                "expense_count": 1,
                "budget_amount": None,
                "budget_actual": None,
                "variance": None,
                "variance_percentage": None,
                "category_breakdown": [
                    {
                        "category_id": str(ids["category_id"]),
                        "category": text,
                        "amount": "12.34",
                        "percentage": "100.00",
                        "count": 1,
                    }
                ],
                "unconverted_currencies": [],
            }
        if key == "Report.budgets":
            return [
                {
                    "budget_id": str(ids["budget_id"]),
                    "budget": text,
                    "categories": [text],
                    "start_date": "2026-03-01",
                    "end_date": "2026-03-31",
                    "budgeted": "10.00",
                    "actual": "12.34",
                    "variance": "-2.34",
                    "variance_percentage": "-23.40",
                    "status": "OVER",
                }
            ]
        if key == "Report.top_merchants":
            return [{"merchant": text, "amount": "12.34", "count": 1, "percentage": "100.00"}]
        if key == "Report.monthly_trend":
            return [
                {
                    "month": "2026-03",
                    "start_date": "2026-03-01",
                    "end_date": "2026-03-31",
                    "income": "10.00",
                    "expenses": "12.34",
                    "net": "-2.34",
                }
            ]
        if key == "Report.insights":
            return [
                {
                    "type": "ANOMALY",
                    "title": text,
                    "description": text,
                    "impact": "LOW",
                    "amount": "12.34",
                }
            ]
        if key == "Report.charts":
            return {"monthly_trend": "0" * 64, "category_breakdown": "1" * 64}
        if key == "BucketMap.buckets":
            return {ids["category_id"].hex: "NEEDS"}
        if key == "ResearchRecord.data":
            return {"event": text, "context": {text: text}, "value": 1}
        raise AssertionError(f"{key}: add a sample of what the domain writes there")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def escaping_mapper() -> Mapper[UUID]:
    """The store's mapper, but writing JSON as ASCII, with escapes: so a lone surrogate can be
    stored, as a log written by an older encoder (or by hand) may hold one."""
    transcoder: JSONTranscoder = build_transcoder()
    transcoder.encoder = json.JSONEncoder(
        default=transcoder._encode_obj,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return Mapper(transcoder=transcoder)


def write_hostile_log(settings: Settings) -> dict[str, UUID]:
    """Appends one world per kind of hostile text; returns each kind's workspace id."""
    database.create_schema(settings)
    application = Workspaces(database.event_store_env(settings))
    mapper = escaping_mapper()
    try:
        workspaces = {}
        for number, (kind, text) in enumerate(HOSTILE.items()):
            world = World(text, number)
            for event in world.events():  # one at a time: a megabyte each is enough
                application.recorder.insert_events([mapper.to_stored_event(event)])
            workspaces[kind] = world.ids["workspace_id"]
        return workspaces
    finally:
        application.close()

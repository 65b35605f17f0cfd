"""Exchange rates a workspace was given (by command or a CSV upload): no network, ever."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain.base import Actor, DomainError, Tracked
from domain.money import check_currency

MAX_RATES = 10_000


@dataclass(frozen=True)
class Rate:
    """On ``date``, one unit of ``currency`` was worth ``rate`` units of ``quote``."""

    date: date
    currency: str
    quote: str
    rate: Decimal

    def check(self, field: str) -> None:
        check_currency(self.currency, field)
        check_currency(self.quote, field)
        if self.currency == self.quote:
            raise DomainError("a rate converts between two different currencies", field)
        if not self.rate.is_finite() or self.rate <= 0:
            raise DomainError("a rate is a positive number", field)
        exponent = self.rate.normalize().as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > 10:
            raise DomainError("a rate has at most 10 decimal places", field)


class RateSheet(Tracked):
    """One command's (or one file's) rates; a later sheet's rate for the same day wins."""

    class Recorded(Tracked.Created):
        rates: tuple[dict[str, Any], ...]

    @event(Recorded)
    def __init__(self, workspace_id: UUID, rates: tuple[dict[str, Any], ...]) -> None:
        self.workspace_id = workspace_id
        self.rates = tuple(Rate(**rate) for rate in rates)

    @classmethod
    def record(cls, sheet_id: UUID, workspace_id: UUID, rates: list[Rate], by: Actor) -> RateSheet:
        if not 1 <= len(rates) <= MAX_RATES:
            raise DomainError(f"send 1 to {MAX_RATES} rates at a time", "rates")
        for number, rate in enumerate(rates):
            rate.check(f"rates[{number}]")
        return cls._create(
            cls.Recorded,
            id=sheet_id,
            workspace_id=workspace_id,
            actor_id=by.actor_id,
            correlation_id=by.correlation_id,
            rates=tuple(asdict(rate) for rate in rates),
        )

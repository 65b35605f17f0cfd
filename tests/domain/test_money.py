"""How amounts are checked and written: minor units for what is typed, never rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.base import DomainError
from domain.money import check_amount, in_minor_units, money_text


@pytest.mark.parametrize(
    ("amount", "currency", "written"),
    [
        ("84.1", "EUR", "84.10"),
        ("-00000000001500.0000", "USD", "-1500.00"),
        ("+00000000000115.8331", "USD", "115.8331"),
        ("-197.1220", "USD", "-197.122"),
        ("1500", "JPY", "1500"),
        ("0.00000001", "USD", "0.00000001"),
        ("-0.00", "USD", "0.00"),
    ],
)
def test_an_amount_is_written_in_minor_units_with_every_finer_decimal_it_has(
    amount: str, currency: str, written: str
) -> None:
    assert money_text(Decimal(amount), currency) == written
    assert in_minor_units(Decimal(amount), currency) == Decimal(amount)


def test_an_absurdly_long_statement_amount_is_written_not_crashed_on() -> None:
    long = Decimal("9" * 40)
    assert in_minor_units(long, "USD") == long
    with pytest.raises(DomainError, match="less than"):
        check_amount(long, "USD", places=8)


def test_places_widen_the_minor_unit_and_never_narrow_it() -> None:
    check_amount(Decimal("1.5"), "EUR", places=0)
    check_amount(Decimal("115.8331"), "USD", places=8)
    with pytest.raises(DomainError, match="USD has 2 decimal places"):
        check_amount(Decimal("115.8331"), "USD")

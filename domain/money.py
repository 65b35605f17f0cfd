"""Currencies (ISO 4217) and exact amounts in them."""

from __future__ import annotations

from decimal import Context, Decimal

from domain.base import DomainError

# Minor units of the active ISO 4217 currencies; codes not listed have two.
_MINOR_UNITS = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "UYW": 4,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a table of codes reads better than 170 lines
)


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def check_currency(currency: str, field: str = "currency") -> None:
    if currency not in CURRENCIES:
        raise DomainError(f"{currency!r} is not an ISO 4217 currency code", field)


# What a statement line may carry: money-market and brokerage accounts report amounts finer
# than the currency's minor unit (USD 115.8331), and an import keeps them exactly. The minor
# unit bounds what people type.
IMPORTED_PLACES = 8
# 15 digits before the point, as the API takes them: sums of many such amounts with their 8
# decimals still fit the 28 digits Python's Decimal adds exactly.
MAX_AMOUNT = Decimal(10) ** 15


def decimal_places(amount: Decimal) -> int:
    """The decimals an amount needs: ``-5.7500`` needs 2, ``1500`` none."""
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return max(0, -exponent)


def check_amount(
    amount: Decimal, currency: str, field: str = "amount", places: int | None = None
) -> None:
    """An amount must be finite and have no more decimals than its currency has minor units
    (or than ``places``, where more may be kept: an imported amount, or a part of one)."""
    check_currency(currency)
    if not amount.is_finite():
        raise DomainError("amount must be a finite number", field)
    if abs(amount) >= MAX_AMOUNT:
        raise DomainError(f"an amount is less than {MAX_AMOUNT:,} in size", field)
    allowed = minor_units(currency) if places is None else max(places, minor_units(currency))
    if decimal_places(amount) <= allowed:
        return
    if allowed == minor_units(currency):
        raise DomainError(f"{currency} has {allowed} decimal places; {amount:f} has more", field)
    raise DomainError(f"up to {allowed} decimal places are kept; {amount:f} has more", field)


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``84.1`` EUR is written ``84.10``, ``-1500.0000`` is ``-1500.00``; decimals past the
    minor unit stay where the amount has them (``115.8331``), never rounded."""
    if not amount.is_finite():
        return amount
    if amount.is_zero():
        amount = abs(amount)  # a sum that came to -0.00 is 0.00
    places = minor_units(currency) if currency in CURRENCIES else 2
    if decimal_places(amount) <= places:
        # Wide enough for any amount, so a statement's absurd one is refused, not a crash here.
        wide = Context(prec=len(amount.as_tuple().digits) + places + 1)
        return amount.quantize(Decimal(1).scaleb(-places), context=wide)
    return amount.normalize()


def money_text(amount: Decimal, currency: str) -> str:
    """An amount on the wire: every decimal it has, at least the currency's minor units, and
    never an exponent (``0.00000001``, not ``1E-8``)."""
    return f"{in_minor_units(amount, currency):f}"

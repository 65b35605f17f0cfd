"""Currencies (ISO 4217) and exact amounts in them."""

from __future__ import annotations

from decimal import Decimal

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


def check_amount(amount: Decimal, currency: str, field: str = "amount") -> None:
    """An amount must be finite and have no more decimals than its currency has minor units."""
    check_currency(currency)
    if not amount.is_finite():
        raise DomainError("amount must be a finite number", field)
    exponent = amount.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if -exponent > minor_units(currency):
        raise DomainError(
            f"{currency} has {minor_units(currency)} decimal places; {amount} has more", field
        )


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``84.1`` EUR is written ``84.10``; an amount with more decimals than the currency has is
    left for ``check_amount`` to refuse, never rounded."""
    exponent = amount.as_tuple().exponent
    places = minor_units(currency) if currency in CURRENCIES else 2
    if amount.is_finite() and isinstance(exponent, int) and -exponent < places:
        return amount.quantize(Decimal(1).scaleb(-places))
    return amount

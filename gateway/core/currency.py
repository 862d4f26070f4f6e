"""ISO 4217: which codes exist and how many minor units each has.

Kantata carries `currency_base_unit` on invoices but not on line items, and Kitchen sends
plain JSON numbers, so exact money needs the minor units of the code itself.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS "
    "KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN "
    "MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD "
    "SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
    "UAH USD USN UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_units(code: str) -> int:
    """Minor units of `code`; an unknown code is treated as having two, the common case."""
    return MINOR_UNITS.get(code, 2)


def quantize(amount: Decimal, code: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(code)), rounding=ROUND_HALF_UP)


def pad(amount: Decimal, code: str) -> Decimal:
    """`amount` written with the currency's minor units (`182.5` -> `182.50`), never rounded:
    an amount finer than the minor unit keeps its digits."""
    places = minor_units(code)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -places:
        return amount.quantize(Decimal(1).scaleb(-places))
    return amount


def plain(value: Decimal, places: int) -> Decimal:
    """`value` rounded to at most `places` decimals, trailing zeros dropped, never written
    in exponent form (600 minutes is `10` hours, not `1E+1`)."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return rounded.quantize(Decimal(1))
    return rounded.normalize()


def from_minor(value: int, code: str, base_unit: int | None = None) -> Decimal:
    """An integer amount in minor units (Kantata's `*_in_cents`) as an exact decimal.

    `base_unit` is how many minor units make one major unit when the vendor says so
    (Kantata's `currency_base_unit`); it wins over the table.
    """
    unit = base_unit or 10 ** minor_units(code)
    digits = len(str(unit)) - 1
    if unit == 10**digits:
        return Decimal(value).scaleb(-digits)
    return Decimal(value) / Decimal(unit)

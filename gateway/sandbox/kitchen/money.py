"""Kitchen's invoice arithmetic, in exact decimals.

The rules are read off the seed page's example response, which is self-consistent:

    amount          = sum(item.quantity x item.amount)         (item amount = unit price)
    discount_amount = sum(percentage: amount% of `amount`; fixed: the amount)
    tax_amount      = sum(tax_item.amount% of (amount - discount_amount))
    total_amount    = amount - discount_amount + tax_amount

e.g. 675.65 with a 50.54% discount = 341.47; 46.3% tax on 334.18 = 154.73; total 488.91.
Each discount and each tax line is rounded half-up to the currency's minor unit before
summing [guess: per-line rounding; the example has one of each so it cannot tell].
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from gateway.sandbox.kitchen.models import Invoice

# The currencies the emulator accepts, with their minor units [guess: a common subset of
# ISO 4217, roughly what card processors settle in; anything else is a 422].
_TWO = "AED AUD BGN BRL CAD CHF CNY CZK DKK EUR GBP HKD HUF ILS INR MXN MYR NOK NZD PHP PLN RON"
CURRENCIES: dict[str, int] = {
    **{code: 2 for code in (*_TWO.split(), "SEK", "SGD", "THB", "TRY", "USD", "ZAR")},
    **{code: 0 for code in ("JPY", "KRW", "ISK", "CLP", "VND")},
    **{code: 3 for code in ("BHD", "KWD", "OMR", "JOD")},
}

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def quantize(value: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit."""
    return value.quantize(Decimal(1).scaleb(-CURRENCIES.get(currency, 2)), ROUND_HALF_UP)


def quantity(value: Decimal) -> Decimal:
    """Item quantities are kept with exactly two decimals ("1.00")."""
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    amount: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    total_amount: Decimal


def totals(invoice: Invoice) -> Totals:
    cur = invoice.currency
    if invoice.is_external and invoice.grand_total is not None:
        # [guess] an external invoice carries only its grand total, without lines.
        grand = quantize(invoice.grand_total, cur)
        return Totals(grand, quantize(ZERO, cur), quantize(ZERO, cur), grand)
    amount = quantize(sum((i.quantity * i.amount for i in invoice.items), ZERO), cur)
    discount = ZERO
    for d in invoice.discounts:
        line = amount * d.amount / HUNDRED if d.type == "percentage" else d.amount
        discount += quantize(line, cur)
    # [guess] discounts never take the invoice below zero.
    discount = min(discount, amount)
    base = amount - discount
    tax = sum((quantize(base * t.amount / HUNDRED, cur) for t in invoice.tax_items), ZERO)
    return Totals(
        amount=amount,
        discount_amount=quantize(discount, cur),
        tax_amount=quantize(tax, cur),
        total_amount=quantize(base + tax, cur),
    )

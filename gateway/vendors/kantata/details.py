"""What a Kantata invoice has beyond the neutral fields (`Invoice.details`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class KantataDetails:
    draft: bool
    purchase_order: str | None
    project_code: str | None
    tax_rate: Decimal | None
    external_reference_ids: tuple[str, ...] | None
    # The line item `*_ids` lists the answer left out (all of them when none was asked
    # for): while any is missing, `Invoice.line_item_ids` is None, never a partial list.
    unlisted: tuple[str, ...] = ()

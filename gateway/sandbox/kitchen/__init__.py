"""An emulator of the Kitchen.co invoice REST API: the project's Kitchen sandbox.

`create_kitchen_emulator()` returns a fresh, independent emulator (in-memory state, seed
data from `seed.py`) wrapped in `ControlledApp`, so it also serves `/_control/` (request
log, fault injection, reset, settings). The real base URL `https://{workspace}.kitchen.co/api`
becomes `<emulator root>/{workspace}/api`; the gateway mounts the emulator at
`/sandbox/kitchen`. Workspaces: `demo` (key `SANDBOX_API_KEY`, read-only key
`READONLY_API_KEY`) and `acme` (key `ACME_API_KEY`); keys are per workspace.

Endpoints: `GET|POST /api/invoices`, `GET|PUT|PATCH|DELETE /api/invoices/{id}`,
`POST /api/invoices/{id}/archive`,
`GET /api/clients`, `GET /api/clients/{id}`, `GET /api/members`, `GET /api/members/{id}`.
Lists use Laravel's paginator; single resources are unwrapped; invoices accept
`expand[]=client|creator|billing_profile` on GET (single and list), PUT, PATCH and POST.

Settings (`GET`/`PATCH /_control/settings`):
- `honour_expand` (default `true`): when `false`, `expand[]` is ignored and `client`,
  `creator` and `billing_profile` stay ID strings.
- `line_currency` (default `true`): when `false`, items, discounts and tax items are
  answered without their `currency` (only unofficial clients show it there).
- `same_second_updated_at` (default `false`): `updated_at` is the write's second, so two
  writes in one second share it (nothing in Kitchen's docs promises it rises).
- `ignore_unknown_list_params` (default `false`): `GET /api/invoices` ignores `status` and
  `number` (no filtering, no validation), as a Laravel app does with parameters it does
  not know; Kitchen documents only `state` for its list.
- `per_page_max` (default `100`): a larger `per_page` is served as this (a clamp).
- `ignore_per_page` (default `false`): every list serves Laravel's default 15 per page,
  whatever `per_page` says (Kitchen's current docs list no paging parameters).
  In every case `meta` says what was served (`per_page`, `from`, `to`, `last_page`), as
  Laravel's paginator does.

Behaviour the vendor does not document, chosen here and easy to change ([guess]); each
module's docstring has the details:
- Unknown workspace: 404 `{"message": "Workspace [x] not found."}`, checked before the key.
- Order of checks: workspace 404, key 401 (`Bearer ` is case-sensitive, as in Laravel),
  read-only key on a write 403, resource 404, validation 422, then the status lock 422.
  Unknown routes: 404 "The route api/... could not be found." before auth; a wrong method:
  405 "The DELETE method is not supported for route api/invoices. Supported methods: ...".
  `PATCH /api/invoices/{id}` is an alias of PUT (Laravel's `apiResource`).
- A missing record: 404 `No query results for model [App\\Models\\Invoice] <id>` (or
  `User`); a member's ID through `/clients/{id}` (and a client's through `/members`) is 404.
- Clients that do not expect JSON (neither `X-Requested-With: XMLHttpRequest` nor a JSON
  `Accept`) get Laravel's browser answers for errors: 302 to `/login` (401) or "back"
  (422), HTML pages otherwise. Successes are always JSON (`laravel.py`).
- A body is read only with a JSON `Content-Type`; malformed JSON or a non-object reads as
  no input, so a malformed PUT is a 200 no-op (Laravel's `Request::json()`).
- Input is cleaned as by Laravel's TrimStrings and ConvertEmptyStringsToNull middleware.
- 422: one message per field (its first failing rule), fields in the seed page's order;
  messages are Laravel's English ones (`rules.py`, `validate.py`). Numbers: JSON numbers or
  numeric strings, |x| < 10^12. Dates: ISO 8601 (date or datetime; no offset means UTC),
  stored in UTC. Amounts >= 0; percentages (percentage discounts, tax items) 0-100 and kept
  as sent; item quantity > 0, default 1, kept with 2 decimals; unit prices and fixed
  discounts rounded half-up to the currency's minor unit on input. A line's `currency` is
  optional and, if sent, must be the invoice's (new) currency. `payment_gateways` must be
  distinct. `currency` must be in `money.CURRENCIES` (uppercase).
- Read-only and unknown keys in a PUT body are ignored. `folder` is validated, not stored.
  `grand_total` is ignored unless the invoice is external; it then is the amount and the
  total, with no lines, discounts or taxes counted.
- Paid and void invoices cannot be updated: 422 `{"errors": {"status": ["A paid invoice
  cannot be updated."]}}`. Draft, open and uncollectible invoices can. (The seed page's
  example answer shows `status: paid`, which suggests Kitchen may allow it; flip
  `store.LOCKED`.)
- `items`, `discounts` and `tax_items` each replace the whole list, with new IDs.
- Changing `currency` relabels kept amounts (re-rounded to the new minor unit, no
  conversion).
- Money (`money.py`): each discount and tax line rounded half-up, then summed; the discount
  is capped at the amount. Money renders as JSON numbers without trailing zeros, like PHP
  floats (`46.3`, `1250`); quantities as strings (`"2.50"`).
- `due_date` = 23:59:59 UTC on issue date + `due_date_in_days`, null when either is null;
  `due_reminder_send_date` = midnight of the due day + `due_reminder_send_days` (may be
  negative).
- `updated_at` has whole seconds and strictly increases on every successful PUT (a second
  past the previous value when the clock has not moved on); failed PUTs leave it.
- Lists: invoices newest first, `state` default `active` (not archived), an unknown state
  422; users oldest first, `name`/`email` case-insensitive substring filters.
- [guess] Invoice list filters Kitchen does not document (it has `page`, `per_page`, `state`):
  `status` (draft, open, paid, void, uncollectible) and `number`, each an exact,
  case-sensitive match, combined with `state`, paging and `expand[]`. Both are trimmed
  and an empty value means no filter (Laravel's input middleware and a `nullable` rule);
  an unknown status is a 422 on `status` ("The selected status is invalid."), reported
  after `state` when both are wrong. The last of repeated parameters wins. Paging
  (`listing.py`): 15 per page by default, at most 100 (larger values clamp), bad values
  mean the default; links keep the other query parameters.
- `expand[]=x` and the indexed `expand[0]=x` (PHP reads both as arrays) expand; plain
  `expand=x` and unknown names are ignored. Billing profile objects have invented keys.
- POST: every parameter optional; a draft numbered `<prefix>-<next>` (e.g. FP-00019), in the
  workspace's currency, issued today, due in 30 days, created by the workspace owner; 201.
- DELETE: drafts only (else 422 with `errors.status`); 204 with no body.
- 429 only under the control switch `rate_limit_per_second` (gateway/sandbox/throttle.py),
  as Laravel's throttle answers: `{"message": "Too Many Attempts."}` with `Retry-After`
  (whole seconds until the token may send again) and `X-RateLimit-Limit`/`-Remaining`; and
  from fault injection.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response

from gateway.sandbox.control import Control, ControlledApp
from gateway.sandbox.kitchen.app import create_app
from gateway.sandbox.kitchen.seed import (
    ACME_API_KEY,
    ACME_WORKSPACE,
    READONLY_API_KEY,
    SANDBOX_API_KEY,
    SANDBOX_WORKSPACE,
)
from gateway.sandbox.kitchen.store import KitchenStore

__all__ = [
    "ACME_API_KEY",
    "ACME_WORKSPACE",
    "DEFAULT_SETTINGS",
    "READONLY_API_KEY",
    "SANDBOX_API_KEY",
    "SANDBOX_WORKSPACE",
    "create_kitchen_emulator",
]

DEFAULT_SETTINGS: dict[str, object] = {
    "honour_expand": True,
    # Quirks within what Kitchen documents (see above); off by default.
    "line_currency": True,
    "same_second_updated_at": False,
    # List quirks a Laravel app may well have (see above); off by default.
    "ignore_unknown_list_params": False,
    "per_page_max": 100,
    "ignore_per_page": False,
}


def _rate_limited(control: Control) -> Callable[[float], Response]:
    def answer(wait: float) -> Response:
        limit = control.settings.get("rate_limit_per_second", 0)
        headers = {
            "Retry-After": str(max(1, math.ceil(wait))),
            "X-RateLimit-Limit": f"{limit:g}",
            "X-RateLimit-Remaining": "0",
        }
        return JSONResponse({"message": "Too Many Attempts."}, status_code=429, headers=headers)

    return answer


def _now() -> datetime:
    return datetime.now(UTC)


def create_kitchen_emulator(
    *, clock: Callable[[], datetime] = _now, quirks: Mapping[str, Any] | None = None
) -> ControlledApp:
    """A fresh Kitchen emulator with its own seed data, wrapped in the control surface;
    `quirks` are settings it starts with (see above)."""
    control = Control()
    store = KitchenStore(clock, control.settings)
    return ControlledApp(
        create_app(store, control),
        control,
        store.reset,
        DEFAULT_SETTINGS,
        quirks=quirks,
        rate_limited=_rate_limited(control),
    )

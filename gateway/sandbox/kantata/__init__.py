"""An in-memory emulator of the Kantata OX (formerly Mavenlink) REST API v1.

`create_kantata_emulator()` returns a fresh instance (own seeded state: 63 invoices, see
`seed.py` for the anchors and `history.py` for the generated ones) wrapped in
`gateway.sandbox.control.ControlledApp`. Its routes live under `/api/v1/...`; every path
also answers with a `.json` suffix. Mount it anywhere (e.g.
`Mount("/sandbox/kantata", app)`): routing never builds absolute URLs.

Tokens (`Authorization: Bearer ...`): `SANDBOX_TOKEN` acts as user "7" with full access;
`READONLY_TOKEN` acts as user "10" and may only read.

Endpoints: `GET /invoices`, `/users`, `/workspaces`, `/time_entries`, `/expenses`,
`/billing_milestones` and `GET /<those>/{id}`; `GET /users/me`; `POST /invoices`,
`PUT /invoices/{id}`, `DELETE /invoices/{id}`, `PUT /invoices/{id}/cancel`.
Settings (`/_control/settings`, or `GATEWAY_SANDBOX_QUIRKS` at start): `latency_ms`
(default 0) delays every API request. Quirks Kantata's documentation allows, all off by
default so the sandbox stays friendly:
- `omit_id_lists` (list, default `[]`): these `*_ids` keys (`"expense_ids"`, ...) are left
  out of every answer even when their include was asked for, as brainstem does for an
  association restricted on the account.
- `line_currency` (default `true`): `false` answers billable records (time entries,
  expenses, milestones, fixed fee and additional items, time adjustments) without
  `currency`, `currency_symbol` and `currency_base_unit`.
- `same_second_updated_at` (default `false`): timestamps have whole seconds and two writes
  in one second share their `updated_at`.
- `per_page_max` (default `200`): index endpoints serve at most this many per page (a
  larger `per_page` is clamped, as brainstem clamps to its `max_per_page`).
- `ignore_per_page` (default `false`): index endpoints serve the default 20 per page,
  whatever `per_page` says.
- `ignore_updated_after` (default `false`): `GET /invoices` ignores `updated_after` (it is
  not in the invoice docs; Kantata's own connector sends it [code]).
  In every case `meta` says what was served (`page_size`, `page_count`), as brainstem does.

Time adjustments (`/time_adjustments`, include `time_adjustments` with
`time_adjustment_ids`) are the sixth billable kind [code: the client gem]; they count for
the last-line rule and the balance, and PUT ignores `time_adjustment_ids`.

Behaviour the vendor does not document, chosen here [guess]:

- 403 for the read-only token on any write has `type: "oauth"`; it is checked before the
  route, so it wins over 404 and 400. Malformed JSON or a body without the `invoice`
  object is 400 `type: "system"`. 404 (missing record or unknown route) is `type: "system"`;
  a path ID that is not digits is an unknown route.
- 429 only under the control switch `rate_limit_per_second` (gateway/sandbox/throttle.py),
  and from fault injection: `type: "system"`, "retry after a small delay" in the message,
  and no header saying how long, as Kantata documents none.
- Pagination: `per_page` above 200 is served as 200 (`meta.page_size` shows 200); a `page`
  or `per_page` that is not a positive integer means the default. A page past the end is
  empty; `page_number` is the page asked for, 0 when nothing matches [code: brainstem].
  Single-record answers have `meta` `{count 1, page_count 1, page_number 1,
  page_size 20}`. With `only=`, `page_size` is `max(per_page, count)`; `only=` with no
  numeric token returns nothing (it is still a filter).
- Sort orders: invoices take `order=<name>:<direction>` as brainstem does [code]: names
  `invoice_date`, `created_at`, `updated_at`, `id` [guess]; `desc`, anything else
  ascending; an unknown or missing name means the default `invoice_date:desc` [guess].
  Ties: by ID in the same direction for `invoice_date` [guess], else by ascending ID,
  brainstem's primary-key fallback [code]. Other endpoints ignore `order`: time entries
  and expenses by date newest first, then ID descending; users, workspaces and billing
  milestones by ascending ID. `*_ids` arrays are in ascending ID order.
- `GET /invoices` takes `created_after` and `created_before` [doc] and `updated_after`
  (the same, on `updated_at`) [code: Kantata's Workato connector sends it]: strictly after
  / before an ISO 8601 instant (one without an offset is UTC, a bare date is midnight, an
  empty value is no filter). Anything else is 400 `type: "validation"` with `field` the
  parameter, even beside `only`. Filters run before pagination (`count`, `page_count` are
  the filtered set's) and intersect with `only`. The other index endpoints take no filters
  besides `only` (unknown ones ignored).
- Includes beyond the invoice's: time entries and expenses `user`, `workspace`; billing
  milestones `workspace`; workspaces `creator` (all into their type maps, no `*_ids`).
- Timestamps are UTC (`+00:00`); `updated_at` strictly increases (microseconds are added
  when two writes fall in the same instant).
- `balance_in_cents`: time entries (minutes x hourly rate / 60, rounded half up per entry)
  + expenses + billing milestones + fixed fee items + additional items, plus `tax_rate`
  percent of the taxable fixed fee and additional items (rounded half up); 0 when the
  status is "accepted payment" or "cancelled". Nothing else is taxable. `tax_rate` is a
  JSON number.
- PUT reads only the seed page's fields; anything else (`status`, `due_date`, `tax_rate`,
  `currency`, `recipient_id`, `workspace_ids`, `fixed_fee_items`, ...) is silently ignored,
  as Rails strong parameters do. `user_invoice_number` must be a JSON integer >= 1
  (`"12"`, `1.5`, `true` are 422); numbers need not be unique. `payment_schedule` a JSON
  integer >= 0. `invoice_date` exactly `YYYY-MM-DD`. `draft` a JSON boolean. Text fields a
  string or null. `draft` may go back to true.
- Billable IDs (JSON integers or digit strings; repeats ignored) must exist, be on no other
  invoice (a cancelled one included), lie in one of the invoice's `workspace_ids`, share its
  currency and be billable (`billable` / `is_billable`); otherwise 422 with one error per ID
  naming the field. Adding records never changes the invoice's workspaces.
- The last-line rule is 422 with `field: "base"`; it is only checked when every field is
  otherwise valid. All 422s list every problem found; nothing is applied.
- A cancelled invoice cannot be updated: PUT answers 422 `field: "status"`.
- `external_reference`: missing or empty `service_name`/`service_model`/`service_model_ref`
  is 422 with `field: "external_reference.<name>"`; `status` must be successful, pending,
  failed or null. The reference with the same `service_name` on this invoice is updated
  (optional keys not sent are left as they were), else one is created (`status` null,
  `locked` false unless sent). References have `subject_type` "Invoice" and `subject_id`.
- `POST /invoices` (200, envelope) needs `workspace_ids` (existing, one currency) and at
  least one time entry, expense or billing milestone; it takes the same fields as PUT.
  Defaults: draft true, status "new", today's date, payment_schedule 30, tax_rate 0,
  number = highest + 1, currency from the workspaces, recipient = first workspace's client
  lead, user = the token's user. Fixed fee and additional items cannot be created.
- `DELETE /invoices/{id}` (drafts only, else 422 `field: "draft"`) answers 204; its time
  entries, expenses and milestones become unbilled, its items and references go.
- `PUT /invoices/{id}/cancel` sets status "cancelled" (drafts too); already cancelled or
  paid ("accepted payment") is 422 `field: "status"`. Its records stay on it.
- Drafts have status "new".
"""

from gateway.sandbox.kantata.app import create_kantata_emulator
from gateway.sandbox.kantata.auth import READONLY_TOKEN, SANDBOX_TOKEN

__all__ = ["READONLY_TOKEN", "SANDBOX_TOKEN", "create_kantata_emulator"]

"""Why a request was refused before it ran: a fixed set of reasons, each counted once per
refused request in `gateway_refusals_total{reason}` (gateway/ops/metrics.py).

Every place at the door that answers instead of the GraphQL engine names its reason to a
`RefusalCounter` it is given: the guard's middlewares, the idempotency middleware, the
store-outage answer and the view (gateway/http/), and the server's own answers
(gateway/http/serving.py), which find the app's counter in the ASGI lifespan state under
`STATE_KEY`, the one way an app can hand the server something. Document limits are
request errors of the schema: the app's observer counts them (`LIMIT_EXCEEDED`).

The label's values are this enum's, so callers never choose one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Protocol


class Refusal(enum.Enum):
    """A reason, as the label value; the comment says the answer the caller gets."""

    UNAUTHENTICATED = "unauthenticated"  # 401 UNAUTHENTICATED: no valid API key
    CSRF = "csrf"  # 400 CSRF_BLOCKED: no sign of a CORS preflight
    RATE_LIMITED = "rate_limited"  # 429 RATE_LIMITED
    BODY_TOO_LARGE = "body_too_large"  # 413 PAYLOAD_TOO_LARGE (GATEWAY_MAX_BODY_BYTES)
    VARIABLES_TOO_LARGE = "variables_too_large"  # 413 LIMIT_EXCEEDED (..._VARIABLES_BYTES)
    LIMIT_EXCEEDED = "limit_exceeded"  # a request error LIMIT_EXCEEDED: the document limits
    BAD_REQUEST = "bad_request"  # 400 BAD_REQUEST: not JSON, not a GraphQL request
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405: not GET or POST; a mutation over GET
    NOT_ACCEPTABLE = "not_acceptable"  # 406: Accept allows no type GraphQL is served as
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"  # 415: a POST body not JSON
    PERSISTED_QUERY_NOT_FOUND = "persisted_query_not_found"  # APQ: hash unknown, send query
    PERSISTED_QUERY_INVALID = "persisted_query_invalid"  # APQ: bad version, hash mismatch
    PERSISTED_QUERY_TOO_LARGE = "persisted_query_too_large"  # APQ: over GATEWAY_APQ_MAX_BYTES
    PERSISTED_QUERY_ONLY = "persisted_query_only"  # not registered (PERSISTED_QUERIES_ONLY)
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"  # 400: not 1-255 printable chars
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # 422: the key with another body
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency_key_in_flight"  # 409: its first still runs
    STORE_UNAVAILABLE = "store_unavailable"  # 503: Redis, needed, does not answer
    OVERLOADED = "overloaded"  # 503 from the server: over GATEWAY_LIMIT_CONCURRENCY
    HEADER_TIMEOUT = "header_timeout"  # 408 from the server: head not sent in time
    HEADER_TOO_LARGE = "header_too_large"  # 431 from the server: head over 64 KiB


class RefusalCounter(Protocol):
    def refused(self, reason: Refusal) -> None: ...


class _Uncounted:
    def refused(self, reason: Refusal) -> None:
        pass


UNCOUNTED: RefusalCounter = _Uncounted()

# Where the app's lifespan puts its counter for the server (gateway/app.py).
STATE_KEY = "gateway_refusals"


def counter_in(state: Mapping[str, Any]) -> RefusalCounter:
    """The counter an app's lifespan handed the server, or one that counts nothing."""
    counter = state.get(STATE_KEY)
    return counter if counter is not None else UNCOUNTED

"""The request body limit: 413 for a body over `Limits.max_body_bytes`, told by its
Content-Length when it has one and by counting the bytes as they arrive either way (a
chunked body, or a Content-Length that lies). Applied at the door (gateway/http/edge.py),
which reads the body once and hands it on."""

from __future__ import annotations

from starlette.responses import Response

from gateway.http.errors import error_response
from gateway.ops.refusals import Refusal, RefusalCounter


def refuse_body(max_body_bytes: int, refusals: RefusalCounter) -> Response:
    """The answer to a body over the limit, counted as a refusal."""
    refusals.refused(Refusal.BODY_TOO_LARGE)
    message = f"The request body is larger than {max_body_bytes} bytes"
    # Connection: close, so the server does not try to read the rest of the body.
    return error_response(413, message, "PAYLOAD_TOO_LARGE", headers={"Connection": "close"})

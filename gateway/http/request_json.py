"""A caller's JSON (a request body, or a GET's `variables`/`extensions`), read strictly and
within bounds: every way it can be malformed is one exception, `MalformedJson`, whose
reason the view answers as `400 BAD_REQUEST` (gateway/http/view.py).

What `json.loads` alone lets through or raises, and what this reader does instead:

- bytes that are not UTF-8 (json.loads would also guess UTF-16 and UTF-32): refused;
- nesting deeper than `MAX_NESTING` (json.loads raises RecursionError near 1,000, and
  anything the gateway does with a value nested a few hundred deep may do the same):
  refused;
- an integer past Python's limit of 4,300 digits (json.loads raises a bare ValueError):
  refused;
- `NaN`, `Infinity` and `-Infinity`, which are not JSON: refused;
- an escaped lone surrogate (`"\\ud800"`), which no UTF-8 answer can carry back: refused.

Numbers are read as json.loads reads them: an integer of any size up to that limit stays
an exact int (an amount past 64 bits keeps every digit), a number with a fraction or an
exponent is a float, as the GraphQL scalars expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Deep enough for any GraphQL request (an input nests a few levels per list or object),
# shallow enough that nothing downstream recurses anywhere near Python's limit.
MAX_NESTING = 64

# An escaped UTF-16 surrogate, the only way a lone one gets into a parsed string.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedJson(ValueError):
    """Why the text is not a JSON value the gateway accepts (safe to show the caller)."""


def _constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not a JSON number")


def loads(
    data: bytes | str,
    *,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], dict[str, Any]] | None = None,
) -> Any:
    """The JSON value of `data`, or MalformedJson saying why not. `object_pairs_hook` builds
    each object from its pairs, as json.loads's does (it sees a repeated key)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedJson("it is not UTF-8 text") from None
        raw = data
    else:
        text, raw = data, data.encode("utf-8", "surrogatepass")
    try:
        value = json.loads(text, parse_constant=_constant, object_pairs_hook=object_pairs_hook)
    except MalformedJson:
        raise
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise MalformedJson(f"it nests deeper than {MAX_NESTING} levels") from None
    except ValueError:  # int(): "Exceeds the limit (4300 digits) for integer string ..."
        raise MalformedJson("it holds an integer with too many digits") from None
    # Only a body that could break a rule is walked: one with more brackets than the
    # nesting limit, or with an escaped surrogate (a valid pair is one too).
    deep = raw.count(b"[") + raw.count(b"{") > MAX_NESTING
    surrogates = _SURROGATE_ESCAPE.search(raw) is not None
    if deep or surrogates:
        _check(value, surrogates)
    return value


def _check(value: Any, surrogates: bool) -> None:
    """Walk `value` without recursion: no container deeper than MAX_NESTING, and (when
    `surrogates`) no string or key holding a lone surrogate."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
            if surrogates:
                for key in item:
                    _check_text(key)
        elif isinstance(item, list):
            children = item
        else:
            if surrogates and isinstance(item, str):
                _check_text(item)
            continue
        if depth >= MAX_NESTING:
            raise MalformedJson(f"it nests deeper than {MAX_NESTING} levels")
        pending.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    if not text.isascii() and _SURROGATE.search(text):
        # A valid pair was joined into one character by the parser; what is left is alone.
        raise MalformedJson("it holds a lone UTF-16 surrogate escape (such as \\ud800)")

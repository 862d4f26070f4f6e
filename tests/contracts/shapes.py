"""The shape of a JSON answer: its keys at every level and the JSON type of every value.

Values are not compared (the documented examples and the sandbox hold different data);
an array is compared through its first element, and an empty one says nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

ANY = "any"  # in `extra`: the documented objects at this path are abbreviated


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {value!r}")


def differences(
    documented: Any,
    answer: Any,
    *,
    id_maps: Mapping[str, Mapping[str, Any] | None] | None = None,
    extra: Mapping[str, Mapping[str, str] | str] | None = None,
) -> list[str]:
    """Where `answer` is not shaped like `documented`, one line per difference, sorted.

    `id_maps` names Kantata's type maps (`$.invoices`): objects keyed by string IDs whose
    records carry that same `id`; each record is compared with the documented one (None:
    the documentation shows no record). `extra` names the undocumented keys an object may
    have, with the reason each is allowed (`ANY`: whatever it has). Paths read `$.a.b`,
    `$.items[]` for an array's elements and `$.invoices.*` for a map's records."""
    found: set[str] = set()
    _compare(documented, answer, "$", id_maps or {}, extra or {}, found)
    return sorted(found)


def _compare(
    documented: Any,
    answer: Any,
    path: str,
    id_maps: Mapping[str, Mapping[str, Any] | None],
    extra: Mapping[str, Mapping[str, str] | str],
    found: set[str],
) -> None:
    if path in id_maps:
        if not isinstance(answer, dict):
            found.add(f"{path}: documented a map of records, sandbox {json_type(answer)}")
            return
        record = id_maps[path]
        for key, value in answer.items():
            if not key.isdigit():
                found.add(f"{path}: key {key!r} is not a string of digits")
            if not isinstance(value, dict) or value.get("id") != key:
                found.add(f"{path}: a record's `id` is not the string it is keyed by")
            if record is not None:
                _compare(record, value, f"{path}.*", id_maps, extra, found)
        return
    documented_type, answer_type = json_type(documented), json_type(answer)
    if documented_type != answer_type:
        found.add(f"{path}: documented {documented_type}, sandbox {answer_type}")
        return
    if isinstance(documented, dict):
        allowed = extra.get(path, {})
        for key, value in documented.items():
            if key not in answer:
                found.add(f"{path}.{key}: documented, missing from the sandbox")
            else:
                _compare(value, answer[key], f"{path}.{key}", id_maps, extra, found)
        for key in answer:
            if key not in documented and allowed != ANY and key not in allowed:
                found.add(f"{path}.{key}: in the sandbox, not documented")
    elif isinstance(documented, list) and documented and answer:
        _compare(documented[0], answer[0], f"{path}[]", id_maps, extra, found)

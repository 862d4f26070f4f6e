"""The shape comparison the contract tests rely on finds what it should."""

from __future__ import annotations

from decimal import Decimal

from tests.contracts.shapes import ANY, differences


def test_equal_shapes_with_other_values_have_no_difference() -> None:
    documented = {"a": 1.5, "b": "x", "c": None, "d": [{"e": True}], "f": {}}
    answer = {"a": Decimal("2"), "b": "y", "c": None, "d": [{"e": False}, {}], "f": {}}
    assert differences(documented, answer) == []


def test_missing_extra_and_retyped_keys_are_named_at_every_level() -> None:
    documented = {"a": 1, "b": "x", "c": None, "items": [{"q": "1.00", "id": "i"}]}
    answer = {"a": "1", "c": "now", "items": [{"q": 1, "id": "i", "new": 0}], "z": 1}
    assert differences(documented, answer) == [
        "$.a: documented number, sandbox string",
        "$.b: documented, missing from the sandbox",
        "$.c: documented null, sandbox string",
        "$.items[].new: in the sandbox, not documented",
        "$.items[].q: documented string, sandbox number",
        "$.z: in the sandbox, not documented",
    ]


def test_named_extras_are_allowed_and_others_are_not() -> None:
    documented = {"o": {"a": 1}, "p": {"a": 1}}
    answer = {"o": {"a": 1, "b": 2, "c": 3}, "p": {"a": 1, "d": 4}}
    extra = {"$.o": {"b": "documented elsewhere"}, "$.p": ANY}
    assert differences(documented, answer, extra=extra) == ["$.o.c: in the sandbox, not documented"]


def test_type_maps_are_keyed_by_their_records_string_ids() -> None:
    record = {"id": "string", "n": 0}
    answer = {"m": {"7": {"id": "7", "n": 1}, "8": {"id": "9", "n": "x"}, "x": {"id": "x", "n": 2}}}
    assert differences({"m": {}}, answer, id_maps={"$.m": record}) == [
        "$.m.*.n: documented number, sandbox string",
        "$.m: a record's `id` is not the string it is keyed by",
        "$.m: key 'x' is not a string of digits",
    ]

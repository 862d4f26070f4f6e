"""Global IDs as the README states them: `<vendor>:<type>:<native id>`, validated (vendor,
type, shape) before any part reaches a URL; each vendor's shapes come from its adapter."""

from __future__ import annotations

import pytest
from pytest import param

from gateway.core.ids import InvalidId
from gateway.vendors.registry import default_registry

IDS = default_registry().ids

VALID = [
    param("kantata:invoice:101", ("kantata", "invoice", "101"), id="kantata-invoice"),
    param("kantata:time_entry:9001", ("kantata", "time_entry", "9001"), id="kantata-line"),
    param(
        "kitchen:invoice:in_14b07ae04d0ff853c351b3cc",
        ("kitchen", "invoice", "in_14b07ae04d0ff853c351b3cc"),
        id="kitchen-invoice",
    ),
    param("kitchen:user:u_1a2b", ("kitchen", "user", "u_1a2b"), id="kitchen-user"),
]


@pytest.mark.parametrize(("raw", "parts"), VALID)
def test_a_well_formed_id_is_read(raw: str, parts: tuple[str, str, str]) -> None:
    gid = IDS.parse(raw)
    assert (gid.vendor.key, gid.type, gid.native) == parts
    assert str(gid) == raw


REFUSED = [
    param("kantata:invoice", "is not a global ID", id="two-parts"),
    param("kantata:invoice:1:2", "is not a global ID", id="four-parts"),
    param("stripe:invoice:1", "unknown vendor", id="unknown-vendor"),
    param("KANTATA:invoice:101", "lower case", id="vendor-in-capitals"),
    param("kantata:widget:1", "has no type", id="unknown-type"),
    param("kantata:invoice:0", "positive integer", id="kantata-zero"),
    param("kantata:invoice:-1", "positive integer", id="kantata-negative"),
    param("kantata:invoice:1/../2", "positive integer", id="kantata-path"),
    param("kantata:invoice:" + "9" * 5000, "positive integer", id="kantata-huge"),
    param("kitchen:invoice:u_1a2b", "well-formed Kitchen invoice", id="kitchen-wrong-prefix"),
    param("kitchen:invoice:in_a?b=c", "well-formed Kitchen invoice", id="kitchen-query"),
    param("kitchen:invoice:in_" + "a" * 100_000, "well-formed Kitchen invoice", id="kitchen-huge"),
]


@pytest.mark.parametrize(("raw", "says"), REFUSED)
def test_a_malformed_id_is_refused_saying_why(raw: str, says: str) -> None:
    with pytest.raises(InvalidId, match=says):
        IDS.parse(raw)


def test_an_id_of_another_type_is_refused_where_a_type_is_expected() -> None:
    assert IDS.parse("kitchen:item:invi_1").type == "item"
    with pytest.raises(InvalidId, match="is not an ID of type invoice"):
        IDS.parse("kitchen:item:invi_1", "invoice")

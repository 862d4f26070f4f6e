"""The assumptions registers (`gateway/vendors/<vendor>/ASSUMPTIONS.md`) hold together: every
fact has a source, every guess a run-time check or a setting, every sandbox quirk they name
exists, and the mapping and filter tables of docs/vendors.md say what the registers and
the code's tables say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.core.domain import Source
from gateway.sandbox import create_sandbox_app
from gateway.vendors.kantata import translate as kantata
from gateway.vendors.kitchen import translate as kitchen
from tests.server import serve

ROOT = Path(__file__).resolve().parent.parent
# The vendors' documented PUT, kept verbatim with the contract fixtures (their SOURCES.md).
DOCUMENTED_PUT = ROOT / "tests" / "contracts" / "fixtures"
VENDORS = {"kantata": kantata, "kitchen": kitchen}
COLUMNS = ("id", "fact", "source", "check", "caller", "quirk")


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def register(vendor: str) -> list[dict[str, str]]:
    text = (ROOT / "gateway" / "vendors" / vendor / "ASSUMPTIONS.md").read_text()
    rows = _table_rows(text)
    assert rows[0] == ["id", "fact", "source", "check at run time",
                       "caller sees when it does not hold", "sandbox quirk"]  # fmt: skip
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def vendors_table(header: str) -> list[list[str]]:
    """The rows of the docs/vendors.md table whose header row starts with `header`."""
    text = (ROOT / "docs" / "vendors.md").read_text()
    block = text[text.index(header) :].split("\n\n", 1)[0]
    return _table_rows(block)[1:]


def backticked(cell: str) -> set[str]:
    return {name.split(" ")[0].split("=")[0] for name in re.findall(r"`([^`]+)`", cell)}


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_fact_has_a_source_and_every_guess_a_check(vendor: str) -> None:
    rows = register(vendor)
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        sources = {word.strip(",") for word in row["source"].split() if word.strip(",")}
        assert sources & {"doc", "code", "guess"}, row
        if "guess" in row["source"]:
            checked = row["check"] not in ("", "—") or "GATEWAY_" in row["check"]
            assert checked and row["caller"] not in ("",), row


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_quirk_named_is_a_switch_of_the_sandbox(vendor: str) -> None:
    import httpx

    with serve(create_sandbox_app()) as url:
        switches = httpx.get(f"{url}/{vendor}/_control/settings").json()
    for row in register(vendor):
        for quirk in backticked(row["quirk"]):
            assert quirk in switches, (row["id"], quirk)


def neutral(graphql_name: str) -> str:
    """The neutral name the code's tables use for a GraphQL field (`issueDate`: `issue_date`)."""
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), graphql_name)


FILTER_PARAMETER = re.compile(r"`([a-z_]+)(?:=[a-z]+)?`")
MARKER = re.compile(r"\[(doc|code|guess)")


def test_the_filter_table_agrees_with_the_code_and_the_registers() -> None:
    rows = vendors_table("| filter | Kantata | Kitchen |")
    seen: dict[str, set[str]] = {"kantata": set(), "kitchen": set()}
    for row in rows:
        names = [neutral(n) for n in re.findall(r"`(\w+)`", row[0])]
        for vendor, cell in zip(("kantata", "kitchen"), row[1:3], strict=True):
            rules = VENDORS[vendor].FILTERS
            if cell.startswith("unsupported"):
                assert not set(names) & set(rules), (vendor, row)
                continue
            [marker] = set(MARKER.findall(cell))
            for name in names:
                rule = rules[name]
                assert rule.source is Source(marker), (vendor, name, marker)
                seen[vendor].add(name)
                for parameter in rule.vendor_keys:
                    facts = [
                        r for r in register(vendor) if re.search(rf"\b{parameter}\b", r["fact"])
                    ]
                    assert facts, (vendor, parameter)
                    assert any(marker in r["source"] for r in facts), (vendor, parameter)
    for vendor, module in VENDORS.items():
        assert seen[vendor] == set(module.FILTERS), vendor


def _seed_fields(vendor: str) -> str:
    return (DOCUMENTED_PUT / f"{vendor}_put_invoice_request.txt").read_text()


def test_the_mapping_table_agrees_with_the_code_and_the_registers() -> None:
    rows = vendors_table("| neutral field | Kantata OX")
    for row in rows:
        [name, *_] = re.findall(r"`(\w+)", row[0])
        field = neutral(name)
        for vendor, cell in zip(("kantata", "kitchen"), row[1:3], strict=True):
            rules = VENDORS[vendor].RULES
            if cell.startswith("unsupported"):
                assert field not in rules or field in ("add_billables", "remove_billables")
                continue
            if field not in rules:
                continue  # expectedUpdatedAt, addBillables: not a field of the PUT body
            keys = set(rules[field].vendor_keys)
            named = backticked(cell) & keys
            assert named == keys, (vendor, field, keys, named)
            # What the table names is a field of the vendor's documented PUT [doc]...
            for key in keys:
                assert re.search(rf"\b{key}\b", _seed_fields(vendor)), (vendor, key)
            # ...and what a register calls a guess about it, the table calls one too.
            for fact in register(vendor):
                if "guess" in fact["source"] and keys & backticked(fact["fact"]):
                    assert f"[guess {fact['id']}" in cell, (vendor, field, fact["id"])

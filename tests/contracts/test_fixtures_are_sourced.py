"""Every fixture says where it comes from, and every documented text that is not JSON as
written has its normalised JSON beside it."""

from __future__ import annotations

from tests.contracts.documents import FIXTURES


def test_every_fixture_is_listed_in_sources_and_normalised_beside_its_text() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    names = {p.name for p in FIXTURES.iterdir()} - {"SOURCES.md"}
    for name in names:
        stem = name.rsplit(".", 1)[0]
        assert f"`{name}`" in sources or f"`{stem}.txt` / `.json`" in sources, name
        if name.endswith(".txt"):
            assert f"{stem}.json" in names, f"{name} has no normalised .json beside it"
    assert "/work/" not in sources and "/home/" not in sources

"""Every setting the gateway reads is documented in the README, and every limit the README's
"Limits" table names is one the gateway reads: a new setting cannot ship undocumented, nor
a documented one silently stop working."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.vendors.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
SETTING = re.compile(r"\b((?:GATEWAY|KANTATA|KITCHEN)_[A-Z_]+[A-Z])\b")


def _read_by_code() -> set[str]:
    """The settings settings.py names, and each vendor adapter's (prefix and params)."""
    source = (ROOT / "gateway" / "settings.py").read_text()
    named = set(re.findall(r'read\.\w+\(\s*"((?:GATEWAY|KANTATA|KITCHEN)_[A-Z_]+)"', source))
    for adapter in default_registry():
        named |= {f"{adapter.setting_prefix}_BASE_URL", f"{adapter.setting_prefix}_TOKEN"}
        named |= {param.setting for param in adapter.params}
    return named


def _limits_table() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("\n## Limits\n")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_code_reads_settings_at_all() -> None:
    # Guards the pattern above: were it to match nothing, the next test would pass vacuously.
    assert {"GATEWAY_MAX_DEPTH", "KANTATA_TOKEN", "GATEWAY_MAX_VARIABLES_BYTES"} <= _read_by_code()


def test_every_setting_read_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(SETTING.findall(readme))
    missing = sorted(_read_by_code() - documented)
    assert missing == []


def test_every_setting_in_the_limits_table_is_read() -> None:
    named = set(SETTING.findall(_limits_table()))
    assert len(named) >= 20
    assert sorted(named - _read_by_code()) == []

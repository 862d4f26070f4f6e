"""Every setting the gateway reads is a row of docs/configuration.md's table, with the
default the code really has; every row is a setting the code reads; every setting any
document names exists; every limit of docs/errors-and-limits.md's "Limits" table is read;
every command and flag is documented. A new setting cannot ship undocumented, nor a
documented one silently stop working or change its default."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.settings import Settings
from gateway.vendors.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
SETTING = re.compile(r"\b((?:GATEWAY|KANTATA|KITCHEN)_[A-Z_]+[A-Z])\b")
# Named in the docs on purpose though no setting: the misspelling the reader refuses.
NOT_SETTINGS = {"GATEWAY_API_KEY", "GATEWAY_GRAPHIQL_ASSETS"}  # a typo; a removed setting


class _Recording(Mapping[str, str]):
    """An empty environment that remembers every name the settings reader asks for."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _read_by_code() -> set[str]:
    """What Settings.from_env asks the environment for, and what settings.py and each
    vendor adapter (prefix and params) name."""
    environ = _Recording()
    Settings.from_env(environ)
    source = (ROOT / "gateway" / "settings.py").read_text()
    named = set(re.findall(r'read\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    for adapter in default_registry():
        named |= {f"{adapter.setting_prefix}_BASE_URL", f"{adapter.setting_prefix}_TOKEN"}
        named |= {param.setting for param in adapter.params}
    return named | environ.asked


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _table(text: str, header: str) -> list[list[str]]:
    """The rows of the first table whose header row starts with `header`."""
    block = text[text.index(header) :].split("\n\n", 1)[0]
    rows = [line.strip().strip("|").split(" | ") for line in block.splitlines()]
    return [[cell.strip() for cell in row] for row in rows[2:]]


def _settings_table() -> dict[str, str]:
    """The configuration table: each variable with its default cell."""
    rows = _table(CONFIGURATION.read_text(), "| variable | default | meaning |")
    names = [row[0].strip("`") for row in rows]
    assert len(names) == len(set(names)), "a variable listed twice"
    return {name: row[1] for name, row in zip(names, rows, strict=True)}


def _limits_table() -> str:
    return _section((DOCS / "errors-and-limits.md").read_text(), "## Limits")


def test_the_code_reads_settings_at_all() -> None:
    # Guards the readers above: were they to find nothing, the next tests would pass vacuously.
    read = _read_by_code()
    assert {"GATEWAY_MAX_DEPTH", "KANTATA_TOKEN", "KITCHEN_WORKSPACE", "OTEL_SDK_DISABLED"} <= read
    assert len(read) >= 45


def test_every_setting_read_is_a_row_of_the_configuration_table() -> None:
    assert sorted(_read_by_code() - set(_settings_table())) == []


def test_every_row_of_the_configuration_table_is_read() -> None:
    assert sorted(set(_settings_table()) - _read_by_code()) == []


def _documented_defaults() -> list[tuple[str, str]]:
    """(variable, default) for each row whose default is one literal value."""
    found = []
    for name, cell in _settings_table().items():
        literal = re.fullmatch(r"`([^`]+)`", cell)
        if literal:
            found.append((name, literal.group(1)))
    return found


def test_enough_defaults_are_literal_to_check() -> None:
    assert len(_documented_defaults()) >= 35


@pytest.mark.parametrize(("name", "default"), _documented_defaults())
def test_each_documented_default_is_the_code_s(name: str, default: str) -> None:
    adapters = {f"{adapter.setting_prefix}_BASE_URL": adapter for adapter in default_registry()}
    if name in adapters:
        assert default == adapters[name].default_base_url
    else:
        # Setting a variable to its documented default changes nothing.
        assert Settings.from_env({name: default}) == Settings.from_env({}), name


def test_the_default_check_can_fail() -> None:
    assert Settings.from_env({"GATEWAY_MAX_DEPTH": "16"}) != Settings.from_env({})


def test_every_setting_any_document_names_is_read() -> None:
    documents = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
    named = {name for doc in documents for name in SETTING.findall(doc.read_text())}
    assert sorted(named - _read_by_code() - NOT_SETTINGS) == []


def test_every_setting_in_the_limits_table_is_read() -> None:
    named = set(SETTING.findall(_limits_table()))
    assert len(named) >= 20
    assert sorted(named - _read_by_code()) == []


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_command_and_flag_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    commands_section = _section(CONFIGURATION.read_text(), "## Commands")
    listed = re.search(r"\{([a-z,-]+)\}", _help(capsys))
    assert listed, "the commands' list in the help"
    commands = listed.group(1).split(",")
    assert {"serve", "sandbox", "export-schema", "graphiql-assets"} <= set(commands)
    rows = {row[0]: row[1] for row in _table(commands_section, "| command | flags")}
    for command in commands:
        row = rows[f"`invoice-gateway {command}`"]
        flags = set(re.findall(r"(--[a-z][a-z-]+)", _help(capsys, command))) - {"--help"}
        for flag in flags:
            assert re.search(rf"`{re.escape(flag)}[` ]", row), (command, flag)

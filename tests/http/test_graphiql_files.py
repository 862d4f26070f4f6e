"""GraphiQL's files as they ship inside the package (gateway/http/graphiql/static): every
pinned file byte for byte, each package's licence and the THIRD_PARTY notice, and nothing
else; and the check the page and `invoice-gateway graphiql-assets` make of a copy. (That a
built wheel carries them all is tests/browser/test_fresh_install.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.http.graphiql.assets import ASSETS, BY_KEY, SHIPPED
from gateway.http.graphiql.check import check, integrity

# Each package's licence file, from its npm tarball. @graphiql/plugin-explorer's tarball has
# none (its package.json says MIT): the licence beside it is that of graphiql-explorer, the
# code its bundle is built from.
LICENCES = {
    "react@18.3.1/LICENSE",
    "react-dom@18.3.1/LICENSE",
    "graphiql@3.8.3/LICENSE",
    "graphiql-explorer@0.9.0/LICENSE",
}
NOTICE = "THIRD_PARTY.md"


def linked_copy(directory: Path) -> Path:
    """A copy of the shipped asset set made of symbolic links (4 MB not copied), for a test
    to break one file of."""
    for key in BY_KEY:
        (directory / key).parent.mkdir(parents=True, exist_ok=True)
        (directory / key).symlink_to(SHIPPED / key)
    return directory


def test_the_shipped_copy_is_whole() -> None:
    assert check(SHIPPED) == ()
    for asset in ASSETS.all():
        assert integrity((SHIPPED / asset.key).read_bytes()) == asset.integrity


def test_the_static_directory_holds_the_set_its_licences_and_the_notice_only() -> None:
    shipped = {path.relative_to(SHIPPED).as_posix() for path in SHIPPED.rglob("*")}
    files = {name for name in shipped if (SHIPPED / name).is_file()}
    assert files == set(BY_KEY) | LICENCES | {NOTICE}
    for licence in LICENCES:
        assert (SHIPPED / licence).read_text().startswith("MIT License\n"), licence


def test_the_notice_names_every_file_with_its_version_and_hash() -> None:
    notice = (SHIPPED / NOTICE).read_text()
    for asset in ASSETS.all():
        package, sha384 = asset.package, asset.integrity.removeprefix("sha384-")
        row = f"| {package.name} | {package.version} | MIT"
        assert row in notice and f"| `{asset.path}` | `{sha384}` |" in notice, asset.key
    assert "npm package tarball" in notice


def test_the_check_names_each_file_missing_changed_or_unreadable(tmp_path: Path) -> None:
    copy = linked_copy(tmp_path)
    assert check(copy) == ()
    (copy / ASSETS.graphiql_css.key).unlink()
    (copy / ASSETS.react_dom.key).unlink()
    (copy / ASSETS.react_dom.key).write_bytes((SHIPPED / ASSETS.react_dom.key).read_bytes()[:-1])
    (copy / ASSETS.explorer_js.key).unlink()
    (copy / ASSETS.explorer_js.key).mkdir()
    reasons = {problem.asset.key: problem.reason for problem in check(copy)}
    assert reasons.keys() == {
        ASSETS.graphiql_css.key,
        ASSETS.react_dom.key,
        ASSETS.explorer_js.key,
    }
    assert reasons[ASSETS.graphiql_css.key] == "missing"
    assert reasons[ASSETS.react_dom.key].startswith("not the pinned file (sha384-")
    assert reasons[ASSETS.react_dom.key].endswith(", 131834 bytes)")
    assert reasons[ASSETS.explorer_js.key].startswith("unreadable: ")


def test_the_command_checks_the_installed_copy() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "graphiql-assets"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"GraphiQL's files are whole in {SHIPPED}\n"

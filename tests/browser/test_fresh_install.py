"""From a fresh virtual environment and an empty home, with every host but loopback out of
reach: our wheel, built with no index, carries GraphiQL's files; installed in a new venv,
its `invoice-gateway serve` gives a GraphiQL that runs an example in Chromium.

No step may reach a package index, so the fresh venv gets the gateway's dependencies from
the test environment (a .pth file naming its site-packages) and the wheel is built with the
test environment's setuptools (`--no-build-isolation`). Where `unshare -rn` works, pip and
the gateway run in a network namespace with nothing but a loopback of their own, as an
extra guarantee; Chromium is kept to loopback by its flags (conftest.py) either way."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import signal
import site
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver

from gateway.http.graphiql.assets import ASSETS
from gateway.http.graphiql.check import integrity
from gateway.http.graphiql.examples import EXAMPLES
from tests.browser.conftest import ARTIFACTS
from tests.browser.graphiql import (
    FAVICON_WIDTH,
    OUTSIDE,
    OUTSIDE_FETCH,
    RESOURCES,
    open_tabs,
    run,
    wait_for_text,
)
from tests.hostile.harness import wait_until_ready
from tests.http.test_graphiql_files import LICENCES, NOTICE
from tests.server import free_port

REPO = Path(__file__).resolve().parents[2]
RELAY = REPO / "tests" / "relay.py"
STATIC = "gateway/http/graphiql/static"
# What the Dockerfile copies to build the package: the wheel is built from these alone.
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "gateway")


@functools.cache
def netns() -> tuple[str, ...]:
    """A command prefix giving a process a network namespace with only its own loopback
    (up), where unprivileged `unshare -rn` works; else none."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return ()
    probe = ["unshare", "-rn", "ip", "link", "set", "lo", "up"]
    done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    if done.returncode != 0:
        return ()
    return ("unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh")


def _offline_env(home: Path, **extra: str) -> dict[str, str]:
    """A bare environment: an empty home, no XDG_*, no PYTHONPATH or virtualenv, and pip
    told to read no configuration and ask no index (its version check included)."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **extra,
    }


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [*netns(), *command], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch directory with an empty home and an empty working directory."""
    root = tmp_path_factory.mktemp("fresh")
    for name in ("home", "cwd"):
        (root / name).mkdir()
    return root


@pytest.fixture(scope="module")
def wheel(machine: Path) -> Path:
    source = machine / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(REPO / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, source / name)
    dist = machine / "dist"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _run([*command, "-w", str(dist), str(source)], _offline_env(machine / "home"), machine / "cwd")
    (built,) = dist.glob("invoice_gateway-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(machine: Path, wheel: Path) -> Path:
    """A new venv with our wheel installed (by the test environment's pip: the venv has
    none), and the test environment's site-packages on its path for the dependencies.
    A path listed in a .pth file is only appended to sys.path (its own .pth files are not
    run), so the test environment's editable install of the source tree stays out."""
    venv = machine / "venv"
    env = _offline_env(machine / "home")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, machine / "cwd")
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    _run([*pip, str(wheel)], env, machine / "cwd")
    where = "import sysconfig; print(sysconfig.get_path('purelib'))"
    purelib = _run([str(python), "-c", where], env, machine / "cwd").strip()
    Path(purelib, "test-environment.pth").write_text("\n".join(site.getsitepackages()))
    return venv


def test_the_namespace_has_nothing_but_loopback(machine: Path) -> None:
    if not netns():
        pytest.skip("no unprivileged `unshare -rn` here (the other tests run without it)")
    links = _run(["ip", "-o", "link"], _offline_env(machine / "home"), machine / "cwd")
    assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]


def test_the_wheel_carries_every_file_with_its_pinned_hash(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for asset in ASSETS.all():
            assert integrity(archive.read(f"{STATIC}/{asset.key}")) == asset.integrity
    expected = {f"{STATIC}/{name}" for name in (*LICENCES, NOTICE)}
    assert expected | {"gateway/http/graphiql/favicon.svg"} <= names


def test_the_installed_command_finds_its_files_whole(machine: Path, venv: Path) -> None:
    env = _offline_env(machine / "home")
    out = _run([str(venv / "bin" / "invoice-gateway"), "graphiql-assets"], env, machine / "cwd")
    assert out.startswith(f"GraphiQL's files are whole in {venv}/lib/"), out


class Served:
    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log


@contextmanager
def serve_from(venv: Path, machine: Path) -> Iterator[Served]:
    """`invoice-gateway serve` from `venv`, on a loopback port. In a network namespace the
    gateway listens on its own loopback, which the browser reaches through a Unix socket
    (tests/relay.py at each end); the port is the same inside and out, so the gateway's
    sandbox origin is the URL the browser opens."""
    port = free_port()
    log = machine / "serve.log"
    # Python's import log (-v) on stderr: which file each module was imported from.
    env = _offline_env(machine / "home", PYTHONVERBOSE="1")
    serve = [str(venv / "bin" / "invoice-gateway"), "serve", "--port", str(port)]
    socket = machine / "gw.sock"
    command = serve
    if netns():
        relay = [sys.executable, "-E", str(RELAY), "unix-to-tcp", str(socket), str(port)]
        command = [*netns(), "sh", "-c", f'{shlex.join(relay)} & exec "$@"', "sh", *serve]
    processes: list[subprocess.Popen[bytes]] = []
    with log.open("wb") as out:
        # A session of their own: the gateway and the relay beside it end together.
        gateway = subprocess.Popen(
            command, env=env, cwd=machine / "cwd", stdout=out, stderr=out, start_new_session=True
        )
        processes.append(gateway)
        try:
            if netns():
                outer = [sys.executable, "-E", str(RELAY), "tcp-to-unix", str(port), str(socket)]
                processes.append(subprocess.Popen(outer, start_new_session=True))
            url = f"http://127.0.0.1:{port}"
            try:
                wait_until_ready(gateway, url)
            except AssertionError as exc:
                raise AssertionError(f"{exc}: {log.read_text()[-3000:]}") from None
            yield Served(url, log)
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=20)


def test_graphiql_from_a_fresh_install_runs_an_example_offline(
    browser: webdriver.Chrome, machine: Path, venv: Path
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_from(venv, machine) as served:
        try:
            tabs = open_tabs(browser, f"{served.url}/graphql")
            assert [tab.text.strip() for tab in tabs] == [example.name for example in EXAMPLES]
            run(browser)  # the open tab: the first example, KantataInvoice
            result = wait_for_text(browser, '"id": "kantata:invoice:101"')
        finally:
            browser.save_screenshot(str(ARTIFACTS / "graphiql-fresh-install.png"))
        assert '"vendorStatus"' in result and '"errors"' not in result
        loaded = browser.execute_script(RESOURCES)
        assert len(loaded) >= len(ASSETS.all()), loaded
        assert all(str(name).startswith(served.url) for name in loaded), loaded
        assert browser.execute_async_script(FAVICON_WIDTH) > 0
        assert browser.execute_async_script(OUTSIDE_FETCH, OUTSIDE) == "blocked"
    # The process that served it imported the gateway from the fresh venv, not the source.
    imports = served.log.read_text(errors="replace")
    found = set(re.findall(r"[^\s']*/gateway/__init__\.py", imports))
    assert found and all(path.startswith(f"{venv}/") for path in found), found
    assert str(REPO / "gateway") not in imports

"""`invoice-gateway graphiql-assets`: fetch the pinned asset set with npm.

`npm pack` downloads each pinned package's tarball (through npm's own cache and whatever
registry npm is configured with); only the files of the asset set are taken out of it,
each checked against its pinned sha384 before it is written. Nothing is installed and no
package script runs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from gateway.http.graphiql.assets import ASSETS, PACKAGES, Asset, Package


class FetchError(RuntimeError):
    pass


def integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


def _pack(npm: str, work: Path) -> dict[Package, Path]:
    """Every pinned package's tarball, downloaded into `work`."""
    command = [npm, "pack", "--json", "--pack-destination", str(work)]
    command += [package.spec for package in PACKAGES]
    try:
        done = subprocess.run(
            command, cwd=work, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"npm pack failed: {exc}") from exc
    if done.returncode != 0:
        raise FetchError(f"npm pack failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    try:
        packed = json.loads(done.stdout)
        tarballs = {(p["name"], p["version"]): work / p["filename"] for p in packed}
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"npm pack answered something unexpected: {exc}") from exc
    missing = [p.spec for p in PACKAGES if (p.name, p.version) not in tarballs]
    if missing:
        raise FetchError(f"npm pack did not return {', '.join(missing)}")
    return {p: tarballs[(p.name, p.version)] for p in PACKAGES}


def _read(tarball: Path, asset: Asset) -> bytes:
    with tarfile.open(tarball, "r:gz") as archive:
        try:
            member = archive.getmember(f"package/{asset.path}")
        except KeyError:
            raise FetchError(f"{asset.package.spec} has no {asset.path}") from None
        stream = archive.extractfile(member) if member.isfile() else None
        if stream is None:
            raise FetchError(f"{asset.package.spec}: {asset.path} is not a file")
        data = stream.read()
    if integrity(data) != asset.integrity:
        raise FetchError(f"{asset.key} does not match its pinned hash; nothing was written")
    return data


def _write(dest: Path, key: str, data: bytes) -> Path:
    target = dest / key
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(partial, 0o644)
    os.replace(partial, target)
    return target


def fetch_assets(dest: Path, *, npm: str = "npm") -> list[Path]:
    """Fetch the asset set into `dest` (created if needed); the files written, in order.
    Every file is verified before any is written."""
    program = shutil.which(npm)
    if program is None:
        raise FetchError(f"{npm} not found: install Node.js and npm to fetch GraphiQL's files")
    with tempfile.TemporaryDirectory(prefix="graphiql-assets-") as work:
        tarballs = _pack(program, Path(work))
        contents = [(asset, _read(tarballs[asset.package], asset)) for asset in ASSETS.all()]
    return [_write(dest, asset.key, data) for asset, data in contents]

"""The pinned GraphiQL asset set: which files of which npm packages the IDE page loads,
with their Subresource Integrity hashes, and the copy that ships inside this package
(`static/`, beside this module, with each package's licence and THIRD_PARTY.md).

GraphiQL 3.8.3 is the last major with browser bundles (UMD) that need no build step and no
import map: GraphiQL 4 deprecated them and 5 ships ESM only (Monaco and its web workers),
which cannot be served as a handful of static files. React 18.3.1 is the last React with
UMD builds (React 19 dropped them), and plugin-explorer 3.2.5 is the last release whose
peer range is GraphiQL 3.8's `@graphiql/react` 0.28.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Package:
    name: str
    version: str

    @property
    def spec(self) -> str:
        """`name@version`, as npm takes it and as the asset URLs begin."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Asset:
    package: Package
    path: str  # inside the package's tarball, below `package/`
    integrity: str  # SRI: sha384 of the exact bytes

    @property
    def key(self) -> str:
        """The asset's relative URL and its relative path in an assets directory."""
        return f"{self.package.spec}/{self.path}"

    @property
    def media_type(self) -> str:
        return "text/css" if self.path.endswith(".css") else "text/javascript"


REACT = Package("react", "18.3.1")
REACT_DOM = Package("react-dom", "18.3.1")
GRAPHIQL = Package("graphiql", "3.8.3")
EXPLORER = Package("@graphiql/plugin-explorer", "3.2.5")


@dataclass(frozen=True)
class AssetSet:
    """The files the page loads, in the order it loads them (scripts depend on those
    before them)."""

    react: Asset
    react_dom: Asset
    graphiql_js: Asset
    graphiql_css: Asset
    explorer_js: Asset
    explorer_css: Asset

    def all(self) -> tuple[Asset, ...]:
        return (
            self.react,
            self.react_dom,
            self.graphiql_js,
            self.graphiql_css,
            self.explorer_js,
            self.explorer_css,
        )


ASSETS = AssetSet(
    react=Asset(
        REACT,
        "umd/react.production.min.js",
        "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
    ),
    react_dom=Asset(
        REACT_DOM,
        "umd/react-dom.production.min.js",
        "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
    ),
    graphiql_js=Asset(
        GRAPHIQL,
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    graphiql_css=Asset(
        GRAPHIQL,
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    explorer_js=Asset(
        EXPLORER,
        "dist/index.umd.js",
        "sha384-5p6hGdlOTvUy6Wf0GauxCz+xM9YB/YYvcGG+bf9msr2eyd+KVIxgRkepHgUijedJ",
    ),
    explorer_css=Asset(
        EXPLORER,
        "dist/style.css",
        "sha384-YN9MumWidbWKuNj8VfH5ggrFvm9YqAoIOMnKYpeGL3dr7Eg1qnQ+SAqSthdNZCjz",
    ),
)
# Every file that may be served, by its relative URL: nothing outside this is ever read.
BY_KEY: Mapping[str, Asset] = {asset.key: asset for asset in ASSETS.all()}


# The shipped copy, laid out by `Asset.key`. A path, not an importlib.resources Traversable:
# pip installs a wheel as plain files, and the asset route hands files to FileResponse.
SHIPPED = Path(__file__).resolve().parent / "static"

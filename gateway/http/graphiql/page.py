"""The IDE page: GraphiQL with the explorer plugin, opening one tab per example operation,
its scripts and styles served by the gateway itself. And the page shown instead when the
gateway's copy of those files is not whole: it names each file and how to fix it, where
GraphiQL would otherwise be a blank page."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from string import Template

from gateway.http.graphiql.assets import ASSETS, Asset
from gateway.http.graphiql.check import FIX, Problem
from gateway.http.graphiql.examples import EXAMPLES

ASSETS_PREFIX = "/graphiql/assets"
FAVICON_PATH = "/favicon.svg"
_HEAD = Template("""\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>$title</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <link rel="icon" href="$favicon" type="image/svg+xml">
""")

_PAGE = Template("""\
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; display: flex; }
      .graphiql-failed { margin: 2em; font: 16px/1.5 system-ui, sans-serif; }
    </style>
    <script>
      // Before the files: a file that does not load (gone since the gateway checked it, a
      // proxy that does not pass its URL, or refused by the browser for its hash) leaves
      // nothing to render, so the page below says which one instead of staying blank.
      window.graphiqlFailed = [];
      window.addEventListener("error", function (event) {
        const element = event.target;
        if (element && (element.src || element.href)) {
          window.graphiqlFailed.push(element.src || element.href);
        }
      }, true);
    </script>
$styles
$scripts
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="graphiql-config">$config</script>
    <script>
      (function () {
        const config = JSON.parse(document.getElementById("graphiql-config").textContent);
        const root = document.getElementById("graphiql");
        const loaded = typeof React !== "undefined" && typeof ReactDOM !== "undefined"
          && typeof GraphiQL !== "undefined" && typeof GraphiQLPluginExplorer !== "undefined";
        if (!loaded || window.graphiqlFailed.length) {
          root.className = "graphiql-failed";
          root.replaceChildren(document.createElement("h1"), document.createElement("p"));
          root.firstChild.textContent = "GraphiQL could not load its files";
          root.lastChild.textContent = "Not loaded from this gateway: "
            + (window.graphiqlFailed.join(", ") || "a script did not run") + ". " + config.fix;
          return;
        }
        const url = window.location.href.split(/[?#]/)[0];
        const fetcher = GraphiQL.createFetcher({ url: url });
        const explorer = GraphiQLPluginExplorer.explorerPlugin();
        function Gateway() {
          return React.createElement(GraphiQL, {
            fetcher: fetcher,
            plugins: [explorer],
            defaultTabs: config.tabs,
            defaultEditorToolsVisibility: config.headersNeeded ? "headers" : true,
            isHeadersEditorEnabled: true,
            shouldPersistHeaders: false,
            inputValueDeprecation: true,
          });
        }
        ReactDOM.createRoot(root).render(React.createElement(Gateway));
      })();
    </script>
  </body>
</html>
""")

_BROKEN = Template("""\
    <style>body { margin: 2em; font: 16px/1.5 system-ui, sans-serif; max-width: 50em; }</style>
  </head>
  <body>
    <h1>GraphiQL cannot start: its files are not whole</h1>
    <p>This gateway's copy of GraphiQL's files is missing or damaged, so the IDE cannot load.
      The GraphQL endpoint itself is unaffected.</p>
    <ul>
$problems
    </ul>
    <p>$fix</p>
  </body>
</html>
""")


def _head(title: str, root_path: str) -> str:
    return _HEAD.substitute(title=title, favicon=html.escape(root_path + FAVICON_PATH))


def _tag(asset: Asset, base: str) -> str:
    url = html.escape(f"{base}/{asset.key}")
    sri = html.escape(asset.integrity)
    if asset.media_type == "text/css":
        return f'    <link rel="stylesheet" href="{url}" integrity="{sri}">'
    return f'    <script src="{url}" integrity="{sri}"></script>'


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` or `<!--` can appear)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(root_path: str, headers: Mapping[str, str]) -> str:
    """The page, for an app served at `root_path` ("" at the host's root). `headers`: what
    each tab's headers pane starts with (the headers a caller of this gateway must send:
    its API key, vendor credentials it has none of)."""
    header_text = json.dumps(dict(headers), indent=2) if headers else ""
    tabs = [{"query": example.document, "headers": header_text} for example in EXAMPLES]
    base = root_path + ASSETS_PREFIX
    styles = [ASSETS.graphiql_css, ASSETS.explorer_css]
    scripts = [ASSETS.react, ASSETS.react_dom, ASSETS.graphiql_js, ASSETS.explorer_js]
    config = {"tabs": tabs, "headersNeeded": bool(headers), "fix": FIX}
    return _head("Invoice Gateway · GraphiQL", root_path) + _PAGE.substitute(
        styles="\n".join(_tag(asset, base) for asset in styles),
        scripts="\n".join(_tag(asset, base) for asset in scripts),
        config=_json_for_script(config),
    )


def render_broken(root_path: str, problems: Iterable[Problem]) -> str:
    """The page instead of GraphiQL: each file that is not as pinned (by its name in the
    asset set; the server's own paths stay in its log), and the fix."""
    items = (
        f"      <li><code>{html.escape(p.asset.key)}</code>: {html.escape(p.reason)}</li>"
        for p in problems
    )
    return _head("Invoice Gateway · GraphiQL cannot start", root_path) + _BROKEN.substitute(
        problems="\n".join(items), fix=html.escape(FIX, quote=False)
    )

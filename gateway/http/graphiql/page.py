"""The IDE page: GraphiQL with the explorer plugin, opening one tab per example operation.
Its scripts and styles come from the gateway when the asset set is present, else from the
CDN (same pinned versions, same integrity hashes)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from string import Template

from gateway.http.graphiql.assets import ASSETS, Asset
from gateway.http.graphiql.examples import EXAMPLES

CDN = "https://unpkg.com"
LOCAL_PREFIX = "/graphiql/assets"

_PAGE = Template("""\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Invoice Gateway · GraphiQL</title>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="graphiql-assets" content="$source">
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; display: flex; }
    </style>
$styles
$scripts
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script type="application/json" id="graphiql-config">$config</script>
    <script>
      (function () {
        const config = JSON.parse(document.getElementById("graphiql-config").textContent);
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
        ReactDOM.createRoot(document.getElementById("graphiql"))
          .render(React.createElement(Gateway));
      })();
    </script>
  </body>
</html>
""")


def asset_url(asset: Asset, local_base: str | None) -> str:
    """Where the page loads `asset` from: `local_base` (the gateway's asset route) when
    the gateway has the files, else the CDN."""
    return f"{local_base if local_base is not None else CDN}/{asset.key}"


def _tag(asset: Asset, local_base: str | None) -> str:
    url = html.escape(asset_url(asset, local_base))
    sri = html.escape(asset.integrity)
    cors = "" if local_base is not None else " crossorigin"
    if asset.media_type == "text/css":
        return f'    <link rel="stylesheet" href="{url}" integrity="{sri}"{cors}>'
    return f'    <script src="{url}" integrity="{sri}"{cors}></script>'


def _json_for_script(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` or `<!--` can appear)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(local_base: str | None, headers: Mapping[str, str]) -> str:
    """The page. `local_base`: the URL prefix of the gateway's own copy of the assets, or
    None for the CDN. `headers`: what each tab's headers pane starts with (the headers a
    caller of this gateway must send: its API key, vendor credentials it has none of)."""
    header_text = json.dumps(dict(headers), indent=2) if headers else ""
    tabs = [{"query": example.document, "headers": header_text} for example in EXAMPLES]
    styles = [ASSETS.graphiql_css, ASSETS.explorer_css]
    scripts = [ASSETS.react, ASSETS.react_dom, ASSETS.graphiql_js, ASSETS.explorer_js]
    config = {"tabs": tabs, "headersNeeded": bool(headers)}
    return _PAGE.substitute(
        source="local" if local_base is not None else "cdn",
        styles="\n".join(_tag(asset, local_base) for asset in styles),
        scripts="\n".join(_tag(asset, local_base) for asset in scripts),
        config=_json_for_script(config),
    )

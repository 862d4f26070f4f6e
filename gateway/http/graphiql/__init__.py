"""GraphiQL served by the gateway: the pinned asset set and its fetcher (`assets`,
`fetch`), the example operations (`examples`), the page (`page`), and what the
application wires in (`ide`)."""

from gateway.http.graphiql.ide import ASSET_ROUTE, GraphiQLIde, ide_response

__all__ = ["ASSET_ROUTE", "GraphiQLIde", "ide_response"]

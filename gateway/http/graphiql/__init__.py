"""GraphiQL served by the gateway: the pinned asset set shipped in `static/` and its
check (`assets`, `check`), the example operations (`examples`), the page (`page`), and
what the application wires in (`ide`)."""

from gateway.http.graphiql.ide import GraphiQLIde, ide_response

__all__ = ["GraphiQLIde", "ide_response"]

"""The HTTP endpoints as a browser, GraphiQL or a server-to-server caller meets them."""

from __future__ import annotations

from tests.conftest import Gateway

MUTATION = (
    'mutation { updateInvoice(input: {id: "kantata:invoice:101", notes: "x"}) '
    "{ userErrors { code } } }"
)


# A GET that runs an operation must show it was preflighted (CSRF prevention; see
# tests/http/test_security.py): a custom header, or a Content-Type a form cannot send.
PREFLIGHT = {"Apollo-Require-Preflight": "true"}


def test_queries_work_over_get(gw: Gateway) -> None:
    response = gw.http.get(
        "/graphql",
        params={"query": '{ invoice(id: "kantata:invoice:101") { number } }'},
        headers=PREFLIGHT,
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"invoice": {"number": "17"}}}


def test_a_mutation_over_get_is_405_and_never_runs(gw: Gateway) -> None:
    response = gw.http.get("/graphql", params={"query": MUTATION}, headers=PREFLIGHT)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert gw.requests("kantata") == []


def test_other_methods_are_405_with_allow(gw: Gateway) -> None:
    response = gw.http.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


def test_a_browser_gets_graphiql(gw: Gateway) -> None:
    response = gw.http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
    assert gw.http.get("/", follow_redirects=False).headers["location"] == "/graphql"


def test_healthz(gw: Gateway) -> None:
    response = gw.http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "sandbox": True}


def test_mutations_over_post_answer_200_even_when_the_vendor_fails(gw: Gateway) -> None:
    gw.fault("kantata", status=503, times=None)  # for ever: 503 is retried
    response = gw.http.post("/graphql", json={"query": MUTATION})
    assert response.status_code == 200
    assert response.json()["data"]["updateInvoice"]["userErrors"] == [
        {"code": "UPSTREAM_UNAVAILABLE"}
    ]

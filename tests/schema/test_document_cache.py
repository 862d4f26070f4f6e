"""The same operation is parsed and validated once, not on every request, and the limits
still hold (parsing and validating again was about 45% of a request's CPU)."""

from __future__ import annotations

from unittest import mock

import pytest
from graphql import GraphQLError

from gateway.schema import build_schema, documents
from gateway.schema.documents import DocumentCache
from gateway.settings import Limits
from gateway.vendors.registry import default_registry

VENDORS = default_registry().vendors


def test_repeated_operations_are_parsed_and_validated_once() -> None:
    schema = build_schema(vendors=VENDORS)
    query = "query CacheProbe { __typename first: __typename }"
    with (
        mock.patch.object(documents, "parse", wraps=documents.parse) as parse,
        mock.patch.object(
            documents, "validate_document", wraps=documents.validate_document
        ) as validate,
    ):
        for _ in range(3):
            assert schema.execute_sync(query).errors is None
    assert parse.call_count == 1
    assert validate.call_count == 1
    assert (schema.documents.hits, schema.documents.misses) == (2, 1)


def test_cached_documents_still_meet_the_limits() -> None:
    schema = build_schema(Limits(max_aliases=1), vendors=VENDORS)
    query = "{ a: __typename b: __typename }"
    for _ in range(2):  # the second run comes from the caches
        errors = schema.execute_sync(query).errors
        assert errors and "alias" in errors[0].message.lower()


def test_a_cached_document_is_checked_again_with_each_requests_variables() -> None:
    schema = build_schema(Limits(max_cost=100), vendors=VENDORS)
    # Skipped, so a query within the limit runs without calling a vendor.
    query = (
        "query($n: Int!) { invoices(vendor: KANTATA, first: $n) @skip(if: true) { totalCount } }"
    )
    for n, refused in ((1_000, True), (10, False), (1_000, True)):
        errors = schema.execute_sync(query, variable_values={"n": n}).errors or []
        assert any("GATEWAY_MAX_COST" in e.message for e in errors) is refused
    assert schema.documents.misses == 1


def test_the_cache_holds_a_bounded_count_and_length_of_text() -> None:
    cache = DocumentCache(Limits(), size=3, text_chars=100)
    for i in range(5):
        cache.parse(f"{{ a{i}: __typename }}")
    assert len(cache) == 3
    long = "{ " + "__typename " * 8 + "}"  # 90 characters: pushes the others out
    cache.parse(long)
    assert len(cache) == 1
    cache.parse("{ " + "__typename " * 10 + "}")  # longer than the whole budget: not kept
    assert len(cache) == 1
    cache.parse(long)
    assert cache.hits == 1


def test_a_document_that_does_not_parse_is_a_syntax_error() -> None:
    with pytest.raises(GraphQLError, match="Syntax Error"):
        DocumentCache(Limits(), size=1, text_chars=100).parse("{ a")

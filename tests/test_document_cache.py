"""The same operation is parsed and validated once, not on every request, and the limits
still hold (parsing and validating again was about 45% of a request's CPU)."""

from __future__ import annotations

from strawberry.extensions import parser_cache, validation_cache

from gateway.schema import DOCUMENT_CACHE_SIZE, build_schema
from gateway.settings import Limits


def test_repeated_operations_hit_the_parse_and_validation_caches() -> None:
    schema = build_schema()
    parse = parser_cache._get_parse_cache(DOCUMENT_CACHE_SIZE)
    validate = validation_cache._get_validate_cache(DOCUMENT_CACHE_SIZE)
    query = "query CacheProbe { __typename first: __typename }"
    before = (parse.cache_info().hits, validate.cache_info().hits)
    for _ in range(3):
        assert schema.execute_sync(query).errors is None
    after = (parse.cache_info().hits, validate.cache_info().hits)
    assert after[0] - before[0] >= 2
    assert after[1] - before[1] >= 2


def test_cached_documents_still_meet_the_limits() -> None:
    schema = build_schema(Limits(max_aliases=1))
    query = "{ a: __typename b: __typename }"
    for _ in range(2):  # the second run comes from the caches
        errors = schema.execute_sync(query).errors
        assert errors and "alias" in errors[0].message.lower()

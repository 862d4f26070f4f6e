"""Pure, table-driven unit tests: no HTTP, no servers, no GraphQL."""
